import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { RetryOptions, Sink } from '@waymark/sinks';
import { z } from 'zod';
import type { CollectorOptions } from './createCollector';

/** One mistake in the command line, the environment or the config file. */
export interface ConfigIssue {
  /** Where it is: `--port`, `WAYMARK_PORT`, or `waymark.config.json: sites[0].origins[1]`. */
  where: string;
  /** What is wrong and how to fix it. */
  message: string;
}

/** A forwarding sink as the config file names it: `{ "type": "postgres", "url": "postgres://…" }` and its options. */
export interface SinkConfig {
  /** The `@waymark/sinks/<type>` subpath whose factory builds it. */
  type: SinkType;
  /** Retries of a failed write (through `retryingSink`); off unless given. */
  retry?: RetryOptions;
  /** The factory's other options, checked against the type's schema. */
  [option: string]: unknown;
}

/** What `waymark serve` runs: where to listen, the collector's options and the sinks to build. */
export interface ServeConfig {
  /** TCP port; 0 picks a free one. @default 8787 */
  port: number;
  /** Address to listen on. @default '127.0.0.1' */
  host: string;
  /** The config file read, as an absolute path, or undefined when there was none. */
  configPath: string | undefined;
  /** Everything of {@link CollectorOptions} a JSON file can say (not `sinks`, which are {@link ServeConfig.sinks}). */
  collector: Omit<CollectorOptions, 'sinks' | 'catalogues' | 'isSuppressed' | 'logger' | 'now'> & { store: { path: string } };
  /** The forwarding sinks, in config order. */
  sinks: SinkConfig[];
  /**
   * The config's `rollups`: how often `waymark serve` (from `@waymark/report`) refreshes the report rollups in the
   * collector's store, or `false` for never. Absent when the file does not say; the command then refreshes every
   * 60 s. `waymark-collector serve` has no rollups to refresh and ignores it.
   */
  rollups?: { everySeconds?: number } | false;
}

/** The outcome of {@link loadConfig}: the config, or every mistake found. */
export type LoadConfigResult = { ok: true; config: ServeConfig } | { ok: false; issues: ConfigIssue[] };

/** Inputs of {@link loadConfig}; it touches nothing else, so each case is testable. */
export interface LoadConfigInput {
  /** The arguments after `serve`, such as `['--config', 'waymark.config.json', '--port', '8080']`. */
  argv: string[];
  /** The environment, usually `process.env`. */
  env: Record<string, string | undefined>;
  /** Reads a file as UTF-8; throws an error with `code: 'ENOENT'` when it does not exist. @default fs.readFileSync */
  readFile?: (path: string) => string;
  /** Directory that relative paths on the command line and in the environment start from. @default process.cwd() */
  cwd?: string;
}

/** The default config file, looked for in the working directory. */
export const DEFAULT_CONFIG_FILE = 'waymark.config.json';

/** Flags of `waymark serve`, with the environment variable that sets the same value. */
export const serveFlags = {
  config: { short: 'c', env: 'WAYMARK_CONFIG', value: '<file>', help: `JSON config file (default ./${DEFAULT_CONFIG_FILE} if present)` },
  port: { short: 'p', env: 'WAYMARK_PORT', value: '<port>', help: 'TCP port, 0 for a free one (default 8787)' },
  host: { short: undefined, env: 'WAYMARK_HOST', value: '<address>', help: 'address to listen on (default 127.0.0.1)' },
  store: { short: undefined, env: 'WAYMARK_STORE', value: '<file>', help: 'DuckDB file of the store (default ./waymark.duckdb)' },
  help: { short: 'h', env: undefined, value: undefined, help: 'show this help' },
} as const;

/** Environment variables without a flag: secrets stay out of the process list. */
export const serveEnvOnly = {
  WAYMARK_USER_ID_KEY: 'userIdKey: 64 hex characters pseudonymising user ids (openssl rand -hex 32)',
  WAYMARK_BOTS: 'bots: "flag" (default) or "drop"',
} as const;

