import type { Sink, SinkEvent } from './sink';
import { writeResult } from './writeResult';

/**
 * Whether an event may reach a third-party tool: its consent snapshot allows analytics and marketing (sharing with
 * third parties), and the browser sent no Global Privacy Control signal. A missing snapshot forbids it.
 */
export function allowsThirdParty(event: SinkEvent): boolean {
  const consent = event.context?.consent;
  return consent?.analytics === true && consent.marketing === true && consent.gpc !== true;
}

/**
 * Wraps a sink that sends data to a third party (an analytics vendor, an ad platform, a partner's webhook) so
 * events whose consent snapshot forbids sharing, or that carry GPC, never reach it. Dropped events count as
 * `skipped`, not failed. The GA4, Segment and PostHog forwarders apply it themselves.
 * @example
 * ```ts
 * const partner = consentFilterSink(httpSink({ url: 'https://partner.example/events', secret }));
 * ```
 */
export function consentFilterSink(sink: Sink): Sink {
  const filtered: Sink = {
    name: sink.name,
    async write(events) {
      const allowed = events.filter(allowsThirdParty);
      const skipped = events.length - allowed.length;
      if (allowed.length === 0) return writeResult(0, [], skipped);
      const result = await sink.write(allowed);
      return { ...result, skipped: result.skipped + skipped };
    },
  };
  if (sink.flush) filtered.flush = () => sink.flush!();
  if (sink.close) filtered.close = () => sink.close!();
  if (sink.erase) filtered.erase = (subject) => sink.erase!(subject);
  return filtered;
}
