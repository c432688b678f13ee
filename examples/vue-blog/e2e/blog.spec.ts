import { expect } from 'vitest';
import { closePage } from '../../../scripts/e2e/closePage';
import { describeSpaBlog } from '../../../scripts/e2e/describeSpaBlog';

describeSpaBlog({
  name: 'Vue travel blog (production build) in Chromium',
  exampleDir: new URL('..', import.meta.url),
  async onDestination(page) {
    // The reader looks at the page: v-track:view counts a heading in view for a second, once the page is idle.
    await page.waitForTimeout(3500);
  },
  checkJourney(events) {
    // v-track:view on each destination page, seen for a second.
    expect(events.filter((e) => e.name === 'destination_viewed').map((e) => e.properties)).toEqual(
      expect.arrayContaining([{ destination: { country: 'PT' } }, { destination: { country: 'JP' } }]),
    );
    // useReadTime on the Lisbon post reported the reading when the reader left it, still on the post's URL.
    const reading = events.filter((e) => ['engaged_time_reported', 'section_read'].includes(e.name));
    expect(reading.filter((e) => e.properties.postId === 'lisbon-3-days').map((e) => e.name)).toContain('engaged_time_reported');
    expect(reading.filter((e) => e.properties.postId === 'lisbon-3-days').map((e) => e.name)).toContain('section_read');
    expect(reading.every((e) => e.context.page.path === `/destinations/pt/${e.properties.postId}`)).toBe(true);
  },
  async afterJourney(page, blog) {
    // Closing the tab reports the reading of the open post with the page-exit flush.
    await closePage(page);
    await expect
      .poll(async () => (await blog.stored()).some((e) => e.name === 'engaged_time_reported' && e.properties.postId === 'kyoto-in-autumn'), {
        timeout: 10_000,
      })
      .toBe(true);
  },
});
