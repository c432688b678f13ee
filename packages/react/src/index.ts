export { WaymarkProvider, WaymarkContext } from './WaymarkProvider';
export type { WaymarkProviderProps } from './WaymarkProvider';
export { useTracker } from './useTracker';
export { usePageViews } from './usePageViews';
export type { PageViewsOptions } from './usePageViews';
export { useReadTime } from './useReadTime';
export type { ReadTimeOptions } from './useReadTime';
export { useTrackOnView } from './useTrackOnView';
export { createTracker, fetchTransport, beaconTransport, sessionSampling, WaymarkError } from '@waymark/core';
export type {
  Tracker,
  TrackerOptions,
  TrackerStats,
  ConsentMode,
  ConsentChoice,
  PageOptions,
  Transport,
  TransportRequest,
  TransportResult,
} from '@waymark/core';
