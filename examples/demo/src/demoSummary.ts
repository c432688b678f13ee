import type { CollectorCounts } from './collectorMetrics';
import type { NetworkCounts } from './replayNetwork';
import type { ReplayCounts } from './replayReadership';

/** The numbers of one run, as printed and as written to `summary.json`. */
export interface DemoSummary {
  seed: number;
  days: number;
  /** The period replayed, UTC days, inclusive. */
  from: string;
  to: string;
  /** Whether the run added to an earlier run's store. */
  appended: boolean;
  /** Wall-clock seconds of the replay. */
  replaySeconds: number;
  replay: ReplayCounts;
  network: NetworkCounts;
  collector: CollectorCounts;
  /** Events tracked = accepted + rejected + not sent (declined, sampled out) + dropped by the trackers + unsent. */
  balance: {
    tracked: number;
    accepted: number;
    rejected: number;
    declined: number;
    sampledOut: number;
    droppedByTrackers: number;
    unsent: number;
    /** True when the terms add up to `tracked`. */
    balanced: boolean;
  };
  reportPath: string;
}

/** Puts the replay's, the network's and the collector's counts together and checks that they add up. */
export function summarise(parts: Omit<DemoSummary, 'balance'>): DemoSummary {
  const { replay, collector } = parts;
  const rejected = Object.values(collector.rejected).reduce((sum, n) => sum + n, 0);
  const droppedByTrackers = replay.droppedByTracker + replay.rejectedByStatus;
  const terms = collector.accepted + rejected + replay.declinedEvents + replay.sampledOut + droppedByTrackers + replay.unsent;
  return {
    ...parts,
    balance: {
      tracked: replay.tracked,
      accepted: collector.accepted,
      rejected,
      declined: replay.declinedEvents,
      sampledOut: replay.sampledOut,
      droppedByTrackers,
      unsent: replay.unsent,
      balanced: terms === replay.tracked,
    },
  };
}

const n = (value: number) => value.toLocaleString('en-US');

/** The short summary the demo prints at the end of a replay. */
export function formatSummary(summary: DemoSummary): string {
  const { replay, collector, network, balance } = summary;
  const reasons = Object.entries(collector.rejected)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, count]) => `${reason} ${n(count)}`)
    .join(', ');
  const row = (label: string, value: number, note = '') => `  ${label.padEnd(34)}${n(value).padStart(10)}${note ? `   ${note}` : ''}`;
  const lines = [
    `Replayed ${summary.days} days (${summary.from} to ${summary.to}, seed ${summary.seed}): ${n(replay.visitors)} visitors, ${n(replay.visits)} visits, in ${summary.replaySeconds.toFixed(1)} s`,
    row('events tracked', balance.tracked, `by the readers' trackers`),
    row('accepted', balance.accepted, 'stored by the collector'),
    row('rejected', balance.rejected, reasons ? `by reason: ${reasons}` : ''),
    row('not sent: consent declined', balance.declined, `${n(replay.declinedVisitors)} visitors declined; their trackers sent nothing`),
    row('not sent: sampled out', balance.sampledOut, 'session sampling of scroll_depth_reached at 50%'),
    row('dropped by the trackers', balance.droppedByTrackers),
    ...(balance.unsent > 0 ? [row('still unsent', balance.unsent)] : []),
    ...(network.refused > 0 ? [row('requests refused', network.refused, 'answered with an error status by the collector: see its log')] : []),
    row('duplicates dropped', collector.duplicates, `resent after ${n(network.lostAnswers)} lost ${network.lostAnswers === 1 ? 'answer' : 'answers'}; stored once`),
    row('offline visits', replay.offlineVisits, 'sent late from the offline buffer, with their original times'),
    row('crawler visits', replay.botVisits, 'bot User-Agents, dropped by the collector'),
    `  ${balance.balanced ? 'check' : 'MISMATCH'}: accepted + rejected + declined + sampled out + dropped${balance.unsent > 0 ? ' + unsent' : ''} ${balance.balanced ? '=' : '≠'} tracked`,
  ];
  return lines.join('\n');
}
