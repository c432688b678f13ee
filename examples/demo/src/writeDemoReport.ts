import { writeFile } from 'node:fs/promises';
import { builtinDefinition, builtinDefinitions, duckdbEngine, parseDefinition, refreshRollups, renderHtml, runReports } from '@waymark/report';
import type { ReportDefinition, ReportSet } from '@waymark/report';

/** Options of {@link writeDemoReport}. */
export interface DemoReportOptions {
  /** The demo store, closed by the collector before the report opens it. */
  storePath: string;
  /** Where the HTML report goes. */
  outPath: string;
  /** Days replayed, ending `to`. */
  days: number;
  /** The last UTC day of the reports (`YYYY-MM-DD`): today. */
  to: string;
  /** Seed of the replayed readership, for the title. */
  seed: number;
  /**
   * The store holds events of an earlier run received "later" than this run's (both replays run on a virtual clock):
   * refresh the rollups from the start instead of from the last watermark.
   */
  rebuildRollups: boolean;
  /** Registers how to close what the step opened should the demo be interrupted meanwhile; returns the undo. */
  defer(name: string, close: () => Promise<unknown> | unknown): () => void;
}

/** What the report step produced. */
export interface DemoReport {
  path: string;
  set: ReportSet;
}

/**
 * The built-in trending report compares 30 days with the 30 before, which a fresh demo store does not have. This copy
 * compares the last third of the replayed days with the third before it (where the synthetic readership makes one
 * destination trend), with a minimum volume scaled to a demo's traffic: how a team edits a built-in definition.
 */
export function demoTrendingDefinition(days: number): ReportDefinition {
  const builtin = builtinDefinition('trending-destinations');
  const third = Math.max(1, Math.floor(days / 3));
  return parseDefinition(
    {
      ...builtin,
      id: 'trending-destinations-demo',
      title: `Trending destinations: the last ${third} days against the ${third} before`,
      description: `The built-in trending report over the demo's own window: destinations ranked by growth of post views in the last ${third} days against the ${third} days before, among those with at least 20 views in both.`,
      period: { last: third },
      minVolume: 20,
    },
    'demo trending definition',
  );
}

/** Refreshes the rollups of the demo store and writes every built-in report (and the demo's trending window) as one HTML file. */
export async function writeDemoReport(options: DemoReportOptions): Promise<DemoReport> {
  const engine = await duckdbEngine({ path: options.storePath });
  const undo = options.defer('the report', () => engine.close());
  try {
    // Without a watermark the refresh reads every stored event again; facts already made are not added twice.
    if (options.rebuildRollups) await engine.run('DELETE FROM waymark_rollup_state');
    await refreshRollups(engine);
    const definitions = [...builtinDefinitions(), demoTrendingDefinition(options.days)];
    const set = await runReports(engine, definitions, {
      to: options.to,
      title: `Waymark demo: ${options.days} days of synthetic readers (seed ${options.seed})`,
    });
    await writeFile(options.outPath, renderHtml(set));
    return { path: options.outPath, set };
  } finally {
    undo();
    await engine.close();
  }
}
