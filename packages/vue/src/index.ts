import type { Directive } from 'vue';
import type { TrackBinding, TrackTrigger } from './vTrack';

export { createWaymark, trackerKey } from './createWaymark';
export type { WaymarkOptions, WaymarkPlugin } from './createWaymark';
export { useTracker } from './useTracker';
export { trackRouter } from './trackRouter';
export type { RouterTrackingOptions } from './trackRouter';
export { useReadTime } from './useReadTime';
export type { ReadTime, ReadTimeOptions } from './useReadTime';
export type { TrackBinding, TrackTrigger } from './vTrack';
export { createTracker, WaymarkError } from '@waymark/core';
export type { Tracker, TrackerOptions, ConsentChoice, PageOptions, WaymarkErrorCode } from '@waymark/core';

declare module 'vue' {
  /** `v-track`, registered by `createWaymark()`: type-checks its value in templates. */
  interface GlobalDirectives {
    vTrack: Directive<Element, TrackBinding | null | undefined, string, TrackTrigger>;
  }
}
