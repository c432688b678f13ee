import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { eventColumns, subjectIds, toEventRow } from './eventRow';
import type { EventRow } from './eventRow';
import { isolateFailures } from './isolateFailures';
import type { FailedEvent, Sink, SinkEvent, Subject, WriteResult } from './sink';
import { invalidOption, SinkError } from './sinkError';
import { failAll, messageOf } from './writeResult';

/** Options of {@link postgresSink}. Give `connectionString` or `pool`. */
export interface PostgresSinkOptions {
  /** A libpq URL such as `postgres://user:password@127.0.0.1:5432/analytics`. The sink opens its own pool. */
  connectionString?: string;
  /** A pool you manage; the sink never ends it. */
  pool?: pg.Pool;
  /** Table name, optionally schema-qualified (`analytics.events`). @default 'waymark_events' */
  table?: string;
  /** Create the table and its indexes when missing. @default true */
  createTable?: boolean;
  /** Connections in the pool the sink opens. @default 4 */
  poolSize?: number;
}

const identifierPattern = /^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$/;

/** The `CREATE TABLE` statement of the sink's table, for migrations you run yourself. */
export function postgresTableSql(table = 'waymark_events'): string {
  const index = table.replace('.', '_');
  return `CREATE TABLE IF NOT EXISTS ${table} (
  id text PRIMARY KEY,
  type text NOT NULL,
  name text NOT NULL,
  schema text NOT NULL,
  timestamp timestamptz NOT NULL,
  received_at timestamptz,
  anonymous_id text NOT NULL,
  user_id text,
  session_id text NOT NULL,
  page_path text NOT NULL,
  page_route text,
  page_referrer text,
  country text,
  locale text,
  screen text,
  utm_source text,
  utm_medium text,
  utm_campaign text,
  sample_rate double precision NOT NULL,
  properties jsonb NOT NULL,
  traits jsonb,
  context jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS ${index}_timestamp_idx ON ${table} (timestamp);
CREATE INDEX IF NOT EXISTS ${index}_anonymous_id_idx ON ${table} (anonymous_id);
CREATE INDEX IF NOT EXISTS ${index}_user_id_idx ON ${table} (user_id) WHERE user_id IS NOT NULL;`;
}

// COPY text format: backslash, tab, newline and carriage return are escaped; \N is NULL.
function copyText(value: string | number | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : value;
}

function copyLine(row: EventRow): string {
  let line = '';
  for (let i = 0; i < eventColumns.length; i++) {
    const column = eventColumns[i];
    const value = row[column];
    const text = (column === 'timestamp' || column === 'received_at') && value !== null ? new Date(value as number).toISOString() : value;
    line += (i === 0 ? '' : '\t') + copyText(text as string | number | null);
  }
  return `${line}\n`;
}

const retryableNodeCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Connection loss, server shutdown, overload, serialization conflicts: the same batch may succeed later. */
function isRetryablePg(error: unknown): boolean {
  const state = sqlState(error);
  if (state) return /^(08|53|57P0|40001|40P01|55P03)/.test(state);
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && retryableNodeCodes.has(code)) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable|timeout exceeded/i.test(messageOf(error));
}

/** Values the server refused (class 22 data exceptions, class 23 constraint violations). */
function isDataError(error: unknown): boolean {
  return /^(22|23)/.test(sqlState(error) ?? '');
}

/**
 * Writes events to PostgreSQL with `COPY` into a per-connection temporary table, then
 * `INSERT ... SELECT ... ON CONFLICT (id) DO NOTHING`, in one transaction: bulk speed, and a retried
 * batch never duplicates an event. `properties`, `traits` and `context` are `jsonb`. Needs `pg` and `pg-copy-streams`.
 * @example
 * ```ts
 * import { postgresSink } from '@waymark/sinks/postgres';
 * const sink = postgresSink({ connectionString: process.env.DATABASE_URL });
 * await sink.write(events);
 * ```
 */
