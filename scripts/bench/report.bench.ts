// Time of the full built-in report set (`runReports(engine, builtinDefinitions(), { to })` on DuckDB) next to the
// time of the same reports written by hand in SQL (scripts/bench/report/handWrittenSql.ts, proven to give the same
// numbers by handWrittenSql.test.ts and checked again here), on the same engine, file and derived tables, in one run.
// Goal: the report set under 3 s on this 2-core machine, and within 1.5x of the hand-written SQL.
// The store: 10M synthetic travel-blog events (scripts/synthetic, loadSyntheticStore), built once into a cache under
// os.tmpdir() keyed by generator version, seed, days and size, copied to a work file, then `refreshRollups` once
// (timed, not part of the report timing). Each side runs once to warm up, then N times alternately; printed are the
// medians of wall time and of CPU time (this process, DuckDB's threads included: steadier when other work shares the
// cores), their ratio, and the same per report (or per query shared by several reports), slowest first.
// Run with `npm run bench report` or `npx tsx scripts/bench/report.bench.ts [--events 10000000] [--runs 3]
// [--seed 42] [--days 30] [--cache DIR] [--explain] [--keep]`; `--events 200000` is a quick run. `--explain` times
// every query of the slowest reports on its own and writes their EXPLAIN ANALYZE plans to DIR/plans; `--keep` keeps
// the refreshed copy in DIR and reuses it next time (its refresh then finds nothing new: for timing reports only).
// WAYMARK_BENCH_REPORT_SRC=<folder> runs the bench on a copy of packages/report/src holding a candidate change.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { ReportEngine } from '../../packages/report/src/reportEngine';

