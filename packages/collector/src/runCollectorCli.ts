// The collector's command line, shared by the `waymark-collector` bin and `waymark serve` of `@waymark/report`.
// Each subcommand is one entry of `commands`; user mistakes print one message and exit 2, runtime failures exit 1,
// and neither prints a stack trace.
import { createRequire } from 'node:module';
import type { DuckDBConnection } from '@duckdb/node-api';
import { createCollector } from './createCollector';
import type { Collector } from './createCollector';
import { CliError, DEFAULT_CONFIG_FILE, createSinks, loadConfig, serveEnvOnly, serveFlags, sinkTypeNames } from './loadConfig';
import type { CollectorServer } from './node';

/** Options of {@link runCollectorCli}. */
export interface CollectorCliOptions {
  /** The command's name in help and messages. @default 'waymark-collector' */
  name?: string;
  /**
   * Refreshes the report rollups on the store's maintenance connection. `serve` runs it every
   * `rollups.everySeconds` of the config (default 60; `"rollups": false` turns it off) while the collector runs.
   * The collector does not import `@waymark/report`: the `waymark` command of `@waymark/report` passes its
   * `refreshRollups` here. Without it the config's `rollups` is ignored.
   * @default undefined
   */
  refreshRollups?: (connection: DuckDBConnection) => Promise<unknown>;
}

interface Command {
  summary: string;
  help: (name: string, options: CollectorCliOptions) => string;
  run: (args: string[], options: CollectorCliOptions) => Promise<number>;
}

const DEFAULT_ROLLUP_SECONDS = 60;

const exampleConfig = `{
  "sites": [
    { "id": "blog", "writeKey": "wk_blog_public", "origins": ["https://blog.example", "http://localhost:3000"] }
  ],
  "store": { "path": "./waymark.duckdb" },
  "sinks": [
    { "type": "postgres", "url": "\${DATABASE_URL}", "retry": { "attempts": 5 } }
  ]
}`;

function serveHelp(name: string, options: CollectorCliOptions): string {
  const flags = Object.entries(serveFlags).map(([name, flag]) => {
    const left = `${flag.short ? `-${flag.short}, ` : '    '}--${name}${flag.value ? ` ${flag.value}` : ''}`;
    return `  ${left.padEnd(26)}${flag.help}${flag.env ? ` [${flag.env}]` : ''}`;
  });
  const env = Object.entries(serveEnvOnly).map(([name, help]) => `  ${name.padEnd(26)}${help}`);
  const rollups = options.refreshRollups
    ? `\nReport rollups: while it runs, the collector refreshes the rollup tables reports read (waymark_facts,
waymark_daily, …) every 60 s, on its own connection and never during an erasure. Set "rollups": { "everySeconds": 300 }
in the config to change the interval, or "rollups": false to turn it off.
`
    : '';
  return `Usage: ${name} serve [flags]

Starts the collector: POST /v1/batch, GET /health, GET /metrics. Events are committed to a DuckDB file, then
forwarded to the sinks the config lists. Flags override environment variables, which override the config file.
Stop it with Ctrl-C or SIGTERM: it commits what is in flight and closes the store.
${rollups}
Flags:
${flags.join('\n')}

Environment only (keeps secrets out of the process list):
${env.join('\n')}

Config file (${DEFAULT_CONFIG_FILE}); its keys are createCollector's options, paths are relative to the file,
and "\${NAME}" in a string is replaced by the environment variable NAME:
${exampleConfig.replace(/^/gm, '  ')}

Sink types: ${sinkTypeNames.join(', ')} (each from @waymark/sinks/<type>; postgres needs
\`npm i pg pg-copy-streams\`, nats needs \`npm i @nats-io/jetstream @nats-io/transport-node\`).

Exit codes: 0 stopped cleanly, 1 runtime failure (port in use, store locked, driver missing), 2 usage error.`;
}

const commands: Record<string, Command> = {
  serve: { summary: 'run the collector from a config file and environment variables', help: serveHelp, run: runServe },
};

/** The collector's subcommands and their one-line summaries, for a parent command's help. */
export const collectorCommands: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(commands).map(([name, c]) => [name, c.summary]));

function version(): string {
  // Both src/ and dist/ sit one level below package.json.
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

function mainHelp(name: string): string {
  const list = Object.entries(commands).map(([command, { summary }]) => `  ${command.padEnd(10)}${summary}`);
  return `Usage: ${name} <command> [flags]

Commands:
${list.join('\n')}

Flags:
  -h, --help       show help (also \`${name} <command> --help\`)
  -v, --version    print the version`;
}

/** Why the store did not open, said without DuckDB's internals. */
function storeError(error: unknown, path: string): CliError {
  const message = error instanceof Error ? error.message : String(error);
  const pid = /PID (\d+)/.exec(message)?.[1];
  if (/lock/i.test(message)) {
    return new CliError(
      `the store ${path} is open in another process${pid ? ` (PID ${pid})` : ''}. Only one process may write a DuckDB file: stop the other one, or give this one its own file with --store <file>`,
      1,
      { cause: error },
    );
  }
  return new CliError(`the store ${path} cannot be opened: ${message.split('\n')[0]}. Check the path and its permissions, or pick another with --store <file>`, 1, { cause: error });
}

/** Why the server did not listen, naming the flag that fixes it. */
function listenError(error: unknown, port: number, host: string): CliError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new CliError(`port ${port} on ${host} is already in use: stop the process using it, or pick another port with --port <port> (or WAYMARK_PORT)`, 1, { cause: error });
  if (code === 'EACCES') return new CliError(`port ${port} needs privileges this process does not have: use a port above 1023 with --port <port>, behind a proxy`, 1, { cause: error });
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new CliError(`cannot listen on ${host}: it is not an address of this machine; use --host 127.0.0.1 (or WAYMARK_HOST)`, 1, { cause: error });
  return new CliError(`cannot listen on ${host}:${port}: ${(error as Error).message}`, 1, { cause: error });
}

