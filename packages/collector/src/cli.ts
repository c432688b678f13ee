// The `waymark-collector` command; the build adds the shebang. `waymark` (from @waymark/report) runs the same
// `serve` with the report rollups turned on.
import { runCollectorCli } from './runCollectorCli';

runCollectorCli(process.argv.slice(2)).then((code) => process.exit(code));