const hexKey = /^[0-9a-f]{64}$/i;
const positiveInt = (what: string) => z.number().int(`must be a whole number of ${what}`).positive(`must be above 0 ${what}`);
const nonEmpty = z.string().min(1, 'must not be empty');
/** The longest delay a Node timer takes (2^31 - 1 ms, about 24.8 days); above it Node fires the timer after 1 ms. */
const MAX_TIMER_MS = 2_147_483_647;
const timerLimit = (unit: 'ms' | 'seconds') =>
  `must be at most ${unit === 'ms' ? MAX_TIMER_MS : Math.floor(MAX_TIMER_MS / 1000)} ${unit} (about 24.8 days), the longest a timer can wait`;

const originSchema = z.string().refine(
  (value) => {
    try {
      return new URL(value).origin === value;
    } catch {
      return false;
    }
  },
  { error: (issue) => `${JSON.stringify(issue.input)} is not an origin: write the scheme, host and port only, like "https://blog.example" or "http://localhost:3000"` },
);

const siteSchema = z.strictObject({
  id: nonEmpty,
  writeKey: nonEmpty,
  origins: z.array(originSchema).min(1, 'must list at least one origin, like ["https://blog.example"]'),
  allowMissingOrigin: z.boolean().optional(),
});

const retrySchema = z.strictObject({
  attempts: positiveInt('attempts').optional(),
  baseDelayMs: positiveInt('ms').optional(),
  maxDelayMs: positiveInt('ms').optional(),
  factor: z.number().min(1).optional(),
  jitter: z.boolean().optional(),
});

const httpUrl = z.string().refine((value) => /^https?:\/\/[^/]/.test(value), 'must be an http:// or https:// URL');

/** Each sink type: its options as the config writes them, the npm packages its driver needs, and how to build it. */
const sinkTypes = {
  postgres: {
    schema: z.strictObject({
      url: z.string().refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a URL like "postgres://user:password@127.0.0.1:5432/analytics"'),
      table: nonEmpty.optional(),
      poolSize: positiveInt('connections').optional(),
      createTable: z.boolean().optional(),
    }),
    drivers: ['pg', 'pg-copy-streams'],
    build: async ({ url, ...rest }: Record<string, unknown>) => (await import('@waymark/sinks/postgres')).postgresSink({ connectionString: url as string, ...rest }),
  },
  clickhouse: {
    schema: z.strictObject({
      url: httpUrl.optional(),
      database: nonEmpty.optional(),
      table: nonEmpty.optional(),
      username: nonEmpty.optional(),
      password: z.string().optional(),
      createTable: z.boolean().optional(),
      timeoutMs: positiveInt('ms').optional(),
    }),
    drivers: [],
    build: async (options: Record<string, unknown>) => (await import('@waymark/sinks/clickhouse')).clickhouseSink(options),
  },
  nats: {
    schema: z.strictObject({
      url: z.union([nonEmpty, z.array(nonEmpty).min(1)]).optional(),
      stream: nonEmpty.optional(),
      subjectPrefix: nonEmpty.optional(),
      createStream: z.boolean().optional(),
      duplicateWindowMs: positiveInt('ms').optional(),
      maxAgeMs: positiveInt('ms').optional(),
      maxInFlight: positiveInt('messages').optional(),
      timeoutMs: positiveInt('ms').optional(),
    }),
    drivers: ['@nats-io/jetstream', '@nats-io/transport-node'],
    build: async ({ url, ...rest }: Record<string, unknown>) =>
      (await import('@waymark/sinks/nats')).natsSink({ ...(url === undefined ? {} : { servers: url as string | string[] }), ...rest }),
  },
  http: {
    schema: z.strictObject({
      url: httpUrl,
      name: nonEmpty.optional(),
      headers: z.record(z.string(), z.string()).optional(),
      secret: nonEmpty.optional(),
      signatureHeader: nonEmpty.optional(),
      maxEvents: positiveInt('events').optional(),
      maxBytes: positiveInt('bytes').optional(),
      timeoutMs: positiveInt('ms').optional(),
    }),
    drivers: [],
    build: async (options: Record<string, unknown>) => (await import('@waymark/sinks/http')).httpSink(options as { url: string }),
  },
  file: {
    schema: z.strictObject({
      dir: nonEmpty,
      prefix: nonEmpty.optional(),
      maxBytes: positiveInt('bytes').optional(),
      maxAgeMs: positiveInt('ms').optional(),
      fsync: z.boolean().optional(),
    }),
    drivers: [],
    build: async (options: Record<string, unknown>) => (await import('@waymark/sinks/file')).fileSink(options as { dir: string }),
  },
  ga4: {
    schema: z.strictObject({ measurementId: nonEmpty, apiSecret: nonEmpty, endpoint: httpUrl.optional(), timeoutMs: positiveInt('ms').optional() }),
    drivers: [],
    build: async (options: Record<string, unknown>) =>
      (await import('@waymark/sinks/ga4')).ga4Sink(options as { measurementId: string; apiSecret: string }),
  },
  segment: {
    schema: z.strictObject({ writeKey: nonEmpty, endpoint: httpUrl.optional(), timeoutMs: positiveInt('ms').optional() }),
    drivers: [],
    build: async (options: Record<string, unknown>) => (await import('@waymark/sinks/segment')).segmentSink(options as { writeKey: string }),
  },
  posthog: {
    schema: z.strictObject({ apiKey: nonEmpty, host: httpUrl.optional(), timeoutMs: positiveInt('ms').optional() }),
    drivers: [],
    build: async (options: Record<string, unknown>) => (await import('@waymark/sinks/posthog')).posthogSink(options as { apiKey: string }),
  },
} satisfies Record<string, { schema: z.ZodObject; drivers: string[]; build: (options: Record<string, unknown>) => Promise<Sink> }>;

