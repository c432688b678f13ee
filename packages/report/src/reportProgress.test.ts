import { describe, expect, it } from 'vitest';
import { createReportProgress } from './reportProgress';

/** A stream that keeps what is written; a terminal when `tty` is set. */
function capture(tty: boolean) {
  const chunks: string[] = [];
  return {
    chunks,
    text: () => chunks.join(''),
    stream: { isTTY: tty, columns: 100, write: (text: string) => chunks.push(text) > 0 },
  };
}

describe('createReportProgress', () => {
  it('prints plain lines without a terminal, at most one per interval and always the last step', () => {
    let clock = 0;
    const out = capture(false);
    const progress = createReportProgress({ stream: out.stream, delayMs: 100, lineEveryMs: 1000, now: () => clock });
    progress.update(1, 4, 'overview');
    clock = 150;
    progress.update(2, 4, 'content-by-post');
    clock = 400;
    progress.update(3, 4, 'funnel-read-to-click');
    clock = 500;
    progress.update(4, 4, 'data-quality');
    progress.stop();
    expect(out.text()).toBe('[waymark] 2/4 queries (content-by-post)\n[waymark] 4/4 queries (data-quality)\n');
    expect(out.text()).not.toContain('\u001b[');
  });

  it('draws a bar on a terminal and clears it when done', () => {
    let clock = 0;
    const out = capture(true);
    const progress = createReportProgress({ stream: out.stream, delayMs: 0, now: () => clock });
    progress.update(1, 10, 'overview');
    clock = 50;
    progress.update(5, 10, 'segment-device');
    progress.stop();
    const text = out.text();
    expect(text).toContain('[waymark] ');
    expect(text).toContain('1/10 queries overview');
    expect(text).toMatch(/\u001b\[/);
  });

  it('shows nothing for a run shorter than the delay', () => {
    let clock = 0;
    for (const tty of [true, false]) {
      const out = capture(tty);
      const progress = createReportProgress({ stream: out.stream, delayMs: 1000, now: () => clock });
      progress.update(1, 2);
      clock += 500;
      progress.update(2, 2);
      progress.stop();
      expect(out.chunks).toEqual([]);
    }
  });
});
