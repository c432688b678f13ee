/** A practical guide, served by the Pages Router under `/guides/[slug]`. */
export interface Guide {
  slug: string;
  title: string;
  summary: string;
  paragraphs: string[];
}

/** The blog's practical guides: a real site would load them from its CMS. */
export const guides: Guide[] = [
  {
    slug: 'packing-light',
    title: 'Packing light',
    summary: 'One carry-on for three weeks: what goes in, and what we stopped taking.',
    paragraphs: [
      'Pack for a week and plan one laundry stop: merino tops dry overnight in a hotel room.',
      'Shoes are the heaviest thing you carry. Two pairs, one of them on your feet.',
    ],
  },
  {
    slug: 'rail-passes',
    title: 'Rail passes, honestly',
    summary: 'When a pass beats point-to-point tickets, and when it quietly costs you more.',
    paragraphs: [
      'Add up the fares of the trains you will really take before buying a pass: slow regional trains are cheap anyway.',
      'Seat reservations on high-speed lines are extra with most passes; book them the day you plan the leg.',
    ],
  },
];

/** The guide at `slug`, if there is one. */
export function findGuide(slug: string): Guide | undefined {
  return guides.find((guide) => guide.slug === slug);
}
