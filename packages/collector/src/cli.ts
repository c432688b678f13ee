// The `waymark` command; the build adds the shebang. Each subcommand is one entry of `commands`; user mistakes
// print one message and exit 2, runtime failures exit 1, and neither prints a stack trace.
import { createRequire } from 'node:module';
import { createCollector } from './createCollector';
import type { Collector } from './createCollector';
import { CliError, DEFAULT_CONFIG_FILE, createSinks, loadConfig, serveEnvOnly, serveFlags, sinkTypeNames } from './loadConfig';
import { serve } from './node';
import type { CollectorServer } from './node';

interface Command {
  summary: string;
  help: () => string;
  run: (args: string[]) => Promise<number>;
}

const exampleConfig = `{
  "sites": [
    { "id": "blog", "writeKey": "wk_blog_public", "origins": ["https://blog.example", "http://localhost:3000"] }
  ],
  "store": { "path": "./waymark.duckdb" },
  "sinks": [
    { "type": "postgres", "url": "\${DATABASE_URL}", "retry": { "attempts": 5 } }
  ]
}`;

function serveHelp(): string {
  const flags = Object.entries(serveFlags).map(([name, flag]) => {
    const left = `${flag.short ? `-${flag.short}, ` : '    '}--${name}${flag.value ? ` ${flag.value}` : ''}`;
    return `  ${left.padEnd(26)}${flag.help}${flag.env ? ` [${flag.env}]` : ''}`;
  });
  const env = Object.entries(serveEnvOnly).map(([name, help]) => `  ${name.padEnd(26)}${help}`);
  return `Usage: waymark serve [flags]

Starts the collector: POST /v1/batch, GET /health, GET /metrics. Events are committed to a DuckDB file, then
forwarded to the sinks the config lists. Flags override environment variables, which override the config file.
Stop it with Ctrl-C or SIGTERM: it commits what is in flight and closes the store.

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

function version(): string {
  // Both src/ and dist/ sit one level below package.json.
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

function mainHelp(): string {
  const list = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(10)}${command.summary}`);
  return `Usage: waymark <command> [flags]

Commands:
${list.join('\n')}

Flags:
  -h, --help       show help (also \`waymark <command> --help\`)
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

async function runServe(args: string[]): Promise<number> {
  const loaded = loadConfig({ argv: args, env: process.env });
  if (!loaded.ok) {
    const count = loaded.issues.length;
    console.error(`[waymark] serve: ${count} ${count === 1 ? 'problem' : 'problems'} to fix:`);
    for (const { where, message } of loaded.issues) console.error(`  - ${where}: ${message}`);
    console.error('Run `waymark serve --help` for the flags, variables and an example config.');
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
  let collector: Collector;
  try {
    collector = createCollector({ ...config.collector, sinks });
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
      `(store ${config.collector.store.path}${names.length > 0 ? `; forwarding to ${names.join(', ')}` : ''}${config.configPath ? `; config ${config.configPath}` : ''})`,
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

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    if (topic !== undefined && commands[topic]) console.log(commands[topic].help());
    else console.log(mainHelp());
    return first === undefined ? 2 : 0;
  }
  if (first === '-v' || first === '--version') {
    console.log(version());
    return 0;
  }
  const command = commands[first];
  if (!command) {
    console.error(`[waymark] unknown command "${first}": use one of ${Object.keys(commands).join(', ')} (waymark --help)`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.help());
    return 0;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof CliError) {
      console.error(error.message);
      process.exit(error.exitCode);
    }
    console.error('[waymark] unexpected error; please report it with this trace:', error);
    process.exit(1);
  },
);