async function runServe(args: string[], options: CollectorCliOptions): Promise<number> {
  const loaded = loadConfig({ argv: args, env: process.env });
  if (!loaded.ok) {
    const count = loaded.issues.length;
    console.error(`[waymark] serve: ${count} ${count === 1 ? 'problem' : 'problems'} to fix:`);
    for (const { where, message } of loaded.issues) console.error(`  - ${where}: ${message}`);
    console.error(`Run \`${options.name ?? 'waymark-collector'} serve --help\` for the flags, variables and an example config.`);
    return 2;
  }
  const { config } = loaded;
  // A signal during start-up is honoured once the store is open, so the lock is always released.
  let stop: (signal: NodeJS.Signals) => void = () => undefined;
  const stopped = new Promise<NodeJS.Signals>((resolve) => (stop = resolve));
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      console.error(`[waymark] ${signal}: committing what is in flight and closing the store (send it again to quit at once)`);
      stop(signal);
    } else {
      console.error('[waymark] quitting without closing the store; DuckDB replays its write-ahead log on the next start');
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const sinks = await createSinks(config.sinks);
  const refresh = options.refreshRollups;
  const rollupSeconds = config.rollups === false || !refresh ? undefined : (config.rollups?.everySeconds ?? DEFAULT_ROLLUP_SECONDS);
  let collector: Collector;
  try {
    collector = createCollector({
      ...config.collector,
      sinks,
      ...(rollupSeconds === undefined ? {} : { maintenance: { everyMs: rollupSeconds * 1000, run: refresh! } }),
    });
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('[waymark]')) throw new CliError(error.message, 2, { cause: error });
    throw error;
  }
  try {
    await collector.ready();
  } catch (error) {
    await collector.close().catch(() => undefined);
    throw storeError(error, config.collector.store.path);
  }
  // Imported here: node.ts re-exports this module, and a static import back would be a cycle.
  const { serve } = await import('./node');
  let server: CollectorServer;
  try {
    server = await serve(collector, { port: config.port, hostname: config.host });
  } catch (error) {
    await collector.close().catch(() => undefined);
    throw listenError(error, config.port, config.host);
  }
  const names = config.sinks.map((s) => s.type);
  console.log(
    `[waymark] collector listening on http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${server.port} ` +
      `(store ${config.collector.store.path}${names.length > 0 ? `; forwarding to ${names.join(', ')}` : ''}` +
      `${rollupSeconds === undefined ? '' : `; report rollups every ${rollupSeconds} s`}${config.configPath ? `; config ${config.configPath}` : ''})`,
  );
  await stopped;
  try {
    await server.close();
  } catch (error) {
    throw new CliError(`closing failed: ${(error as Error).message}`, 1, { cause: error });
  }
  console.error('[waymark] stopped');
  return 0;
}

async function main(argv: string[], name: string, options: CollectorCliOptions): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    if (topic !== undefined && Object.hasOwn(commands, topic)) console.log(commands[topic].help(name, options));
    else console.log(mainHelp(name));
    return first === undefined ? 2 : 0;
  }
  if (first === '-v' || first === '--version') {
    console.log(version());
    return 0;
  }
  const command = Object.hasOwn(commands, first) ? commands[first] : undefined;
  if (!command) {
    console.error(`[waymark] unknown command "${first}": use one of ${Object.keys(commands).join(', ')} (${name} --help)`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.help(name, options));
    return 0;
  }
  return command.run(rest, options);
}

/**
 * Runs the collector's command line (`serve`, `--help`, `--version`) and resolves with the exit code: 0 done,
 * 1 runtime failure (port in use, store locked, driver missing), 2 usage error. User mistakes print one message
 * to stderr, never a stack trace. The `waymark-collector` bin and `waymark serve` of `@waymark/report` run it.
 * @example
 * ```ts
 * import { runCollectorCli } from '@waymark/collector/node';
 * process.exitCode = await runCollectorCli(['serve', '--port', '8787']);
 * ```
 */
export async function runCollectorCli(argv: readonly string[], options: CollectorCliOptions = {}): Promise<number> {
  const name = options.name ?? 'waymark-collector';
  try {
    return await main([...argv], name, options);
  } catch (error) {
    if (error instanceof CliError) {
      console.error(error.message);
      return error.exitCode;
    }
    console.error('[waymark] unexpected error; please report it with this trace:', error);
    return 1;
  }
}
