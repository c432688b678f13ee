import { buckets, dimensions, MAX_QUERY_ROWS, metrics } from './eventQueries';

const problem = { description: 'An RFC 9457 problem', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), problem]));
const secured = [{ readKey: [] }];
const time = (name: 'from' | 'to', description: string) => ({
  name,
  in: 'query',
  required: false,
  description: `${description} An ISO 8601 date (\`2026-05-01\`, UTC midnight) or date-time with offset (\`2026-05-01T12:00:00Z\`); a date that does not exist, such as \`2026-02-31\`, is a 400.`,
  schema: { type: 'string', anyOf: [{ format: 'date' }, { format: 'date-time' }] },
});
const siteScope =
  'A key bound to one site (`siteId`) reaches only that site: its events and failed events are erased, and the subject is suppressed on that site only.';
const subjectParameters = [
  { name: 'id', in: 'path', required: true, description: 'The raw user id (pseudonymised by the collector before the lookup) or the anonymous id.', schema: { type: 'string', minLength: 1, maxLength: 256 } },
  { name: 'type', in: 'query', required: true, schema: { type: 'string', enum: ['user', 'anonymous'] } },
];
const roles = (text: string) => `Read key roles: ${text}.`;

/**
 * The collector's OpenAPI 3.1 document, served at `GET /openapi.json`. Every route the collector answers is in it,
 * which the collector's tests check against the running routes.
 */
