// The replay's collector, in a worker thread (started by collectorThread.ts through collectorWorker.mjs): the
// collector, its HTTP server and the DuckDB store's commits run on the second core while the main thread runs the
// readers' trackers. Its clock is the replay's virtual clock, shared through memory; a replayed request is handled at
// the virtual instant it was sent.
import { AsyncLocalStorage } from 'node:async_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { createCollector } from '@waymark/collector';
import type { Collector } from '@waymark/collector';
import { serve } from '@waymark/collector/node';
import type { CollectorThreadData, CollectorThreadMessage } from './collectorThread';

const data = workerData as CollectorThreadData;
const post = (message: CollectorThreadMessage) => parentPort!.postMessage(message);
const clock = data.clock ? new BigInt64Array(data.clock) : undefined;

// The virtual instant of the request being handled: the collector reads its clock inside `fetch`, and in the
// continuations and timers `fetch` starts (its group commit), which all run in this context.
const requestTime = new AsyncLocalStorage<number>();
const sentTimes = data.sentTimes ? new BigInt64Array(data.sentTimes) : undefined;

/** The collector, handling each replayed request at the virtual instant it was sent. */
function atSendTime(collector: Collector): Collector {
  return {
    ...collector,
    fetch(request, info) {
      const id = Number(request.headers.get(data.requestIdHeader));
      if (!sentTimes || !Number.isInteger(id) || id <= 0) return collector.fetch(request, info);
      return requestTime.run(Number(Atomics.load(sentTimes, id % sentTimes.length)), () => collector.fetch(request, info));
    },
  };
}

const now = () => requestTime.getStore() ?? Number(Atomics.load(clock!, 0));
const collector = createCollector({ ...data.collector, ...(clock ? { now } : {}) });
try {
  const server = await serve(atSendTime(collector), { port: data.port, hostname: data.host });
  parentPort!.on('message', (message: { type: 'close' }) => {
    if (message.type !== 'close') return;
    server.close().then(
      () => post({ type: 'closed' }),
      (error: Error) => post({ type: 'closed', error: error.message }),
    );
  });
  post({ type: 'ready', port: server.port });
} catch (error) {
  await collector.close().catch(() => undefined);
  const { code, message } = error as NodeJS.ErrnoException;
  post({ type: 'error', code, message: String(message) });
}
