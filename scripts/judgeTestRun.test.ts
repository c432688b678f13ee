import { describe, expect, it } from 'vitest';
import { judgeTestRun } from './judgeTestRun.mjs';

const skipped = ['[chromium] page exit in Chromium > delivers every event once (Chromium not found at /usr/bin/chromium)'];

describe('judgeTestRun', () => {
  it('passes locally with skipped suites and names each one with its reason', () => {
    const { ok, lines } = judgeTestRun({ passed: 10, failed: 0, skipped }, { ci: false, stepsFailed: false });
    expect(ok).toBe(true);
    expect(lines).toContain(`  - ${skipped[0]}`);
    expect(lines.at(-1)).toBe('tests: 10 passed, 0 failed, 1 skipped');
  });

  it('fails in CI when any suite was skipped', () => {
    const { ok, lines } = judgeTestRun({ passed: 10, failed: 0, skipped }, { ci: true, stepsFailed: false });
    expect(ok).toBe(false);
    expect(lines).toContain('[waymark] CI=true and suites were skipped: install their prerequisites (see .ci/run).');
  });

  it('fails on a failed test or a failed step, and passes a clean CI run', () => {
    expect(judgeTestRun({ passed: 9, failed: 1, skipped: [] }, { ci: false, stepsFailed: false }).ok).toBe(false);
    expect(judgeTestRun({ passed: 10, failed: 0, skipped: [] }, { ci: true, stepsFailed: true }).ok).toBe(false);
    expect(judgeTestRun({ passed: 10, failed: 0, skipped: [] }, { ci: true, stepsFailed: false }).ok).toBe(true);
  });
});