// The workspace packages are read from source (as vitest does): run again with the source condition when it is missing.
const SOURCE_CONDITION = '--conditions=@waymark/source';
if (!process.execArgv.includes(SOURCE_CONDITION)) {
  const again = spawnSync(process.execPath, [...process.execArgv, SOURCE_CONDITION, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(again.status ?? 1);
}

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '10000000' },
    runs: { type: 'string', default: '3' },
    seed: { type: 'string', default: '42' },
    days: { type: 'string', default: '30' },
    cache: { type: 'string', default: join(tmpdir(), 'waymark-report-bench') },
    explain: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const events = Number(values.events);
const runs = Number(values.runs);
const seed = Number(values.seed);
const days = Number(values.days);
for (const [name, value] of Object.entries({ events, runs, days })) {
  if (!(Number.isInteger(value) && value >= 1)) throw new Error(`[waymark] report bench: --${name} must be a whole number, at least 1`);
}
if (!Number.isInteger(seed)) throw new Error('[waymark] report bench: --seed must be a whole number');

// WAYMARK_BENCH_REPORT_SRC=<folder> benches another copy of packages/report/src (a candidate change) instead.
const reportSource = process.env.WAYMARK_BENCH_REPORT_SRC ? pathToFileURL(join(resolve(process.env.WAYMARK_BENCH_REPORT_SRC), 'index.ts')).href : '../../packages/report/src/index';
const { builtinDefinitions, compileReport, duckdbDialect, duckdbEngine, refreshRollups, resolvePeriod, runReports } = (await import(
  reportSource
)) as typeof import('../../packages/report/src/index');
if (process.env.WAYMARK_BENCH_REPORT_SRC) console.log(`report package from ${reportSource}`);
const { loadSyntheticStore } = await import('../synthetic/loadSyntheticStore');
const { readershipVersion } = await import('../synthetic/generateReadership');
const { handWrittenReports, runHandWritten } = await import('./report/handWrittenSql');
const { differences, numbersOfHandWritten, numbersOfReport } = await import('./report/reportNumbers');

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const median = (list: readonly number[]) => {
  const sorted = [...list].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Removes what earlier runs left in the cache: stores of another generator version, work files of finished runs. */
function tidyCache(dir: string): void {
  for (const file of readdirSync(dir)) {
    const version = /^synthetic-v(\d+)-/.exec(file);
    const work = /^work-(\d+)\.duckdb/.exec(file);
    const refreshed = /^refreshed-synthetic-v(\d+)-/.exec(file);
    const stale = (match: RegExpExecArray | null) => match !== null && Number(match[1]) !== readershipVersion;
    if (stale(version) || stale(refreshed) || (work && !pidAlive(Number(work[1])))) rmSync(join(dir, file), { force: true });
  }
}

async function count(engine: ReportEngine, table: string): Promise<number> {
  return Number((await engine.query(`SELECT count(*) AS n FROM ${table}`))[0].n);
}

mkdirSync(values.cache, { recursive: true });
tidyCache(values.cache);
const storePath = join(values.cache, `synthetic-v${readershipVersion}-seed${seed}-days${days}-${events}.duckdb`);
let nextMillion = 1_000_000;
const store = await loadSyntheticStore({
  path: storePath,
  seed,
  events,
  days,
  onProgress({ written, elapsedMs }) {
    if (written < nextMillion) return;
    nextMillion += 1_000_000;
    console.log(`  building the store: ${(written / 1e6).toFixed(1)}M events in ${seconds(elapsedMs)}`);
  },
});
const to = addDays(store.start.slice(0, 10), days - 1);
console.log(
  `store ${store.reused ? 'reused' : `built in ${store.seconds} s`}: ${store.path} (${(statSync(store.path).size / 2 ** 30).toFixed(2)} GB), ` +
    `${store.events.toLocaleString('en')} events from ${store.visitors.toLocaleString('en')} visitors over ${days} days from ${store.start.slice(0, 10)}`,
);

// --keep keeps the refreshed copy for the next run with the same store, whose refresh then finds nothing new.
const kept = join(values.cache, `refreshed-${basename(store.path)}`);
const reuse = values.keep && existsSync(kept) && statSync(kept).mtimeMs > statSync(store.path).mtimeMs;
const work = values.keep ? kept : join(values.cache, `work-${process.pid}.duckdb`);
if (!reuse) copyFileSync(store.path, work);
const engine = await duckdbEngine({ path: work });
try {
  const refreshStarted = performance.now();
  const refreshed = await refreshRollups(engine);
  const refreshMs = performance.now() - refreshStarted;
  await engine.run('CHECKPOINT');
  if (reuse) console.log(`reused the refreshed copy ${kept} (--keep): the refresh below only looked for new events`);
  const tables = ['waymark_facts', 'waymark_daily', 'waymark_sessions', 'waymark_post_visitors', 'waymark_visitors', 'waymark_posts'];
  const sizes = await Promise.all(tables.map((table) => count(engine, table)));
  console.log(`refreshRollups: ${seconds(refreshMs)} (${tables.map((table, i) => `${table} ${sizes[i].toLocaleString('en')}`).join(', ')})`);
  if (!reuse && refreshed.facts !== store.events) console.log(`  note: ${refreshed.facts} facts added for ${store.events} stored events`);

  const ingestStats = (await engine.query("SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'waymark_ingest_stats'"))[0].n === 1;
  const definitions = builtinDefinitions();
  const handWritten = handWrittenReports({ to, ingestStats });

  // Per-report time of the report set: the wall and CPU time between progress calls, each given to the report whose
  // query ended (runReports names a query several reports share by their ids joined with '+').
  interface Spent {
    wall: number[];
    cpu: number[];
  }
  const setTimes = new Map<string, Spent>();
  const handTimes = new Map<string, Spent>();
  const add = (map: Map<string, Spent>, id: string, run: number, wallMs: number, cpuS: number) => {
    const spent = map.get(id) ?? { wall: [], cpu: [] };
    spent.wall[run] = (spent.wall[run] ?? 0) + wallMs;
    spent.cpu[run] = (spent.cpu[run] ?? 0) + cpuS;
    map.set(id, spent);
  };
  const queriesPerReport = new Map<string, number>();
  const cpuSeconds = (since: NodeJS.CpuUsage) => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1e6;
  };
  const timeReportSet = async (run: number) => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    let last = started;
    let lastCpu = process.cpuUsage();
    const set = await runReports(engine, definitions, {
      to,
      onProgress({ report }) {
        const now = performance.now();
        if (run >= 0) add(setTimes, report, run, now - last, cpuSeconds(lastCpu));
        else queriesPerReport.set(report, (queriesPerReport.get(report) ?? 0) + 1);
        last = now;
        lastCpu = process.cpuUsage();
      },
    });
    return { set, ms: performance.now() - started, cpu: cpuSeconds(cpu) };
  };
  const timeHandWritten = async (run: number) => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    let lastCpu = process.cpuUsage();
    const results = await runHandWritten(engine, handWritten, (id, ms) => {
      if (run >= 0) add(handTimes, id, run, ms, cpuSeconds(lastCpu));
      lastCpu = process.cpuUsage();
    });
    return { results, ms: performance.now() - started, cpu: cpuSeconds(cpu) };
  };

  console.log(`warming up (one run of each), then ${runs} runs of each, alternating; reports end on ${to}`);
  const warm = await timeReportSet(-1);
  const warmHand = await timeHandWritten(-1);
  const mismatches = differences(warm.set.reports.map(numbersOfReport), warmHand.results.map(numbersOfHandWritten));
  console.log(
    mismatches.length === 0
      ? `numbers: the hand-written SQL gives the report set's numbers on all ${definitions.length} reports (warm-up: ${seconds(warm.ms)} and ${seconds(warmHand.ms)})`
      : `numbers DIFFER (the comparison is void):\n  ${mismatches.slice(0, 20).join('\n  ')}`,
  );
  if (mismatches.length > 0) process.exitCode = 1;

  const setRuns: number[] = [];
  const handRuns: number[] = [];
  const setCpu: number[] = [];
  const handCpu: number[] = [];
  for (let run = 0; run < runs; run++) {
    const set = await timeReportSet(run);
    const hand = await timeHandWritten(run);
    setRuns.push(set.ms);
    handRuns.push(hand.ms);
    setCpu.push(set.cpu);
    handCpu.push(hand.cpu);
    console.log(`  run ${run + 1}: report set ${seconds(set.ms)} (CPU ${set.cpu.toFixed(1)} s), hand-written ${seconds(hand.ms)} (CPU ${hand.cpu.toFixed(1)} s)`);
  }

  const setMs = median(setRuns);
  const handMs = median(handRuns);
  const ratio = setMs / handMs;
  const met = setMs < 3000 && ratio <= 1.5;
  const label = (text: string) => text.padEnd(26);
  console.log('');
  console.log(`${label('events')}${store.events.toLocaleString('en')} (seed ${seed}, ${days} days; DuckDB ${ingestStats ? 'with' : 'without'} waymark_ingest_stats)`);
  console.log(`${label('refreshRollups (once)')}${seconds(refreshMs)}`);
  console.log(`${label('report set')}${seconds(setMs)}  median of ${runs} (${setRuns.map(seconds).join(', ')})`);
  console.log(`${label('hand-written SQL')}${seconds(handMs)}  median of ${runs} (${handRuns.map(seconds).join(', ')})`);
  console.log(`${label('report set / hand-written')}${ratio.toFixed(2)}x`);
  // CPU time of this process (DuckDB's threads included) varies less than wall time when other work shares the cores.
  console.log(`${label('CPU time (median)')}report set ${median(setCpu).toFixed(1)} s, hand-written ${median(handCpu).toFixed(1)} s (${(median(setCpu) / median(handCpu)).toFixed(2)}x)`);
  console.log(`${label('goal')}report set < 3 s and <= 1.5x hand-written: GOAL ${met ? 'MET' : 'MISSED'} (${seconds(setMs)}, ${ratio.toFixed(2)}x)`);

  // One row per query group of the report set (a report, or reports sharing a query), next to the same reports by hand.
  const spentOn = (spent: Spent | undefined) => ({ wall: median(spent?.wall ?? [0]), cpu: median(spent?.cpu ?? [0]) });
  const rows = [...setTimes.keys()].map((id) => {
    const members = id.split('+').filter((member) => handTimes.has(member));
    const hand = members.length > 0 ? members.map((member) => spentOn(handTimes.get(member))).reduce((a, b) => ({ wall: a.wall + b.wall, cpu: a.cpu + b.cpu })) : undefined;
    return { id, set: spentOn(setTimes.get(id)), hand, queries: queriesPerReport.get(id) ?? 0 };
  });
  rows.sort((a, b) => b.set.cpu - a.set.cpu);
  const cell = (text: string, width: number) => text.padStart(width);
  const cpuCell = (value: number) => cell(`${value.toFixed(2)}`, 7);
  console.log(
    `\nper report, by report-set CPU time (wall s / CPU s; medians)\n${'report'.padEnd(34)}${cell('queries', 8)}${cell('report set', 12)}${cell('CPU', 7)}${cell('share', 7)}` +
      `${cell('hand-written', 14)}${cell('CPU', 7)}${cell('CPU ratio', 10)}`,
  );
  const totalCpu = rows.reduce((sum, row) => sum + row.set.cpu, 0);
  for (const row of rows) {
    const name = row.id === 'sampling' ? 'sampling probe' : row.id.includes('+') ? `${row.id.split('+').length} reports, one shared query` : row.id;
    console.log(
      `${name.padEnd(34)}${cell(String(row.queries), 8)}${cell(seconds(row.set.wall), 12)}${cpuCell(row.set.cpu)}${cell(`${Math.round((row.set.cpu / totalCpu) * 100)}%`, 7)}` +
        `${cell(row.hand ? seconds(row.hand.wall) : '-', 14)}${row.hand ? cpuCell(row.hand.cpu) : cell('-', 7)}${cell(row.hand ? `${(row.set.cpu / row.hand.cpu).toFixed(2)}x` : '-', 10)}`,
    );
  }
  for (const row of rows) if (row.id.includes('+')) console.log(`  (${row.id.split('+').join(', ')})`);

  if (values.explain) {
    // Each query of the three slowest reports on its own, and the plans of both sides.
    const plans = join(values.cache, 'plans');
    rmSync(plans, { recursive: true, force: true });
    mkdirSync(plans, { recursive: true });
    console.log(`\nqueries of the slowest reports, each timed on its own (EXPLAIN ANALYZE plans in ${plans}):`);
    for (const row of rows.filter((r) => definitions.some((d) => d.id === r.id)).slice(0, 3)) {
      const definition = definitions.find((d) => d.id === row.id)!;
      const compiled = compileReport(definition, duckdbDialect, resolvePeriod(definition, { to, today: to }));
      for (const query of compiled.queries) {
        const started = performance.now();
        await engine.query(query.sql).catch(() => []);
        const ms = performance.now() - started;
        console.log(`  ${row.id} ${query.key}: ${seconds(ms)}`);
        const plan = await engine.query(`EXPLAIN ANALYZE ${query.sql}`).catch((error: unknown) => [{ explain_value: String(error) }]);
        writeFileSync(join(plans, `${row.id}.${query.key.replace(/:/g, '-')}.txt`), `${query.sql}\n\n${plan.map((r) => r.explain_value).join('\n')}`);
      }
      const hand = handWritten.find((h) => h.id === row.id)!;
      const plan = await engine.query(`EXPLAIN ANALYZE ${hand.sql}`);
      writeFileSync(join(plans, `${row.id}.hand-written.txt`), `${hand.sql}\n\n${plan.map((r) => r.explain_value).join('\n')}`);
    }
  }
} finally {
  await engine.close();
  if (!values.keep) for (const file of [work, `${work}.wal`]) if (existsSync(file)) rmSync(file, { force: true });
}