export function postgresSink(options: PostgresSinkOptions): Sink {
  const { table = 'waymark_events', createTable = true } = options ?? {};
  if (!options?.pool && !options?.connectionString) {
    invalidOption('postgresSink', 'connectionString', "or `pool` is required: postgresSink({ connectionString: 'postgres://user:pass@127.0.0.1:5432/db' })");
  }
  if (!identifierPattern.test(table)) invalidOption('postgresSink', 'table', `must be a lower-case SQL identifier such as "waymark_events" or "analytics.events", got ${JSON.stringify(table)}`);
  const ownsPool = !options.pool;
  const pool =
    options.pool ?? new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? 4, connectionTimeoutMillis: 10_000 });
  // An idle connection that the server drops must not crash the process; the next checkout reconnects.
  if (ownsPool) pool.on('error', () => undefined);
  const staging = `waymark_staging_${table.replace('.', '_')}`;
  const columns = eventColumns.join(', ');
  const preparedClients = new WeakSet<pg.PoolClient>();
  let ready: Promise<void> | undefined;

  function unavailable(error: unknown): SinkError {
    return new SinkError('unavailable', `postgresSink: ${messageOf(error)}`, { cause: error });
  }

  async function ensureTable() {
    if (!createTable) return;
    ready ??= pool.query(postgresTableSql(table)).then(
      () => undefined,
      (error: unknown) => {
        ready = undefined;
        throw error;
      },
    );
    await ready;
  }

  async function copyBatch(client: pg.PoolClient, lines: string[]) {
    if (!preparedClients.has(client)) {
      // A connection lost between two queries is emitted on the client; the next query reports it instead.
      client.on('error', () => undefined);
      await client.query(`CREATE TEMP TABLE IF NOT EXISTS ${staging} (LIKE ${table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`);
      preparedClients.add(client);
    }
    await client.query('BEGIN');
    try {
      const copy = client.query(copyStreams.from(`COPY ${staging} (${columns}) FROM STDIN`));
      await pipeline(Readable.from(lines), copy);
      await client.query(`INSERT INTO ${table} (${columns}) SELECT ${columns} FROM ${staging} ON CONFLICT (id) DO NOTHING`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  async function write(events: readonly SinkEvent[]): Promise<WriteResult> {
    const failed: FailedEvent[] = [];
    const items: { event: SinkEvent; line: string }[] = [];
    for (const event of events) {
      try {
        items.push({ event, line: copyLine(toEventRow(event)) });
      } catch (error) {
        failed.push({ event, reason: `[waymark] postgresSink: ${messageOf(error)}` });
      }
    }
    if (items.length === 0) return { written: 0, skipped: 0, failed };
    let client: pg.PoolClient | undefined;
    let broken = false;
    try {
      await ensureTable();
      client = await pool.connect();
      const held = client;
      const result = await isolateFailures(items, {
        sink: 'postgresSink',
        isDataError,
        write: (group) => copyBatch(held, group.map((item) => item.line)),
      });
      return { written: result.written, skipped: 0, failed: [...failed, ...result.failed] };
    } catch (error) {
      if (isRetryablePg(error)) {
        broken = true;
        throw unavailable(error);
      }
      return { written: 0, skipped: 0, failed: [...failed, ...failAll(items.map((i) => i.event), `[waymark] postgresSink: ${messageOf(error)}`)] };
    } finally {
      client?.release(broken);
    }
  }

  return {
    name: 'postgres',
    write: (events) => (events.length === 0 ? Promise.resolve({ written: 0, skipped: 0, failed: [] }) : write(events)),
    async erase(subject: Subject) {
      const ids = subjectIds('postgresSink', subject);
      try {
        const result = await pool.query(`DELETE FROM ${table} WHERE user_id = $1 OR anonymous_id = $2`, [ids.userId ?? null, ids.anonymousId ?? null]);
        return { deleted: result.rowCount ?? 0 };
      } catch (error) {
        if (isRetryablePg(error)) throw unavailable(error);
        throw new SinkError('rejected', `postgresSink: erase failed: ${messageOf(error)}`, { cause: error });
      }
    },
    async close() {
      if (ownsPool) await pool.end();
    },
  };
}