export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Waymark collector',
      version,
      description: 'Event ingestion (public write keys) and the read API (secret read keys sent as `Authorization: Bearer <key>`).',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    components: {
      securitySchemes: {
        readKey: { type: 'http', scheme: 'bearer', description: 'A secret read key; the collector keeps only its SHA-256.' },
        writeKey: { type: 'apiKey', in: 'query', name: 'key', description: "A site's public write key; it can only write." },
      },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'detail'],
          properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' } },
        },
        ErasureReport: {
          type: 'object',
          required: ['erased', 'sinks', 'suppressed'],
          properties: {
            erased: { type: 'object', properties: { events: { type: 'integer' }, failedEvents: { type: 'integer' } } },
            sinks: {
              type: 'array',
              items: {
                type: 'object',
                required: ['name'],
                properties: {
                  name: { type: 'string' },
                  deleted: { type: 'integer' },
                  error: { type: 'string' },
                  skipped: { type: 'string', description: 'Why the sink was not asked: a sink erases a subject on every site, and the erasure was limited to one site.' },
                },
              },
            },
            suppressed: { type: 'boolean' },
            siteId: { type: 'string', description: 'Set when the key is bound to one site: only that site was erased, and the subject is suppressed there only.' },
          },
        },
        QueryResult: {
          type: 'object',
          required: ['metric', 'bucket', 'from', 'to', 'filters', 'weighted', 'limit', 'offset', 'nextOffset', 'rows'],
          properties: {
            metric: { type: 'string', enum: [...metrics] },
            bucket: { type: 'string', enum: [...buckets] },
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
            dimension: { type: 'string' },
            filters: { type: 'array', items: { type: 'object', properties: { dimension: { type: 'string' }, value: { type: 'string' } } } },
            weighted: { type: 'boolean' },
            note: { type: 'string' },
            limit: { type: 'integer' },
            offset: { type: 'integer' },
            nextOffset: {
              type: ['integer', 'null'],
              description: 'The `offset` of the next page, or null when this page holds the last row. Rows are ordered by bucket, then dimension value.',
            },
            rows: {
              type: 'array',
              items: { type: 'object', required: ['bucket', 'value'], properties: { bucket: { type: 'string', format: 'date-time' }, value: { type: 'number' } }, additionalProperties: true },
            },
          },
        },
        ReadKey: {
          type: 'object',
          required: ['name', 'role'],
          properties: {
            name: { type: 'string', description: "The key's label (not secret)." },
            role: { type: 'string', enum: ['admin', 'creator', 'marketing'] },
            authorId: { type: 'string', description: 'A creator key: the author whose posts it sees.' },
            siteId: { type: 'string', description: 'Set when the key is limited to one site.' },
          },
        },
        ReplayReport: {
          type: 'object',
          required: ['replayed', 'duplicates', 'dropped', 'stillFailing'],
          properties: {
            replayed: { type: 'integer', description: 'Now valid and stored (`context.server.replayed = true`); removed from the failed events.' },
            duplicates: { type: 'integer', description: 'Now valid but already stored under the same id; removed from the failed events.' },
            dropped: { type: 'integer', description: 'Now valid but not to be stored (no analytics consent, or an erased subject); removed from the failed events.' },
            stillFailing: { type: 'integer', description: 'Still refused by the catalogue, size or nesting limits; kept.' },
          },
        },
        ErasureJob: {
          type: 'object',
          required: ['job', 'status', 'subjects', 'erased'],
          properties: {
            job: { type: 'string' },
            status: { type: 'string', enum: ['queued', 'running', 'done', 'failed'] },
            createdAt: { type: 'string', format: 'date-time' },
            finishedAt: { type: 'string', format: 'date-time' },
            subjects: { type: 'integer' },
            erased: { type: 'integer' },
            errors: { type: 'array', items: { type: 'string' } },
            siteId: { type: 'string', description: 'Set when the job erases one site only (made with a key bound to that site).' },
          },
        },
      },
    },
    paths: {
      '/v1/batch': {
        post: {
          summary: 'Ingest a batch of events',
          security: [{ writeKey: [] }],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['sentAt', 'events'] } }, 'text/plain': { schema: { type: 'string' } } } },
          responses: { '200': { description: 'Per-event results', content: { 'application/json': { schema: { type: 'object' } } } }, ...errors(400, 401, 403, 413, 415, 429, 503) },
        },
        options: { summary: 'CORS preflight of an allowed origin', security: [{ writeKey: [] }], responses: { '204': { description: 'Allowed' }, ...errors(401, 403) } },
      },
      '/v1/key': {
        get: {
          summary: 'The role and scope of the read key sent',
          description: `${roles('admin, creator, marketing')}. Tools such as \`waymark report --collector\` ask it what a key may see.`,
          security: secured,
          responses: { '200': { description: 'The key', content: { 'application/json': { schema: { $ref: '#/components/schemas/ReadKey' } } } }, ...errors(401, 429) },
        },
      },
      '/v1/failed-events/replay': {
        post: {
          summary: 'Validate failed events again and store those that now pass',
          description:
            `${roles('admin only')}. After a catalogue change (such as an event added with \`extendCatalogue\`), each selected failed event is ` +
            'checked against the collector\'s current catalogues, size and nesting limits; those that pass are stored as their payload has them ' +
            '(user id pseudonymised and URLs reduced when they were kept; device, country and visitor hash are not known) with ' +
            '`context.server.replayed = true`, and removed from the failed events. Events of erased subjects or without analytics consent are removed, not stored. ' +
            'A key bound to one site (`siteId`) replays that site\'s failed events only.',
          security: secured,
          requestBody: {
            required: false,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  additionalProperties: false,
                  properties: {
                    reason: { type: 'string', minLength: 1, maxLength: 500, description: 'Only failed events whose reason contains this text.' },
                    from: { type: 'string', format: 'date-time', description: 'Only failed events received at or after this time.' },
                    to: { type: 'string', format: 'date-time', description: 'Only failed events received before this time.' },
                  },
                },
              },
            },
          },
          responses: { '200': { description: 'Counts', content: { 'application/json': { schema: { $ref: '#/components/schemas/ReplayReport' } } } }, ...errors(400, 401, 403, 413, 415, 429, 503) },
        },
      },
      '/v1/query': {
        get: {
          summary: 'Aggregate counts over time',
          description:
            `${roles('admin, creator (own posts only), marketing')}. Counts of events, page views and sessions are weighted by 1 / sampleRate; visitors are distinct visitor hashes, not weighted. ` +
            `Rows come in pages of at most ${MAX_QUERY_ROWS}, ordered by bucket, then dimension value: while \`nextOffset\` is not null, ask again with \`offset=<nextOffset>\` for the next page.`,
          security: secured,
          parameters: [
            { name: 'metric', in: 'query', required: true, schema: { type: 'string', enum: [...metrics] } },
            { name: 'bucket', in: 'query', required: false, schema: { type: 'string', enum: [...buckets], default: 'day' } },
            time('from', 'Start, inclusive. Default: 30 days before `to`.'),
            time('to', 'End, exclusive. Default: now.'),
            { name: 'dimension', in: 'query', required: false, schema: { type: 'string', enum: Object.keys(dimensions) } },
            { name: 'filter', in: 'query', required: false, description: '`<dimension>:<value>`, repeatable (AND).', schema: { type: 'array', items: { type: 'string' } }, style: 'form', explode: true },
            { name: 'limit', in: 'query', required: false, description: 'Rows of this page.', schema: { type: 'integer', minimum: 1, maximum: MAX_QUERY_ROWS, default: MAX_QUERY_ROWS } },
            { name: 'offset', in: 'query', required: false, description: 'Rows to skip: the `nextOffset` of the previous page.', schema: { type: 'integer', minimum: 0, default: 0 } },
          ],
          responses: {
            '200': { description: 'One page of rows of { bucket, <dimension>?, value }', content: { 'application/json': { schema: { $ref: '#/components/schemas/QueryResult' } } } },
            ...errors(400, 401, 429, 503),
          },
        },
      },
      '/v1/events': {
        get: {
          summary: 'Export raw events',
          description: `${roles('admin, creator (own posts only); marketing gets 403')}. CSV cells are RFC 4180 quoted and formula-safe.`,
          security: secured,
          parameters: [
            time('from', 'Start, inclusive. Default: 30 days before `to`.'),
            time('to', 'End, exclusive. Default: now.'),
            { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['ndjson', 'csv'], default: 'ndjson' } },
            { name: 'order', in: 'query', required: false, schema: { type: 'string', enum: ['asc', 'desc'], default: 'asc' } },
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 100_000 } },
          ],
          responses: {
            '200': { description: 'One event per line, or CSV', content: { 'application/x-ndjson': { schema: { type: 'string' } }, 'text/csv': { schema: { type: 'string' } } } },
            ...errors(400, 401, 403, 429, 503),
          },
        },
      },
      '/v1/subjects/{id}/events': {
        get: {
          summary: 'Export everything stored about a subject (GDPR Art. 15 and 20)',
          description: `${roles('admin, creator (own posts only); marketing gets 403')}. A key bound to one site (\`siteId\`) exports that site's events only.`,
          security: secured,
          parameters: subjectParameters,
          responses: {
            '200': { description: 'NDJSON: stored events, then failed events', content: { 'application/x-ndjson': { schema: { type: 'string' } } } },
            ...errors(400, 401, 403, 429, 503),
          },
        },
      },
      '/v1/subjects/{id}': {
        delete: {
          summary: 'Erase a subject everywhere and suppress it (GDPR Art. 17)',
          description: `${roles('admin only')}. ${siteScope} Sinks are then not asked, since their \`erase\` would reach every site: the answer lists them with \`skipped\`.`,
          security: secured,
          parameters: subjectParameters,
          responses: {
            '200': { description: 'Erased', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErasureReport' } } } },
            ...errors(400, 401, 403, 429, 502, 503),
          },
        },
      },
      '/v1/erasures': {
        post: {
          summary: 'Erase up to 5000 subjects in the background',
          description: `${roles('admin only')}. Every subject is on the suppression list when the 202 is sent. ${siteScope} Sinks are then not asked.`,
          security: secured,
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['subjects'],
                  properties: {
                    subjects: {
                      type: 'array',
                      minItems: 1,
                      maxItems: 5000,
                      items: { type: 'object', required: ['type', 'id'], properties: { type: { type: 'string', enum: ['user', 'anonymous'] }, id: { type: 'string', minLength: 1, maxLength: 256 } } },
                    },
                  },
                },
              },
            },
          },
          responses: { '202': { description: 'Job created', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErasureJob' } } } }, ...errors(400, 401, 403, 413, 415, 429, 503) },
        },
      },
      '/v1/erasures/{job}': {
        get: {
          summary: 'Status of a bulk erasure job',
          description: `${roles('admin only')}. A key bound to one site sees that site's jobs only (another one's is a 404).`,
          security: secured,
          parameters: [{ name: 'job', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'The job', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErasureJob' } } } }, ...errors(401, 403, 404, 429) },
        },
      },
      '/v1/stream': {
        get: {
          summary: 'Server-Sent Events of newly stored events',
          description: roles('admin, creator (own posts only); marketing gets 403'),
          security: secured,
          responses: { '200': { description: 'text/event-stream of `stored` events', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...errors(401, 403, 429, 503) },
        },
      },
      '/health': {
        get: { summary: 'Liveness and queue depth', security: [], responses: { '200': { description: 'Up' }, '503': { description: 'Store closed or closing' } } },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          description: 'Needs an admin read key once read keys are configured. A key bound to one site (`siteId`) gets 403: the counters cover every site.',
          security: [{}, { readKey: [] }],
          responses: { '200': { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errors(401, 403, 429) },
        },
      },
      '/openapi.json': { get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } } },
      '/dashboard': { get: { summary: 'Live dashboard (HTML, strict CSP); asks for a read key in a form', security: [], responses: { '200': { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } } } },
      '/dashboard.js': { get: { summary: "The dashboard's script", security: [], responses: { '200': { description: 'JavaScript', content: { 'text/javascript': { schema: { type: 'string' } } } } } } },
    },
  };
}