/** A sink type the config may name. */
export type SinkType = keyof typeof sinkTypes;

/** The sink types the config may name, in the order the help lists them. */
export const sinkTypeNames = Object.keys(sinkTypes) as SinkType[];

const sinkEntrySchema = z.looseObject({
  type: z.enum(sinkTypeNames as [SinkType, ...SinkType[]], {
    error: (issue) =>
      issue.input === undefined
        ? `is missing: say which sink this is, one of ${sinkTypeNames.join(', ')}`
        : `${JSON.stringify(issue.input)} is not a sink type; use one of ${sinkTypeNames.join(', ')}`,
  }),
  retry: retrySchema.optional(),
});

const rateLimitSchema = z.union([
  z.literal(false),
  z.strictObject({ perSecond: z.number().positive('must be above 0'), burst: positiveInt('requests').optional(), maxKeys: positiveInt('keys').optional() }),
]);

const readKeySchema = z
  .strictObject({
    name: nonEmpty,
    hash: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:" and 64 lower-case hex characters (see hashReadKey)').optional(),
    key: z.string().min(16, 'must be at least 16 characters: make one with `openssl rand -hex 32`').optional(),
    role: z.enum(['admin', 'creator', 'marketing'], { error: 'must be "admin", "creator" or "marketing"' }),
    authorId: nonEmpty.optional(),
    siteId: nonEmpty.optional(),
  })
  .refine((k) => (k.hash === undefined) !== (k.key === undefined), { message: 'give either "hash" or "key" (not both)' })
  .refine((k) => k.role !== 'creator' || k.authorId !== undefined, { message: 'a creator key needs "authorId"', path: ['authorId'] });

