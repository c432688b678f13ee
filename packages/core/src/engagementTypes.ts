import type { EventMap, TravelCatalogue } from '@waymark/taxonomy';
import type { Tracker } from './createTracker';

/** Event name to properties in the built-in travel catalogue, which the engagement modules send. */
export type TravelEvents = EventMap<TravelCatalogue>;

/** What the engagement modules need of a tracker: its public `track` and `page` methods. Any tracker fits. */
export type EngagementTracker = Pick<Tracker<any>, 'track' | 'page'>;

/** A tracker typed against the travel catalogue, to type-check the events the modules send. */
export type TravelTracker = Pick<Tracker<TravelEvents>, 'track' | 'page'>;

/** Stops a module: removes its listeners and observers. Safe to call more than once. */
export type StopTracking = () => void;
