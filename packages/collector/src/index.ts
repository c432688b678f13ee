export { createCollector } from './createCollector';
export type { Collector, CollectorOptions, SiteOptions, SuppressionSubject, RequestInfo, EventResult } from './createCollector';
export { HttpError } from './HttpError';
export type { ServerContext, CollectedEvent } from './enrichEvent';
export type { RateLimitOptions } from './rateLimiter';
export { failedEventsTableSql } from './duckdbStore';