const configSchema = z.strictObject({
  $schema: z.string().optional(),
  port: z.number().int('must be a whole number').min(0, 'must be 0..65535').max(65535, 'must be 0..65535'),
  host: nonEmpty,
  store: z.strictObject({
    path: nonEmpty,
    memoryLimit: z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'must be a size such as "512MB" or "2GB"').optional(),
    threads: positiveInt('threads').optional(),
  }),
  userIdKey: z
    .string({ error: (issue) => (issue.input === undefined ? 'is missing: set WAYMARK_USER_ID_KEY to 64 hex characters (openssl rand -hex 32)' : undefined) })
    .regex(hexKey, 'must be 64 hex characters (32 bytes): make one with `openssl rand -hex 32`'),
  sites: z
    .array(siteSchema, { error: (issue) => (issue.input === undefined ? `is missing: list the sites that send events, like [{ "id": "blog", "writeKey": "wk_blog_public", "origins": ["https://blog.example"] }]` : undefined) })
    .min(1, 'must list at least one site'),
  sinks: z.array(sinkEntrySchema).optional(),
  trustedProxy: z.strictObject({ ipHeader: nonEmpty.optional(), countryHeader: nonEmpty.optional() }).optional(),
  keepQueryKeys: z.array(nonEmpty).optional(),
  bots: z.enum(['flag', 'drop'], { error: 'must be "flag" or "drop"' }).optional(),
  rateLimit: rateLimitSchema.optional(),
  readKeys: z.array(readKeySchema).optional(),
  readRateLimit: rateLimitSchema.optional(),
  retention: z
    .strictObject({
      months: positiveInt('months').optional(),
      intervalMs: z.number().int('must be a whole number of ms').min(0, 'must be 0 or more').max(MAX_TIMER_MS, timerLimit('ms')).optional(),
    })
    .optional(),
  limits: z
    .strictObject({ maxBodyBytes: positiveInt('bytes').optional(), maxEventBytes: positiveInt('bytes').optional(), maxDepth: positiveInt('levels').optional() })
    .optional(),
  dedupe: z.strictObject({ windowMs: positiveInt('ms').optional(), maxIds: positiveInt('ids').optional() }).optional(),
  commitWindowMs: z
    .number()
    .int('must be a whole number of ms')
    .min(0, 'must be 0 or more')
    .max(60_000, 'must be at most 60000 ms: every request waits up to that long before its commit')
    .optional(),
  // `waymark serve` turns everySeconds into the collector's `maintenance.everyMs`.
  rollups: z
    .union([z.literal(false), z.strictObject({ everySeconds: positiveInt('seconds').max(Math.floor(MAX_TIMER_MS / 1000), timerLimit('seconds')).optional() })])
    .optional(),
});

type Layer = Record<string, unknown>;

/** Edit distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      previous = saved;
    }
  }
  return row[b.length];
}

function suggest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of known) {
    const d = distance(word, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/** `sites[0].origins[1]` from a zod path. */
function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

/** The keys a strict object schema knows at `path`, for unknown-key hints. */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: z.ZodType | undefined = schema;
  for (const key of path) {
    if (!node) return [];
    while (node instanceof z.ZodOptional || node instanceof z.ZodUnion) {
      node = node instanceof z.ZodOptional ? (node.unwrap() as z.ZodType) : (node.options as z.ZodType[]).find((o) => o instanceof z.ZodObject);
    }
    if (node instanceof z.ZodArray) node = node.element as z.ZodType;
    else if (node instanceof z.ZodObject) node = node.shape[key as string] as z.ZodType | undefined;
    else return [];
  }
  while (node instanceof z.ZodOptional || node instanceof z.ZodUnion) {
    node = node instanceof z.ZodOptional ? (node.unwrap() as z.ZodType) : (node.options as z.ZodType[]).find((o) => o instanceof z.ZodObject);
  }
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

const typeNames: Record<string, string> = { number: 'a number', string: 'a string', boolean: 'true or false', object: 'an object', array: 'an array', int: 'a whole number' };

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value === 'string' ? 'a string' : typeof value === 'boolean' ? 'a boolean' : `a ${typeof value}`}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) node = node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined;
  return node;
}

/** Turns zod issues into one readable {@link ConfigIssue} each, naming where the value came from. */
function toIssues(
  issues: readonly z.core.$ZodIssue[],
  schema: z.ZodType,
  input: unknown,
  where: (path: readonly PropertyKey[]) => string,
  base: readonly PropertyKey[] = [],
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(schema, path).filter((k) => k !== '$schema');
      for (const key of issue.keys) {
        const hint = suggest(key, known);
        out.push({
          where: where([...path, key]),
          message: `unknown key${hint ? `; did you mean "${hint}"?` : '.'} Remove it, or use one of: ${known.join(', ')}`,
        });
      }
    } else if (issue.code === 'invalid_union') {
      // Keep the branch the value was meant for: the one that did not fail on the value's type itself.
      const meant = issue.errors.filter((branch) => !branch.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value')));
      if (meant.length === 1) out.push(...toIssues(meant[0], schema, input, where, path));
      else out.push({ where: where(path), message: `must be false or an object, got ${describe(valueAt(input, path))}` });
    } else if (issue.code === 'invalid_type' && !issue.message.startsWith('is missing')) {
      const got = valueAt(input, path);
      out.push({
        where: where(path),
        message:
          got === undefined
            ? `is missing: add it (${typeNames[issue.expected] ?? issue.expected})`
            : issue.expected === 'int'
              ? issue.message.startsWith('Invalid input') ? 'must be a whole number' : issue.message
              : `must be ${typeNames[issue.expected] ?? issue.expected}, got ${describe(got)}`,
      });
    } else {
      out.push({ where: where(path), message: issue.message.replace(/^Invalid input: /, '') });
    }
  }
  return out;
}

