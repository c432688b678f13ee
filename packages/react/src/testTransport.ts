import type { TrackerOptions, Transport } from '@waymark/core';

/** Sent envelope, as the collector would receive it. */
export interface SentEvent {
  name: string;
  properties: Record<string, unknown>;
  context: { page: { path: string; route?: string } };
}

/** Tracker options whose transport records every envelope sent (consent granted, each event sent at once). */
export function recordingOptions(): { options: TrackerOptions; sent: SentEvent[] } {
  const sent: SentEvent[] = [];
  const transport: Transport = {
    async send({ body }) {
      sent.push(...(JSON.parse(body).events as SentEvent[]));
      return { status: 200 };
    },
  };
  return { sent, options: { endpoint: 'https://collect.example.test', writeKey: 'wk_test_123', consent: 'granted', flushAt: 1, transport } };
}
