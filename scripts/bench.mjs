#!/usr/bin/env node
// Runs every scripts/bench/*.bench.ts in turn. Each prints its figures next to a reference measured in the same run,
// because this machine is shared and noisy: ratios are what to compare, not absolute times.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const only = process.argv[2];
const benches = readdirSync('scripts/bench')
  .filter((file) => file.endsWith('.bench.ts') && (!only || file.includes(only)))
  .sort();
let failed = 0;
for (const file of benches) {
  console.log(`\n=== ${file} ===`);
  const result = spawnSync('npx', ['tsx', `scripts/bench/${file}`], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