interface ParsedFlags {
  values: Partial<Record<Exclude<keyof typeof serveFlags, 'help'>, string>>;
  help: boolean;
  issues: ConfigIssue[];
}

const flagNames = Object.keys(serveFlags) as (keyof typeof serveFlags)[];

/** Parses `--port 8080`, `--port=8080`, `-p 8080`; collects every unknown or incomplete flag. */
export function parseServeFlags(argv: string[]): ParsedFlags {
  const parsed: ParsedFlags = { values: {}, help: false, issues: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const long = /^--([^=]+)(?:=(.*))?$/s.exec(arg);
    const short = long ? null : /^-([a-zA-Z])$/.exec(arg);
    const name = long ? long[1] : short ? flagNames.find((f) => serveFlags[f].short === short[1]) : undefined;
    if (!long && !short) {
      parsed.issues.push({ where: arg, message: '`waymark serve` takes no arguments, only flags: run `waymark serve --help`' });
      continue;
    }
    if (name === undefined || !(flagNames as string[]).includes(name)) {
      const hint = long ? suggest(long[1], flagNames) : undefined;
      parsed.issues.push({ where: arg, message: `unknown flag${hint ? `; did you mean --${hint}?` : '.'} Run \`waymark serve --help\` for the flags` });
      // Its value, if any, is not a stray argument of its own.
      if (long && long[2] === undefined && argv[i + 1] !== undefined && !argv[i + 1].startsWith('-')) i++;
      continue;
    }
    const flag = name as keyof typeof serveFlags;
    if (flag === 'help') {
      parsed.help = true;
      continue;
    }
    let value = long?.[2];
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-')) {
        parsed.issues.push({ where: `--${flag}`, message: `needs a value: --${flag} ${serveFlags[flag].value}` });
        continue;
      }
      value = next;
      i++;
    }
    parsed.values[flag] = value;
  }
  return parsed;
}

/** Replaces `${NAME}` in every string of the file with the environment variable, so secrets stay out of the file. */
function interpolate(value: unknown, env: LoadConfigInput['env'], path: PropertyKey[], issues: ConfigIssue[], where: (p: readonly PropertyKey[]) => string): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (match, name: string) => {
      const found = env[name];
      if (found === undefined) issues.push({ where: where(path), message: `refers to \${${name}}, which is not set: export ${name}=… before starting, or write the value itself` });
      return found ?? match;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, env, [...path, i], issues, where));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, env, [...path, key], issues, where)]));
  }
  return value;
}

