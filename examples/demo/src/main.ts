// `npm start -w @waymark/example-demo`: the whole Waymark pipeline on this machine in one command (see README.md).
import { DemoUsageError, parseDemoOptions, usage } from './demoOptions';
import { runDemo } from './runDemo';

// The replayed readers run the blog's production build: the tracker's development checks are off, as in production.
process.env.NODE_ENV = 'production';

let options;
try {
  options = parseDemoOptions(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof DemoUsageError)) throw error;
  console.error(`[waymark] ${error.message}\n\n${usage}`);
  process.exit(1);
}
if (!options) {
  console.log(usage);
  process.exit(0);
}
process.exit(await runDemo(options));
