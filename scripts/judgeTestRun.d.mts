/** Counts written by scripts/vitest/summaryReporter.ts. */
export interface TestSummary {
  passed: number;
  failed: number;
  /** One line per skipped test, with its project and reason. */
  skipped: string[];
}

/** Decides whether a test run passed; with `ci` true a skipped test fails the run. */
export function judgeTestRun(summary: TestSummary, options: { ci: boolean; stepsFailed: boolean }): { ok: boolean; lines: string[] };
