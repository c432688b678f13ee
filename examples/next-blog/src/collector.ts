import { randomBytes } from 'node:crypto';
import { createCollector } from '@waymark/collector';
import type { Collector } from '@waymark/collector';

let collector: Collector | undefined;

/** Reads a setting the start script passes in the environment. */
function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`[waymark] ${name} is not set: start the blog with \`npm start -w @waymark/example-next-blog\``);
  return value;
}

/**
 * The reference collector, created on the first request (not at import, so `next build` opens no store). The start
 * script sets its site origin, store path and admin read key in the environment.
 */
export function blogCollector(): Collector {
  if (collector) return collector;
  const origins = setting('WAYMARK_SITE_ORIGINS').split(',');
  collector = createCollector({
    sites: [{ id: 'next-blog', writeKey: 'wk_next_blog', origins }],
    userIdKey: process.env.WAYMARK_USER_ID_KEY ?? randomBytes(32).toString('hex'),
    store: { path: setting('WAYMARK_STORE') },
    readKeys: [{ name: 'demo', key: setting('WAYMARK_READ_KEY'), role: 'admin' }],
  });
  const created = collector;
  // The start script asks Next to leave signals to the app: commit what is in flight and close the store, then exit.
  let closing = false;
  const close = () => {
    if (closing) return;
    closing = true;
    created.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', close);
  process.on('SIGTERM', close);
  return collector;
}