/** JSON.parse's complaint with a line and column, and without the snippet of the file it quotes (it may hold a secret). */
function jsonProblem(text: string, error: Error): string {
  const message = error.message.replace(/, ".*" is not valid JSON$/s, '');
  const position = /position (\d+)/.exec(message);
  if (!position) return `${message}; look for a missing comma, quote or bracket, or a trailing comma`;
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${message.replace(/ in JSON at position \d+.*$/s, '')} at line ${line}, column ${column}`;
}

/**
 * Reads the `waymark serve` config: flags override environment variables, which override the JSON file. Validates
 * everything with one schema and returns every mistake at once, each naming where it is and how to fix it.
 * Never throws for a user mistake.
 * @example
 * ```ts
 * const result = loadConfig({ argv: ['--port', '8080'], env: process.env });
 * if (!result.ok) for (const { where, message } of result.issues) console.error(`${where}: ${message}`);
 * ```
 */
export function loadConfig({ argv, env, readFile = (path) => readFileSync(path, 'utf8'), cwd = process.cwd() }: LoadConfigInput): LoadConfigResult {
  const flags = parseServeFlags(argv);
  const issues: ConfigIssue[] = [...flags.issues];

  // Which layer each top-level key came from, to name it in messages.
  const origin = new Map<string, string>();
  const explicitPath = flags.values.config ?? env.WAYMARK_CONFIG;
  const configPath = resolve(cwd, explicitPath ?? DEFAULT_CONFIG_FILE);
  const fileLabel = explicitPath ?? DEFAULT_CONFIG_FILE;
  const fileWhere = (path: readonly PropertyKey[]) => (path.length === 0 ? fileLabel : `${fileLabel}: ${formatPath(path)}`);
  let file: Layer = {};
  let fileRead = false;
  let text: string | undefined;
  try {
    text = readFile(configPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' || explicitPath !== undefined) {
      issues.push({
        where: flags.values.config !== undefined ? '--config' : explicitPath !== undefined ? 'WAYMARK_CONFIG' : fileLabel,
        message:
          code === 'ENOENT'
            ? `no file at ${configPath}: check the path, or create it (see \`waymark serve --help\` for an example)`
            : `cannot be read (${code ?? (error as Error).message}): check its permissions`,
      });
    }
  }
  if (text !== undefined) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        issues.push({ where: fileLabel, message: `must hold a JSON object ({ "sites": [...] }), got ${describe(parsed)}` });
      } else {
        file = interpolate(parsed, env, [], issues, fileWhere) as Layer;
        fileRead = true;
      }
    } catch (error) {
      issues.push({ where: fileLabel, message: `is not valid JSON: ${jsonProblem(text, error as Error)}` });
    }
  }
  const fileDir = dirname(configPath);
  const merged: Layer = { port: 8787, host: '127.0.0.1', ...file };
  if (fileRead && typeof file.store === 'object' && file.store !== null && typeof (file.store as Layer).path === 'string') {
    // Paths in the file are relative to the file, wherever the command runs.
    merged.store = { ...(file.store as Layer), path: resolve(fileDir, (file.store as { path: string }).path) };
  }
  if (Array.isArray(file.sinks)) {
    merged.sinks = file.sinks.map((sink: unknown) =>
      sink !== null && typeof sink === 'object' && (sink as Layer).type === 'file' && typeof (sink as Layer).dir === 'string'
        ? { ...(sink as Layer), dir: resolve(fileDir, (sink as { dir: string }).dir) }
        : sink,
    );
  }
  const overlay = (key: string, value: unknown, label: string) => {
    merged[key] = value;
    origin.set(key, label);
  };
  const fromEnvOrFlag = (flag: 'port' | 'host' | 'store', apply: (value: string, label: string) => void) => {
    const envName = serveFlags[flag].env;
    if (flags.values[flag] !== undefined) apply(flags.values[flag]!, `--${flag}`);
    else if (env[envName] !== undefined && env[envName] !== '') apply(env[envName]!, envName);
  };
  fromEnvOrFlag('port', (value, label) => {
    if (/^\d+$/.test(value.trim())) overlay('port', Number(value.trim()), label);
    else issues.push({ where: label, message: `must be a port number 0..65535, got ${JSON.stringify(value)}` });
  });
  fromEnvOrFlag('host', (value, label) => overlay('host', value, label));
  fromEnvOrFlag('store', (value, label) => overlay('store', { path: resolve(cwd, value) }, label));
  if (merged.store === undefined) merged.store = { path: resolve(cwd, 'waymark.duckdb') };
  if (env.WAYMARK_USER_ID_KEY) overlay('userIdKey', env.WAYMARK_USER_ID_KEY, 'WAYMARK_USER_ID_KEY');
  if (env.WAYMARK_BOTS) overlay('bots', env.WAYMARK_BOTS, 'WAYMARK_BOTS');

  // A file that is there but unreadable would only add "missing" noise below: fix it first.
  if (text === undefined ? explicitPath !== undefined : !fileRead) return { ok: false, issues };
  if (text === undefined && file.sites === undefined) {
    issues.push({
      where: fileLabel,
      message: `not found in ${cwd}: create it with your sites (see \`waymark serve --help\` for an example), or pass --config <file>`,
    });
  }
  const where = (path: readonly PropertyKey[]) => {
    const label = origin.get(String(path[0]));
    if (label) return label;
    if (path.length === 1 && path[0] === 'userIdKey' && file.userIdKey === undefined) return 'WAYMARK_USER_ID_KEY';
    if (path.length === 1 && path[0] === 'sites' && text === undefined) return fileLabel;
    return fileWhere(path);
  };
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const found = toIssues(result.error.issues, configSchema, merged, where);
    // Without a file, "sites is missing" only repeats the not-found issue above.
    issues.push(...(text === undefined ? found.filter((i) => !(i.where === fileLabel && i.message.startsWith('is missing'))) : found));
  }

  const sinks: SinkConfig[] = [];
  if (Array.isArray(merged.sinks)) {
    merged.sinks.forEach((entry: unknown, i) => {
      const type = (entry as Layer | null)?.type;
      if (typeof type !== 'string' || !(type in sinkTypes)) return; // reported by the entry schema
      const { type: _type, retry, ...options } = entry as Layer;
      const checked = sinkTypes[type as SinkType].schema.safeParse(options);
      if (!checked.success) {
        issues.push(...toIssues(checked.error.issues, sinkTypes[type as SinkType].schema, options, (path) => fileWhere(['sinks', i, ...path])));
      } else {
        sinks.push({ type: type as SinkType, ...(retry === undefined ? {} : { retry: retry as RetryOptions }), ...checked.data });
      }
    });
  }
  if (result.success) {
    const sites = result.data.sites;
    const seenKeys = new Map<string, number>();
    const seenIds = new Map<string, number>();
    sites.forEach((site, i) => {
      if (seenIds.has(site.id)) issues.push({ where: fileWhere(['sites', i, 'id']), message: `"${site.id}" is already the id of sites[${seenIds.get(site.id)}]: give each site its own id` });
      else seenIds.set(site.id, i);
      if (seenKeys.has(site.writeKey)) issues.push({ where: fileWhere(['sites', i, 'writeKey']), message: `is the same as sites[${seenKeys.get(site.writeKey)}].writeKey: give each site its own write key` });
      else seenKeys.set(site.writeKey, i);
    });
  }
  if (issues.length > 0 || !result.success) return { ok: false, issues };

  const { port, host, $schema: _schema, sinks: _sinks, rollups, ...collector } = result.data;
  return { ok: true, config: { port, host, configPath: fileRead ? configPath : undefined, collector, sinks, ...(rollups === undefined ? {} : { rollups }) } };
}

