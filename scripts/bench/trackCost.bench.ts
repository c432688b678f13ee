// Main-thread cost of tracker.track() in Chromium, next to pushing the same object to an array, measured in the
// same run. Run with `npx tsx scripts/bench/trackCost.bench.ts [rounds] [calls]` (defaults: 20 rounds of 1000 calls).
import { chromiumMissingReason } from '../e2e/chromiumPath';
import { launchChromium } from '../e2e/launchChromium';
import { startRecorder } from '../e2e/startRecorder';
import { fixturesDir } from '../../packages/core/e2e/fixtures/trackerPage';

interface Summary {
  median: number;
  p99: number;
}
interface Measurement {
  crossOriginIsolated: boolean;
  tracked: number;
  roundMean: { track: Summary; push: Summary };
  singleCall: { track: Summary; push: Summary };
}

const rounds = Number(process.argv[2] ?? 20);
const calls = Number(process.argv[3] ?? 1000);

const missing = chromiumMissingReason();
if (missing) {
  console.error(missing);
  process.exit(1);
}

const site = await startRecorder({
  staticDir: fixturesDir,
  staticHeaders: { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' },
});
const collector = await startRecorder();
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(site.url(`/trackCost.html?endpoint=${encodeURIComponent(collector.origin)}`));
  const result = await page.evaluate(
    ([rounds, calls]) =>
      (window as unknown as { measureTrackCost(r: number, c: number): Promise<Measurement> }).measureTrackCost(
        rounds,
        calls
      ),
    [rounds, calls] as const
  );
  await collector.settle(500);
  if (errors.length) throw new Error(`[waymark] the benchmark page threw: ${errors.join('; ')}`);

  const us = (value: number) => `${value.toFixed(2)} µs`;
  const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(1)}x` : 'n/a');
  const rows: [string, number, number][] = [
    [`mean per round: median of ${rounds}`, result.roundMean.track.median, result.roundMean.push.median],
    [`mean per round: p99 of ${rounds}`, result.roundMean.track.p99, result.roundMean.push.p99],
    [`single call: median of ${rounds * calls}`, result.singleCall.track.median, result.singleCall.push.median],
    [`single call: p99 of ${rounds * calls}`, result.singleCall.track.p99, result.singleCall.push.p99],
  ];
  console.log(`track() cost in Chromium: ${rounds} rounds of ${calls} calls, production bundle, consent granted`);
  console.log(
    `single calls timed with performance.now() ${
      result.crossOriginIsolated ? '(cross-origin isolated: 5 µs resolution)' : '(not isolated: 100 µs resolution)'
    }`
  );
  console.log(
    `events tracked (warm-up included): ${result.tracked}, delivered to the local collector: ${
      collector.envelopes().length
    }`
  );
  console.log('single calls include two performance.now() reads; n/a: the reference is below the timer resolution\n');
  const table = [
    ['per call', 'track()', 'array push', 'ratio'],
    ...rows.map(([label, track, push]) => [label, us(track), us(push), ratio(track, push)]),
  ];
  const widths = table[0].map((_, column) => Math.max(...table.map((row) => row[column].length)));
  for (const [index, row] of table.entries()) {
    console.log(
      row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ')
    );
    if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  }
} finally {
  await browser.close();
  await site.close();
  await collector.close();
}
