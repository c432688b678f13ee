import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCatalogue } from './defineCatalogue';
import { defineEvent } from './defineEvent';
import { extendCatalogue } from './extendCatalogue';
import { travelCatalogue } from './travelCatalogue';
import { formatIssues, validateEnvelope, validateEvent } from './validateEvent';

const envelope = (overrides: Record<string, unknown> = {}) => ({
  id: '0b6f2f0e-3c1e-4d5c-9a5e-2f1d0c9b8a7e',
  type: 'track',
  name: 'destination_viewed',
  properties: { destination: { country: 'PT', city: 'Lisbon', iata: 'LIS', unlocode: 'PTLIS' } },
  timestamp: '2026-11-26T10:00:00.000Z',
  anonymousId: 'a1',
  sessionId: 's1',
  schema: 'travel@1',
  context: {
    page: { url: 'https://blog.example/pt/lisbon', path: '/pt/lisbon' },
    consent: { analytics: true, storage: false, marketing: false, gpc: false },
    sampleRate: 1,
    library: { name: '@waymark/core', version: '0.1.0' },
  },
  ...overrides,
});

describe('validateEvent', () => {
  it('accepts a destination with country, city, IATA and UN/LOCODE', () => {
    const result = validateEvent(travelCatalogue, 'destination_viewed', envelope().properties);
    expect(result).toEqual({ ok: true, value: envelope().properties });
  });

  it.each([
    ['an unassigned country code', { country: 'XX' }, 'properties.destination.country'],
    ['a lower-case country code', { country: 'pt' }, 'properties.destination.country'],
    ['a 4-letter IATA code', { country: 'PT', iata: 'LISB' }, 'properties.destination.iata'],
    ['a UN/LOCODE of another country', { country: 'PT', unlocode: 'ESMAD' }, 'properties.destination.unlocode'],
    ['an unknown place field', { country: 'PT', town: 'Lisbon' }, 'properties.destination'],
  ])('rejects %s and names the field', (_, destination, path) => {
    const result = validateEvent(travelCatalogue, 'destination_viewed', { destination });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => i.path)).toContain(path);
  });

  it('rejects a trip whose end is before its start', () => {
    const result = validateEvent(travelCatalogue, 'search_performed', {
      query: 'lisbon',
      resultsCount: 3,
      tripDates: { start: '2026-12-10', end: '2026-12-01' },
    });
    expect(result.ok || result.issues).toEqual([{ path: 'properties.tripDates.end', message: 'start must not be after end' }]);
  });

  it('classifies affiliate clicks by partner and product type', () => {
    expect(validateEvent(travelCatalogue, 'affiliate_link_clicked', { partner: 'booking', productType: 'hotel' }).ok).toBe(true);
    expect(validateEvent(travelCatalogue, 'affiliate_link_clicked', { partner: 'booking', productType: 'spa' }).ok).toBe(false);
  });

  it('reports an unknown event name with the catalogue it looked in', () => {
    const result = validateEvent(travelCatalogue, 'destination_teleported', {});
    expect(result.ok || formatIssues(result.issues)).toBe('name: unknown event "destination_teleported" in catalogue "travel@1"');
  });

  it('does not treat Object prototype keys as events', () => {
    expect(validateEvent(travelCatalogue, 'constructor', {}).ok).toBe(false);
  });
});

describe('validateEnvelope', () => {
  it('accepts a well-formed envelope', () => {
    expect(validateEnvelope([travelCatalogue], envelope()).ok).toBe(true);
  });

  it('names missing envelope fields', () => {
    const { id: _id, ...withoutId } = envelope();
    const result = validateEnvelope([travelCatalogue], withoutId);
    expect(result.ok || result.issues.map((i) => i.path)).toEqual(['id']);
  });

  it('rejects an event name that is not object_action snake case', () => {
    const result = validateEnvelope([travelCatalogue], envelope({ name: 'DestinationViewed' }));
    expect(result.ok || result.issues[0].path).toBe('name');
  });

  it('reports a catalogue newer than the ones it knows, so the event can be replayed after an upgrade', () => {
    const result = validateEnvelope([travelCatalogue], envelope({ schema: 'travel@2' }));
    expect(result.ok || formatIssues(result.issues)).toBe('schema: unknown catalogue "travel@2" (this collector knows travel@1)');
  });

  it('checks identify traits against the catalogue traits', () => {
    const identify = { type: 'identify', name: 'user_identified', properties: {} };
    expect(validateEnvelope([travelCatalogue], envelope({ ...identify, traits: { travellerType: 'family', homeCountry: 'DE' } })).ok).toBe(true);
    const bad = validateEnvelope([travelCatalogue], envelope({ ...identify, traits: { email: 'a@b.c' } }));
    expect(bad.ok || bad.issues[0].path).toBe('traits');
  });
});

describe('extending the catalogue', () => {
  const packingListDownloaded = defineEvent({
    category: 'conversion',
    version: 1,
    description: 'The reader downloaded a packing list.',
    properties: z.strictObject({ listId: z.string() }),
  });

  it('validates a team event and keeps the built-in ones', () => {
    const acme = extendCatalogue(travelCatalogue, { id: 'acme-travel', version: 1, events: { packing_list_downloaded: packingListDownloaded } });
    expect(validateEvent(acme, 'packing_list_downloaded', { listId: 'l1' }).ok).toBe(true);
    expect(validateEvent(acme, 'destination_viewed', { destination: { country: 'JP' } }).ok).toBe(true);
    expect(validateEnvelope([travelCatalogue, acme], envelope({ schema: 'acme-travel@1', name: 'packing_list_downloaded', properties: { listId: 'l1' } })).ok).toBe(true);
  });

  it('refuses to redefine a built-in event', () => {
    expect(() =>
      extendCatalogue(travelCatalogue, { id: 'acme', version: 1, events: { page_viewed: packingListDownloaded } }),
    ).toThrow('[waymark] event "page_viewed" already exists in catalogue "travel"');
  });

  it('refuses names that are not object_action snake case and bad versions', () => {
    expect(() => defineCatalogue({ id: 'acme', version: 1, events: { PackingList: packingListDownloaded } })).toThrow(
      'must be object_action snake case',
    );
    expect(() => defineCatalogue({ id: 'Acme', version: 1, events: {} })).toThrow('lower-case');
    expect(() => defineCatalogue({ id: 'acme', version: 0, events: {} })).toThrow('positive integer');
  });
});

describe('travel catalogue', () => {
  it('covers the travel blog events the product promises', () => {
    expect(Object.keys(travelCatalogue.events)).toEqual(
      expect.arrayContaining([
        'page_viewed', 'engaged_time_reported', 'scroll_depth_reached', 'post_shared', 'comment_posted',
        'destination_viewed', 'destination_saved', 'itinerary_viewed', 'itinerary_saved', 'itinerary_day_read',
        'map_interacted', 'search_performed', 'gallery_interacted', 'video_interacted', 'newsletter_signed_up',
        'outbound_link_clicked', 'affiliate_link_clicked', 'booking_widget_used', 'web_vital_measured',
      ]),
    );
  });
});
