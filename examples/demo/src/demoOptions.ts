import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** What one run of the demo does, from its command-line flags and environment. */
export interface DemoOptions {
  /** Replay, write the report, print a summary and exit, without serving anything afterwards. */
  headless: boolean;
  /** Seed of the synthetic readership: the same seed replays the same readers. */
  seed: number;
  /** Days of readership, ending today. */
  days: number;
  /** Visitors in the readership (readers, decliners, offline readers and crawlers). */
  visitors: number;
  /** Keep the demo store's events from earlier runs instead of starting empty. */
  append: boolean;
  host: string;
  /** Port of the example blog (and of the report at /report.html). */
  port: number;
  /** Port of the collector. */
  collectorPort: number;
  /** Folder of the demo store (`demo.duckdb`) and the report (`report.html`). */
  dir: string;
}

/** Defaults of the flags: a default run takes one to two minutes on a 2-core machine. */
export const demoDefaults = { seed: 7, days: 30, visitors: 2000, port: 5180, collectorPort: 8790 } as const;

/** The demo's own folder. */
/** The demo's folder (`examples/demo`). */
export const demoRoot = fileURLToPath(new URL('..', import.meta.url));

/** The text of `--help`. */
export const usage = `Usage: npm start -w @waymark/example-demo -- [flags]

Starts the reference collector on an embedded DuckDB store, serves the example blog wired to it, replays a seeded
synthetic readership through the real tracker and writes the HTML report.

  --headless             replay, write the report, print a summary and exit
  --seed <n>             seed of the synthetic readership (default ${demoDefaults.seed})
  --days <n>             days of readership ending today (default ${demoDefaults.days}, at most 90)
  --visitors <n>         visitors to replay (default ${demoDefaults.visitors})
  --append               keep the events of earlier runs (default: the demo store is reset)
  --port <n>             port of the blog, env PORT (default ${demoDefaults.port})
  --collector-port <n>   port of the collector, env COLLECTOR_PORT (default ${demoDefaults.collectorPort})
  --host <address>       address to listen on, env HOST (default 127.0.0.1)
  --dir <path>           folder of the demo store and report, env WAYMARK_DEMO_DIR (default examples/demo/.waymark)
  --help                 show this help`;

/** A mistake in the flags: printed with the usage, never with a stack trace. */
export class DemoUsageError extends Error {}

function integer(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new DemoUsageError(`--${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`);
  return n;
}

/** Reads the flags; `undefined` means `--help` was asked for. Throws {@link DemoUsageError} on a mistake. */
export function parseDemoOptions(args: string[], env: NodeJS.ProcessEnv = process.env): DemoOptions | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        headless: { type: 'boolean' },
        seed: { type: 'string' },
        days: { type: 'string' },
        visitors: { type: 'string' },
        append: { type: 'boolean' },
        port: { type: 'string' },
        'collector-port': { type: 'string' },
        host: { type: 'string' },
        dir: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new DemoUsageError((error as Error).message);
  }
  if (values.help) return undefined;
  const port = integer('port', values.port ?? env.PORT, demoDefaults.port, 1, 65535);
  const collectorPort = integer('collector-port', values['collector-port'] ?? env.COLLECTOR_PORT, demoDefaults.collectorPort, 1, 65535);
  if (port === collectorPort) throw new DemoUsageError(`--port and --collector-port are both ${port}: give them different ports`);
  return {
    headless: values.headless ?? false,
    seed: integer('seed', values.seed, demoDefaults.seed, 0, 2 ** 31 - 1),
    days: integer('days', values.days, demoDefaults.days, 1, 90),
    visitors: integer('visitors', values.visitors, demoDefaults.visitors, 1, 1_000_000),
    append: values.append ?? false,
    host: values.host ?? env.HOST ?? '127.0.0.1',
    port,
    collectorPort,
    dir: resolve(values.dir ?? env.WAYMARK_DEMO_DIR ?? resolve(demoRoot, '.waymark')),
  };
}