/** A failure the CLI reports as one message, without a stack: `exitCode` 2 for usage errors, 1 for runtime ones. */
export class CliError extends Error {
  /** The process exit code to end with. */
  readonly exitCode: 1 | 2;

  constructor(message: string, exitCode: 1 | 2, options?: { cause?: unknown }) {
    super(message.startsWith('[waymark]') ? message : `[waymark] ${message}`, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Loads a sink module; the default imports `@waymark/sinks/<type>`. */
export type SinkLoader = (type: SinkType, options: Record<string, unknown>) => Promise<Sink>;

/**
 * Builds the configured sinks, importing each `@waymark/sinks/<type>` only when the config uses it, so an unused
 * driver is never required. A missing driver or an option the factory refuses becomes a {@link CliError} naming
 * the sink and the fix.
 */
export async function createSinks(configs: SinkConfig[], load: SinkLoader = (type, options) => sinkTypes[type].build(options)): Promise<Sink[]> {
  const { retryingSink } = await import('@waymark/sinks');
  const sinks: Sink[] = [];
  for (const [i, { type, retry, ...options }] of configs.entries()) {
    let sink: Sink;
    try {
      sink = await load(type, options);
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      const missing = err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND' ? /Cannot find (?:package|module) '([^']+)'/.exec(err.message)?.[1] : undefined;
      const drivers: readonly string[] = sinkTypes[type].drivers;
      if (missing !== undefined) {
        const install = drivers.length > 0 ? drivers.join(' ') : missing;
        throw new CliError(`sinks[${i}] (${type}): the package "${missing}" is not installed. Install the driver with: npm i ${install}`, 1, { cause: error });
      }
      if ((error as { code?: string }).code === 'invalid_option') throw new CliError(`sinks[${i}] (${type}): ${err.message.replace(/^\[waymark\] /, '')}`, 2, { cause: error });
      throw error;
    }
    sinks.push(retry ? retryingSink(sink, retry) : sink);
  }
  return sinks;
}
