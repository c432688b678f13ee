import { z } from 'zod';
import { defineCatalogue } from './defineCatalogue';
import { defineEvent } from './defineEvent';
import { countryCodeSchema, dateRangeSchema, placeSchema } from './places';

const id = z.string().min(1).max(128);
const count = z.number().int().min(0);
const durationMs = z.number().int().min(0).max(86_400_000);

/** Which post or page template an event belongs to; most events may carry it. */
const content = {
  postId: id.optional(),
  authorId: id.optional(),
};

/** Networks a post can be shared to. `native` is the Web Share API sheet, `copy_link` the clipboard. */
export const shareNetworks = [
  'facebook', 'x', 'whatsapp', 'pinterest', 'linkedin', 'reddit', 'telegram', 'email', 'copy_link', 'native', 'other',
] as const;

/** Product types of affiliate and booking partners. */
export const productTypes = ['hotel', 'flight', 'tour', 'car', 'insurance', 'activity', 'rail', 'other'] as const;

/** User traits accepted by `identify()`: coarse bands only, never contact details. */
export const userTraitsSchema = z.strictObject({
  ageBand: z.enum(['18-24', '25-34', '35-44', '45-54', '55-64', '65+']).optional(),
  homeCountry: countryCodeSchema.optional(),
  travellerType: z.enum(['solo', 'couple', 'family', 'friends', 'business']).optional(),
  budget: z.enum(['budget', 'mid', 'luxury']).optional(),
  tripStyles: z.array(z.enum(['adventure', 'beach', 'city', 'culture', 'food', 'nature', 'road_trip', 'wellness'])).max(8).optional(),
});

/**
 * The built-in travel catalogue, version 1. Envelopes that follow it carry `schema: "travel@1"`.
 * Names are `object_action` snake case; every schema is strict, so a misspelt property is an error, not a silent column.
 */
