export { WaymarkAnalytics } from './WaymarkAnalytics';
export type { WaymarkAnalyticsProps } from './WaymarkAnalytics';
export { routePattern } from './routePattern';
export type { RouteParams } from './routePattern';
export { WaymarkProvider, useTracker, usePageViews, useReadTime } from '@waymark/react';
export type { WaymarkProviderProps, PageViewsOptions, ReadTimeOptions, Tracker, TrackerOptions } from '@waymark/react';
