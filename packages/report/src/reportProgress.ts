import cliProgress from 'cli-progress';

/** Where progress goes: a terminal gets a bar, anything else (a pipe, a CI log) plain lines. */
export interface ProgressStream {
  /** Writes text as it is. */
  write(text: string): boolean;
  /** True for a terminal. */
  isTTY?: boolean;
  /** Terminal width, when known. */
  columns?: number;
}

/** Options of {@link createReportProgress}. */
export interface ReportProgressOptions {
  /** Where to write. @default process.stderr */
  stream?: ProgressStream;
  /** Nothing is shown before this many ms have passed, so short runs stay quiet. @default 1000 */
  delayMs?: number;
  /** Without a terminal, at most one line per this many ms (the last step always prints). @default 1000 */
  lineEveryMs?: number;
  /** What is counted, shown before the numbers. @default 'queries' */
  unit?: string;
  /** The clock, epoch ms. @default Date.now */
  now?: () => number;
}

/** Progress over a known number of steps, such as the queries of a report run. */
export interface ProgressDisplay {
  /** `done` of `total` steps are finished; `label` names the current one (such as a report id). */
  update(done: number, total: number, label?: string): void;
  /** Ends the bar (leaving the terminal line clean) or prints nothing more. */
  stop(): void;
}

/**
 * A progress display for long runs: a cli-progress bar when `stream` is a terminal, one plain line at a time
 * otherwise (never escape codes in a log file). Nothing is shown during the first `delayMs`.
 * @example
 * ```ts
 * const progress = createReportProgress();
 * await runReports(engine, definitions, { onProgress: ({ done, total, report }) => progress.update(done, total, report) });
 * progress.stop();
 * ```
 */
export function createReportProgress(options: ReportProgressOptions = {}): ProgressDisplay {
  const stream = options.stream ?? process.stderr;
  const delayMs = options.delayMs ?? 1000;
  const lineEveryMs = options.lineEveryMs ?? 1000;
  const unit = options.unit ?? 'queries';
  const now = options.now ?? Date.now;
  const startedAt = now();
  let bar: cliProgress.SingleBar | undefined;
  let lastLine = -Infinity;
  let stopped = false;

  return {
    update(done, total, label = '') {
      if (stopped || now() - startedAt < delayMs) return;
      if (stream.isTTY) {
        if (!bar) {
          bar = new cliProgress.SingleBar(
            {
              // cli-progress only writes to a Node stream; ours is one whenever it is a terminal.
              stream: stream as NodeJS.WritableStream,
              format: `[waymark] {bar} {value}/{total} ${unit} {label}`,
              barsize: 24,
              hideCursor: true,
              clearOnComplete: true,
              fps: 10,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(total, done, { label });
        } else {
          bar.setTotal(total);
          bar.update(done, { label });
        }
        return;
      }
      const at = now();
      if (done < total && at - lastLine < lineEveryMs) return;
      lastLine = at;
      stream.write(`[waymark] ${done}/${total} ${unit}${label ? ` (${label})` : ''}\n`);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar?.stop();
    },
  };
}