export const travelCatalogue = defineCatalogue({
  id: 'travel',
  version: 1,
  traits: userTraitsSchema,
  events: {
    page_viewed: defineEvent({
      category: 'page',
      version: 1,
      description: 'A page was shown: first load or a client-side navigation. URL, route and referrer are in the context.',
      properties: z.strictObject({
        ...content,
        template: z.string().min(1).max(64).optional(),
        themes: z.array(z.string().min(1).max(64)).max(20).optional(),
        destinations: z.array(placeSchema).max(20).optional(),
      }),
    }),
    engaged_time_reported: defineEvent({
      category: 'engagement',
      version: 1,
      description: 'Time the reader spent active on a visible, focused page since the last report; `final` at page hide.',
      properties: z.strictObject({ ...content, engagedMs: durationMs, final: z.boolean() }),
    }),
    scroll_depth_reached: defineEvent({
      category: 'engagement',
      version: 1,
      description: 'The reader scrolled past a milestone of the page or article (once per milestone per page view).',
      properties: z.strictObject({ ...content, percent: z.union([z.literal(25), z.literal(50), z.literal(75), z.literal(100)]) }),
    }),
    post_read: defineEvent({
      category: 'engagement',
      version: 1,
      description: 'The reader reached the end of the article body (read-through).',
      properties: z.strictObject({ ...content, engagedMs: durationMs }),
    }),
    section_read: defineEvent({
      category: 'engagement',
      version: 1,
      description: 'A section of an article (an h2 or an itinerary day) was in view; sent once per section at page hide.',
      properties: z.strictObject({
        ...content,
        sectionId: id,
        heading: z.string().max(256).optional(),
        index: count,
        visibleMs: durationMs,
      }),
    }),
    post_shared: defineEvent({
      category: 'social',
      version: 1,
      description: 'The reader shared a post through a share button or the Web Share API.',
      properties: z.strictObject({ ...content, network: z.enum(shareNetworks), method: z.enum(['button', 'web_share_api']).optional() }),
    }),
    comment_posted: defineEvent({
      category: 'social',
      version: 1,
      description: 'The reader posted a comment. Only its length is sent, never its text.',
      properties: z.strictObject({ ...content, length: count, isReply: z.boolean().optional() }),
    }),
    newsletter_signed_up: defineEvent({
      category: 'conversion',
      version: 1,
      description: 'The reader subscribed to a newsletter. The address is never sent.',
      properties: z.strictObject({ ...content, listId: id.optional(), placement: z.string().max(64).optional() }),
    }),
    destination_viewed: defineEvent({
      category: 'travel',
      version: 1,
      description: 'A destination page or destination card was viewed.',
      properties: z.strictObject({ ...content, destination: placeSchema }),
    }),
    destination_saved: defineEvent({
      category: 'travel',
      version: 1,
      description: 'The reader saved a destination to a wish list.',
      properties: z.strictObject({ ...content, destination: placeSchema, listId: id.optional() }),
    }),
    itinerary_viewed: defineEvent({
      category: 'travel',
      version: 1,
      description: 'An itinerary was opened.',
      properties: z.strictObject({
        ...content,
        itineraryId: id,
        days: z.number().int().min(1).max(365),
        destinations: z.array(placeSchema).max(50).optional(),
        tripDates: dateRangeSchema.optional(),
      }),
    }),
    itinerary_saved: defineEvent({
      category: 'travel',
      version: 1,
      description: 'The reader saved an itinerary (bookmark, PDF, calendar).',
      properties: z.strictObject({
        ...content,
        itineraryId: id,
        method: z.enum(['bookmark', 'pdf', 'calendar', 'email', 'other']).optional(),
      }),
    }),
    itinerary_day_read: defineEvent({
      category: 'travel',
      version: 1,
      description: 'One day of an itinerary was in view long enough to be read.',
      properties: z.strictObject({ ...content, itineraryId: id, day: z.number().int().min(1).max(365), visibleMs: durationMs }),
    }),
    map_interacted: defineEvent({
      category: 'travel',
      version: 1,
      description: 'The reader used an embedded map.',
      properties: z.strictObject({
        ...content,
        mapId: id.optional(),
        action: z.enum(['pan', 'zoom', 'marker_clicked', 'route_viewed', 'layer_toggled', 'fullscreen']),
        place: placeSchema.optional(),
      }),
    }),
    search_performed: defineEvent({
      category: 'search',
      version: 1,
      description: 'The reader searched the site or a travel search box. Query text is capped at 200 characters.',
      properties: z.strictObject({
        query: z.string().max(200),
        resultsCount: count,
        scope: z.enum(['site', 'hotels', 'flights', 'tours', 'cars', 'other']).optional(),
        destination: placeSchema.optional(),
        tripDates: dateRangeSchema.optional(),
        travellers: z.number().int().min(1).max(50).optional(),
      }),
    }),
    gallery_interacted: defineEvent({
      category: 'media',
      version: 1,
      description: 'The reader opened, browsed or closed a photo gallery.',
      properties: z.strictObject({
        ...content,
        galleryId: id,
        action: z.enum(['opened', 'image_viewed', 'closed']),
        imageIndex: count.optional(),
        imageCount: count.optional(),
      }),
    }),
    video_interacted: defineEvent({
      category: 'media',
      version: 1,
      description: 'The reader played, paused, progressed through or finished a video.',
      properties: z.strictObject({
        ...content,
        videoId: id,
        action: z.enum(['play', 'pause', 'progress', 'complete']),
        percent: z.number().min(0).max(100).optional(),
        provider: z.string().max(64).optional(),
      }),
    }),
    outbound_link_clicked: defineEvent({
      category: 'outbound',
      version: 1,
      description: 'The reader followed a link to another site that is not an affiliate partner.',
      properties: z.strictObject({ ...content, url: z.url().max(2048), host: z.string().min(1).max(255) }),
    }),
    affiliate_link_clicked: defineEvent({
      category: 'outbound',
      version: 1,
      description: 'The reader followed an affiliate or booking link; partner and product type classify the revenue.',
      properties: z.strictObject({
        ...content,
        partner: z.string().min(1).max(64),
        productType: z.enum(productTypes),
        url: z.url().max(2048).optional(),
        destination: placeSchema.optional(),
        clickId: id.optional(),
        placement: z.string().max(64).optional(),
      }),
    }),
    booking_widget_used: defineEvent({
      category: 'outbound',
      version: 1,
      description: 'The reader used an embedded booking widget (viewed, searched or clicked through).',
      properties: z.strictObject({
        ...content,
        partner: z.string().min(1).max(64),
        productType: z.enum(productTypes),
        action: z.enum(['viewed', 'searched', 'clicked']),
        destination: placeSchema.optional(),
        tripDates: dateRangeSchema.optional(),
        travellers: z.number().int().min(1).max(50).optional(),
      }),
    }),
    web_vital_measured: defineEvent({
      category: 'performance',
      version: 1,
      description: 'A Core Web Vital or loading metric, as reported by the web-vitals library.',
      properties: z.strictObject({
        metric: z.enum(['LCP', 'INP', 'CLS', 'FCP', 'TTFB']),
        value: z.number().min(0),
        rating: z.enum(['good', 'needs-improvement', 'poor']),
        template: z.string().min(1).max(64).optional(),
        navigationType: z.string().max(32).optional(),
      }),
    }),
    user_identified: defineEvent({
      category: 'identity',
      version: 1,
      description: 'Sent by identify(): links the anonymous id to a user id. Traits travel in the envelope `traits`.',
      properties: z.strictObject({}),
    }),
  },
});

/** The type of the built-in travel catalogue. */
export type TravelCatalogue = typeof travelCatalogue;
/** User traits accepted by identify(). */
export type UserTraits = z.input<typeof userTraitsSchema>;
