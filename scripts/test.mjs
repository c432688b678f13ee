#!/usr/bin/env node
// Runs every suite (build, typecheck, unit, types, production mode, real Chromium, packaging, size) and judges the result:
// with CI=true a skipped test is a failure, because a skipped required suite proves nothing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { judgeTestRun } from './judgeTestRun.mjs';

const ci = process.env.CI === 'true' || process.env.CI === '1';
const summaryPath = '.waymark/test-summary.json';
const extraArgs = process.argv.slice(2);

function run(label, command, args) {
  console.log(`\n[waymark] ${label}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: process.env });
  return result.status ?? 1;
}

let exitCode = 0;
if (run('build', 'npx', ['rollup', '-c', '--silent']) !== 0) {
  console.error('[waymark] the build failed; the suites that test built packages cannot run.');
  process.exit(1);
}
if (extraArgs.length === 0 && run('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']) !== 0) exitCode = 1;
rmSync(summaryPath, { force: true });
if (run('tests', 'npx', ['vitest', 'run', ...extraArgs]) !== 0) exitCode = 1;
if (extraArgs.length === 0 && run('bundle size', 'npx', ['size-limit', '--config', 'size-limit.json']) !== 0) exitCode = 1;

if (!existsSync(summaryPath)) {
  console.error('[waymark] vitest wrote no summary: the run did not finish.');
  process.exit(1);
}
const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
const { ok, lines } = judgeTestRun(summary, { ci, stepsFailed: exitCode !== 0 });
console.log(`\n${lines.join('\n')}`);
process.exit(ok ? 0 : 1);
