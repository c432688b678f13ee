import { expect } from 'vitest';
import { describeSpaBlog } from '../../../scripts/e2e/describeSpaBlog';

describeSpaBlog({
  name: 'React travel blog (production build) in Chromium',
  exampleDir: new URL('..', import.meta.url),
  async onPost(page, blog) {
    // useTrackOnView: the itinerary counts as viewed after a second on screen.
    await page.locator('.itinerary').scrollIntoViewIfNeeded();
    await expect.poll(async () => (await blog.stored()).some((e) => e.name === 'itinerary_viewed'), { timeout: 10_000 }).toBe(true);
  },
  checkJourney(events) {
    // Once per post, however long it stays on screen.
    expect(events.filter((e) => e.name === 'itinerary_viewed').map((e) => e.properties)).toEqual(
      expect.arrayContaining([
        {
          postId: 'lisbon-3-days',
          itineraryId: 'lisbon-3-days',
          days: 3,
          destinations: [{ country: 'PT', city: 'Lisbon', iata: 'LIS', unlocode: 'PTLIS' }],
        },
      ]),
    );
    expect(events.filter((e) => e.name === 'itinerary_viewed' && e.properties.postId === 'lisbon-3-days')).toHaveLength(1);
    // useReadTime reported the Lisbon sections read when the post unmounted, still with the post's URL.
    const lisbonSections = events.filter(
      (e) => e.name === 'section_read' && ['getting-there', 'where-to-stay', 'eating'].includes(e.properties.sectionId as string),
    );
    expect(lisbonSections.map((e) => e.properties.sectionId)).toContain('getting-there');
    expect(lisbonSections.map((e) => e.context.page.path)).toEqual(lisbonSections.map(() => '/destinations/pt/lisbon-3-days'));
  },
});
