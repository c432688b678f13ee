import { Agent, request } from 'node:http';
import type { Transport } from '@waymark/core';

/** How one visitor reaches the collector: the headers its browser and the site's proxy put on each request. */
export interface VisitorConnection {
  /** The browser's User-Agent header. */
  userAgent: string;
  /** The visitor's IP address, passed in the proxy header the collector trusts. */
  ip: string;
  /** The visitor's country (ISO 3166-1 alpha-2), passed in the proxy's country header. */
  country?: string;
  /** The browser sends Global Privacy Control (`Sec-GPC: 1`). */
  gpc?: boolean;
  /** False while the visitor has no network: requests fail without reaching the collector. */
  online(): boolean;
  /**
   * True when the answer to the request being sent is lost on the way back (a flaky hotel connection): the collector
   * stores the batch, the tracker sees a network error and sends it again, and the collector drops the duplicates.
   */
  loseAnswer?(): boolean;
}

/** What left the replayed browsers. */
export interface NetworkCounts {
  /** Requests that went to the collector. */
  requests: number;
  /** Events in those requests, resends included. */
  eventsSent: number;
  /** Requests that failed because the visitor was offline. */
  offlineFailures: number;
  /** Answers lost on the way back (each makes the tracker send its events again). */
  lostAnswers: number;
  /** The collector's HTTP answers by status (0: no answer). */
  statuses: Record<number, number>;
  /** Requests whose real answer was not 2xx (see {@link ReplayNetwork}): 0 unless something is wrong. */
  refused: number;
}

/** The replay's side of the network: one transport per visitor, and a way to wait for the collector. */
export interface ReplayNetwork {
  /** A transport that posts a visitor's batches to the collector the way its browser would. */
  transport(connection: VisitorConnection): Transport;
  /**
   * The virtual time each request was sent at, by request id modulo {@link ReplayNetwork.ringSize}: the collector
   * receives the request at that instant (one 64-bit integer of epoch ms per slot).
   */
  readonly sentTimes: SharedArrayBuffer;
  readonly ringSize: number;
  /** The header each request carries its id in. */
  readonly requestIdHeader: string;
  /** Resolves once fewer than `limit` requests wait for their answer (the collector's group commits keep up). */
  belowLimit(): Promise<void>;
  /** Resolves once no request is in flight. */
  idle(): Promise<void>;
  readonly counts: NetworkCounts;
  /** Closes the kept-alive sockets. */
  close(): void;
}

/** Options of {@link createReplayNetwork}. */
export interface ReplayNetworkOptions {
  /** The blog's origin: browsers send it as `Origin` on the collector's cross-origin POST. */
  origin: string;
  /** The header the collector trusts for the client IP (`trustedProxy.ipHeader`). */
  ipHeader: string;
  /** The header the collector trusts for the country (`trustedProxy.countryHeader`). */
  countryHeader: string;
  /** The virtual clock's true time, epoch ms (not a device's clock). */
  now(): number;
  /** Most requests waiting for an answer at once. @default 128 */
  limit?: number;
}

const REQUEST_ID = 'x-request-id';

/** Resolvers waiting for a condition. */
function createWaiters(condition: () => boolean) {
  let waiting: (() => void)[] = [];
  return {
    wait: () => (condition() ? Promise.resolve() : new Promise<void>((resolve) => waiting.push(resolve))),
    wake() {
      if (!condition() || waiting.length === 0) return;
      const ready = waiting;
      waiting = [];
      for (const resolve of ready) resolve();
    },
  };
}

/**
 * Creates the replay's network: each visitor's batches go over loopback HTTP to the collector's `POST /v1/batch`, with
 * the visitor's User-Agent, the blog's `Origin`, and the client IP and country in the headers of the proxy the
 * collector is configured to trust, as a CDN in front of it would send them.
 *
 * The replay runs 30 days in about a minute: the store's commit of a batch takes real milliseconds, in which virtual
 * hours pass. So the collector receives each request at the virtual instant it was sent (its time travels in
 * {@link ReplayNetwork.sentTimes}, by request id), and the tracker is answered as its browser would be a moment after
 * sending: 2xx, or a network error when the visitor is offline or the answer is lost. The collector's real answers
 * are counted when they come; one that is not 2xx shows in {@link NetworkCounts.refused}.
 * @example
 * const network = createReplayNetwork({ origin: 'http://127.0.0.1:5180', ipHeader: 'x-forwarded-for', countryHeader: 'x-country-code', now: clock.now });
 * createTracker({ endpoint, writeKey, transport: network.transport({ userAgent, ip: '2001:db8::7', online: () => true }) });
 */
export function createReplayNetwork(options: ReplayNetworkOptions): ReplayNetwork {
  const limit = options.limit ?? 128;
  // Twice as many slots as requests can be in flight: a slot is never reused before its request was received.
  const ringSize = 2 ** Math.ceil(Math.log2(limit * 2));
  const sentTimes = new SharedArrayBuffer(8 * ringSize);
  const times = new BigInt64Array(sentTimes);
  const agent = new Agent({ keepAlive: true, maxSockets: limit });
  let answering = 0;
  const answers = createWaiters(() => answering === 0);
  const lowWater = createWaiters(() => answering < limit);
  let sequence = 0;
  const counts: NetworkCounts = { requests: 0, eventsSent: 0, offlineFailures: 0, lostAnswers: 0, statuses: {}, refused: 0 };

  const post = (url: string, body: string, headers: Record<string, string>) => {
    const id = ++sequence;
    Atomics.store(times, id % ringSize, BigInt(Math.round(options.now())));
    answering += 1;
    let answered = false;
    const done = (status: number) => {
      if (answered) return;
      answered = true;
      counts.statuses[status] = (counts.statuses[status] ?? 0) + 1;
      if (!(status >= 200 && status < 300)) counts.refused += 1;
      answering -= 1;
      answers.wake();
      lowWater.wake();
    };
    const req = request(url, { method: 'POST', agent, headers: { ...headers, [REQUEST_ID]: String(id), 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? 0));
      res.on('error', () => done(0));
    });
    req.on('error', () => done(0));
    req.end(body);
  };

  return {
    transport(connection) {
      return {
        async send({ url, body }) {
          if (!connection.online()) {
            counts.offlineFailures += 1;
            return { status: 0 };
          }
          const headers: Record<string, string> = {
            'content-type': 'text/plain;charset=UTF-8',
            origin: options.origin,
            'user-agent': connection.userAgent,
            [options.ipHeader]: connection.ip,
          };
          if (connection.country) headers[options.countryHeader] = connection.country;
          if (connection.gpc) headers['sec-gpc'] = '1';
          counts.requests += 1;
          counts.eventsSent += (JSON.parse(body) as { events: unknown[] }).events.length;
          post(url, body, headers);
          if (connection.loseAnswer?.()) {
            counts.lostAnswers += 1;
            return { status: 0 };
          }
          return { status: 200 };
        },
      };
    },
    sentTimes,
    ringSize,
    requestIdHeader: REQUEST_ID,
    belowLimit: lowWater.wait,
    idle: answers.wait,
    counts,
    close: () => agent.destroy(),
  };
}
