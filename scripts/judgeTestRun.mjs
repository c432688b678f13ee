/**
 * Decides whether a test run passed, from the counts scripts/vitest/summaryReporter.ts wrote.
 * With `ci` true a skipped test fails the run: a required suite whose prerequisite is missing proves nothing.
 *
 * @param {{ passed: number, failed: number, skipped: string[] }} summary
 * @param {{ ci: boolean, stepsFailed: boolean }} options
 * @returns {{ ok: boolean, lines: string[] }} the verdict and the lines to print
 */
export function judgeTestRun(summary, { ci, stepsFailed }) {
  const lines = [];
  let ok = !stepsFailed && summary.failed === 0;
  if (summary.skipped.length > 0) {
    lines.push(`[waymark] skipped (${summary.skipped.length}):`, ...summary.skipped.map((name) => `  - ${name}`));
    if (ci) {
      lines.push('[waymark] CI=true and suites were skipped: install their prerequisites (see .ci/run).');
      ok = false;
    }
  }
  lines.push(`tests: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped.length} skipped`);
  return { ok, lines };
}
