import { trackEngagedTime, trackScrollDepth, trackSections } from '@waymark/core/engagement';
import type { EngagedTime, EngagedTimeOptions, EngagementTracker, StopTracking } from '@waymark/core/engagement';
import { onBeforeUnmount, onMounted, toValue } from 'vue';
import type { MaybeRefOrGetter } from 'vue';
import { useTracker } from './useTracker';

/** Options of {@link useReadTime}. */
export interface ReadTimeOptions extends EngagedTimeOptions {
  /** Post id added to every event sent, so reports group reading by post. */
  postId?: MaybeRefOrGetter<string | undefined>;
  /** Author id added to every event sent. */
  authorId?: MaybeRefOrGetter<string | undefined>;
  /**
   * Section starts for `section_read` and `itinerary_day_read`, as a document-wide selector (see `trackSections`);
   * `false` turns section reading off.
   * @default 'article h2, [data-itinerary-day]'
   */
  sections?: string | false;
}

/** What {@link useReadTime} returns. */
export interface ReadTime {
  /** Milliseconds engaged with the page since the component mounted, reported or not. */
  engagedMs(): number;
  /**
   * Reports what was read and stops, before the component unmounts. With vue-router, call it in
   * `onBeforeRouteLeave`: the component unmounts after the URL has changed, so the last reports would otherwise carry
   * the next page's URL. Later calls, and the unmount, do nothing more.
   */
  stop(): void;
}

/**
 * Measures how a post is read while its component is mounted, with the `@waymark/core/engagement` modules: engaged
 * time (`engaged_time_reported`), scroll depth through the element and read-through (`scroll_depth_reached`,
 * `post_read`), and time per section and itinerary day (`section_read`, `itinerary_day_read`). Starts when the
 * component mounts; on unmount, or `stop()`, it reports what was read and stops. `postId` and `authorId` are read
 * when each event is sent. Does nothing on the server.
 *
 * @example
 * const article = useTemplateRef<HTMLElement>('article');
 * const read = useReadTime(article, { postId: post.id, authorId: post.authorId });
 * onBeforeRouteLeave(() => read.stop()); // report while the URL is still the post's
 */
export function useReadTime(target: MaybeRefOrGetter<Element | null | undefined>, options: ReadTimeOptions = {}): ReadTime {
  const tracker = useTracker();
  const { postId, authorId, sections = 'article h2, [data-itinerary-day]', ...engagedOptions } = options;
  // Every event these modules send accepts postId and authorId; properties the module sets win.
  const scoped: EngagementTracker = {
    track: ((name: string, properties?: object) => {
      const content: Record<string, string> = {};
      const post = toValue(postId);
      const author = toValue(authorId);
      if (post) content.postId = post;
      if (author) content.authorId = author;
      (tracker.track as (name: string, properties?: object) => void)(name, { ...content, ...properties });
    }) as EngagementTracker['track'],
    page: tracker.page,
  };
  let engaged: EngagedTime | undefined;
  let stops: StopTracking[] = [];
  let stopped = false;
  onMounted(() => {
    if (stopped) return;
    engaged = trackEngagedTime(scoped, engagedOptions);
    const article = toValue(target) ?? 'article';
    stops = [engaged, trackScrollDepth(scoped, { article, engagedMs: engaged.engagedMs })];
    if (sections !== false) stops.push(trackSections(scoped, { selector: sections }));
  });
  // Sections first, then the final engaged time, as at page hide.
  const stop = () => {
    stopped = true;
    stops.splice(0).reverse().forEach((stopModule) => stopModule());
  };
  onBeforeUnmount(stop);
  return { engagedMs: () => (engaged ? engaged.engagedMs() : 0), stop };
}
