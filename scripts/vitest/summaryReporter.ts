import { mkdirSync, writeFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

/** Where the summary of the last run is written, for `scripts/test.mjs` to judge. */
export const summaryPath = '.waymark/test-summary.json';

/**
 * Counts passed, failed and skipped tests per project, names every skipped test with its reason,
 * and writes the counts to {@link summaryPath} so the test runner can fail CI on a skipped suite.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    const skipped: string[] = [];
    for (const testModule of testModules) {
      for (const test of testModule.children.allTests()) {
        const result = test.result();
        if (result.state === 'passed') passed++;
        else if (result.state === 'failed') failed++;
        else if (result.state === 'skipped') {
          const note = result.note ? ` (${result.note})` : '';
          skipped.push(`[${testModule.project.name}] ${test.fullName}${note}`);
        }
      }
    }
    mkdirSync('.waymark', { recursive: true });
    writeFileSync(summaryPath, JSON.stringify({ passed, failed, skipped }, null, 2));
  }
}
