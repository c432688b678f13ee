import { travelCatalogue, validateEnvelope, validateEvent, formatIssues } from '@waymark/taxonomy';
import { beforeAll, describe, expect, it } from 'vitest';
import { createVisitor } from './createVisitor';
import { generateReadership } from './generateReadership';
import type { Visit } from './generateReadership';
import { expectedDestinationShares, expectedTrendingDestinations, knownAnswers, trendingWindows } from './knownAnswers';
import { posts } from './siteContent';
import { toEnvelope } from './toEnvelope';

const period = { start: '2026-03-01T00:00:00.000Z', days: 30 };
const options = { ...period, seed: 42, visitors: 6000 };
let visits: Visit[];

beforeAll(() => {
  visits = [...generateReadership(options)];
}, 120_000);

/** Destination countries of the page views readers sent (crawlers and declined visitors excluded). */
function destinationViews(from = -Infinity, to = Infinity): Map<string, number> {
  const counts = new Map<string, number>();
  for (const visit of visits) {
    if (visit.visitor.kind === 'bot' || visit.visitor.consent === 'declined') continue;
    for (const action of visit.actions) {
      if (action.name !== 'page_viewed' || action.at < from || action.at >= to) continue;
      const countries = new Set(((action.properties.destinations as { country: string }[] | undefined) ?? []).map((d) => d.country));
      for (const country of countries) counts.set(country, (counts.get(country) ?? 0) + 1);
    }
  }
  return counts;
}

const ranked = (counts: Map<string, number>) => [...counts].sort((a, b) => b[1] - a[1]).map(([key]) => key);
const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);

describe('generateReadership', { timeout: 60_000 }, () => {
  it('generates the same readership for the same seed, and another for another seed', () => {
    const small = { ...period, seed: 5, visitors: 150 };
    const first = JSON.stringify([...generateReadership(small)]);
    expect(JSON.stringify([...generateReadership(small)])).toBe(first);
    expect(JSON.stringify([...generateReadership({ ...small, seed: 6 })])).not.toBe(first);
  });

  it('keeps a visitor the same whatever the number of visitors generated', () => {
    // Only the position in the period's time order depends on the other visitors.
    const withoutSequence = (list: Visit[]) => JSON.stringify(list.map(({ sequence: _, ...visit }) => visit));
    const fewer = [...generateReadership({ ...options, visitors: 300 })];
    expect(withoutSequence(fewer)).toBe(withoutSequence(visits.filter((visit) => visit.visitor.index < 300)));
  });

  it('yields visits in time order, each with its actions in order and sent after they happen', () => {
    const start = Date.parse(period.start);
    const problems: string[] = [];
    visits.forEach((visit, k) => {
      if (k > 0 && visit.start < visits[k - 1].start) problems.push(`visit ${k} starts before the one before it`);
      if (visit.start < start || visit.start >= start + period.days * 86_400_000) problems.push(`visit ${k} starts outside the period`);
      if (visit.sequence !== k) problems.push(`visit ${k} has sequence ${visit.sequence}`);
      if (visit.actions[0].type !== 'page') problems.push(`visit ${k} starts with ${visit.actions[0].name}`);
      visit.actions.forEach((action, i) => {
        if (i > 0 && action.at < visit.actions[i - 1].at) problems.push(`visit ${k} action ${i} is out of order`);
        if (action.sentAt < action.at) problems.push(`visit ${k} action ${i} is sent before it happens`);
        if (!visit.pages[action.page]) problems.push(`visit ${k} action ${i} has no page`);
      });
    });
    expect(problems.slice(0, 5)).toEqual([]);
  });

  it('sends envelopes and properties that the travel@1 catalogue accepts', () => {
    const names = new Set<string>();
    let checked = 0;
    for (const visit of visits.slice(0, 1500)) {
      visit.actions.forEach((action, i) => {
        const result = validateEvent(travelCatalogue, action.name, action.properties);
        if (!result.ok) throw new Error(`${action.name}: ${formatIssues(result.issues)}`);
        const envelope = toEnvelope(visit, i);
        if (!envelope) return;
        const valid = validateEnvelope([travelCatalogue], envelope);
        if (!valid.ok) throw new Error(`${envelope.name}: ${formatIssues(valid.issues)}`);
        names.add(envelope.name);
        checked++;
      });
    }
    expect(checked).toBeGreaterThan(20_000);
    expect([...names].sort()).toEqual(
      [
        'affiliate_link_clicked', 'comment_posted', 'destination_viewed', 'engaged_time_reported', 'gallery_interacted', 'itinerary_day_read',
        'itinerary_saved', 'itinerary_viewed', 'map_interacted', 'newsletter_signed_up', 'page_viewed', 'post_read', 'post_shared',
        'scroll_depth_reached', 'search_performed', 'section_read', 'user_identified', 'web_vital_measured',
      ].sort(),
    );
  });

  it('draws devices, consent choices, crawlers and sign-ins in the model’s shares', () => {
    const people = Array.from({ length: 20_000 }, (_, i) => createVisitor(99, i));
    const humans = people.filter((visitor) => visitor.kind === 'human');
    const share = (list: unknown[], of: unknown[]) => list.length / of.length;
    expect(share(people.filter((v) => v.kind === 'bot'), people)).toBeCloseTo(0.02, 2);
    expect(share(humans.filter((v) => v.screen === 'mobile'), humans)).toBeCloseTo(0.55, 1);
    expect(share(humans.filter((v) => v.screen === 'desktop'), humans)).toBeCloseTo(0.4, 1);
    expect(share(humans.filter((v) => v.screen === 'tablet'), humans)).toBeCloseTo(0.05, 1);
    expect(share(humans.filter((v) => v.consent === 'granted'), humans)).toBeCloseTo(0.8, 1);
    expect(share(humans.filter((v) => v.consent === 'declined'), humans)).toBeCloseTo(0.12, 1);
    expect(share(humans.filter((v) => v.consent === 'analytics_only'), humans)).toBeCloseTo(0.08, 1);
    expect(share(humans.filter((v) => v.userId !== undefined), humans)).toBeCloseTo(0.3, 1);
    expect(humans.filter((v) => v.offlineReader).every((v) => v.storesIds)).toBe(true);
    expect(people.filter((v) => v.kind === 'bot').every((v) => v.userAgent.bot)).toBe(true);
    expect(humans.every((v) => !v.userAgent.bot && v.userAgent.device === v.screen)).toBe(true);
  });

  it('has many one-time readers and a few loyal ones who make a large share of the visits', () => {
    const perVisitor = new Map<number, number>();
    for (const visit of visits) if (visit.visitor.kind === 'human') perVisitor.set(visit.visitor.index, (perVisitor.get(visit.visitor.index) ?? 0) + 1);
    const counts = [...perVisitor.values()];
    const once = counts.filter((n) => n === 1).length / counts.length;
    const frequent = counts.filter((n) => n >= 10);
    expect(once).toBeGreaterThan(0.6);
    expect(frequent.length / counts.length).toBeLessThan(0.06);
    // Frequent readers make several times their share of the visits.
    expect(frequent.reduce((a, b) => a + b, 0) / visits.length).toBeGreaterThan((5 * frequent.length) / counts.length);
  });

  it('puts the expected top destinations on top of the counted page views and destination views', () => {
    const answers = knownAnswers(period);
    expect(answers.topDestinations).toEqual(['PT', 'JP', 'IT']);
    const views = destinationViews();
    expect(ranked(views).slice(0, 3)).toEqual(answers.topDestinations);
    const expected = expectedDestinationShares(period);
    for (const country of answers.topDestinations) {
      expect(views.get(country)! / total(views)).toBeGreaterThan(expected.get(country)! * 0.9);
      expect(views.get(country)! / total(views)).toBeLessThan(expected.get(country)! * 1.1);
    }
    // The third is clearly ahead of the fourth.
    expect(views.get(ranked(views)[2])!).toBeGreaterThan(1.5 * views.get(ranked(views)[3])!);
    const destinationViewed = new Map<string, number>();
    for (const visit of visits) {
      if (visit.visitor.kind === 'bot' || visit.visitor.consent === 'declined') continue;
      for (const action of visit.actions) {
        if (action.name !== 'destination_viewed') continue;
        const { country } = action.properties.destination as { country: string };
        destinationViewed.set(country, (destinationViewed.get(country) ?? 0) + 1);
      }
    }
    expect(ranked(destinationViewed).slice(0, 3)).toEqual(answers.topDestinations);
  });

  it('makes the expected destination trend in the last third, and keeps the launched one below the minimum volume', () => {
    const answers = knownAnswers(period);
    expect(answers.trendingDestination).toBe('GE');
    const { previous, current } = trendingWindows(period);
    const before = destinationViews(...previous);
    const now = destinationViews(...current);
    const growth = (country: string) => now.get(country)! / total(now) / (before.get(country)! / total(before));
    const trending = [...now.keys()].filter((country) => now.get(country)! / total(now) >= 0.01 && before.has(country)).sort((a, b) => growth(b) - growth(a));
    expect(trending[0]).toBe(answers.trendingDestination);
    expect(growth(trending[0])).toBeGreaterThan(2.5);
    expect(growth(trending[1])).toBeLessThan(1.3);
    const expected = expectedTrendingDestinations(period)[0];
    expect(growth('GE')).toBeGreaterThan(expected.growth * 0.8);
    expect(growth('GE')).toBeLessThan(expected.growth * 1.2);
    // Bhutan's post launches late: views only in the current window, and fewer than the minimum share.
    expect(answers.launchedDestination).toBe('BT');
    expect(destinationViews(-Infinity, current[0]).get('BT') ?? 0).toBe(0);
    expect(now.get('BT')).toBeGreaterThan(0);
    expect(now.get('BT')! / total(now)).toBeLessThan(0.01);
  });

  it('gives gallery pages the slowest LCP and the lowest read-through', () => {
    const answers = knownAnswers(period);
    expect(answers).toMatchObject({ slowestTemplate: 'gallery', lowestReadThroughTemplate: 'gallery' });
    const lcp = new Map<string, number[]>();
    const viewsByTemplate = new Map<string, number>();
    const readsByTemplate = new Map<string, number>();
    const templateOf = new Map(posts.map((post) => [post.postId, post.template]));
    for (const visit of visits) {
      if (visit.visitor.kind === 'bot') continue;
      for (const action of visit.actions) {
        const { properties } = action;
        if (action.name === 'web_vital_measured' && properties.metric === 'LCP') {
          lcp.set(properties.template as string, [...(lcp.get(properties.template as string) ?? []), properties.value as number]);
        }
        const template = templateOf.get(properties.postId as string);
        if (action.name === 'page_viewed' && template) viewsByTemplate.set(template, (viewsByTemplate.get(template) ?? 0) + 1);
        if (action.name === 'post_read' && template) readsByTemplate.set(template, (readsByTemplate.get(template) ?? 0) + 1);
      }
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const templates = ['article', 'itinerary', 'guide', 'gallery'];
    const slowest = templates.reduce((a, b) => (median(lcp.get(b)!) > median(lcp.get(a)!) ? b : a));
    const readThrough = (t: string) => readsByTemplate.get(t)! / viewsByTemplate.get(t)!;
    const leastRead = templates.reduce((a, b) => (readThrough(b) < readThrough(a) ? b : a));
    expect(slowest).toBe(answers.slowestTemplate);
    expect(leastRead).toBe(answers.lowestReadThroughTemplate);
    expect(median(lcp.get('gallery')!)).toBeGreaterThan(2500);
  });

  it('delivers offline readers’ events hours late and keeps identified readers’ user id', () => {
    const offline = visits.filter((visit) => visit.offline);
    expect(offline.length).toBeGreaterThan(20);
    for (const visit of offline) {
      expect(visit.visitor.storesIds).toBe(true);
      for (const action of visit.actions) expect(action.sentAt - action.at).toBeGreaterThan(30 * 60_000);
    }
    const online = visits.filter((visit) => !visit.offline).flatMap((visit) => visit.actions);
    expect(online.every((action) => action.sentAt - action.at < 6000)).toBe(true);
    const identifies = visits.flatMap((visit) => visit.actions.filter((action) => action.type === 'identify').map((action) => ({ visit, action })));
    expect(identifies.length).toBeGreaterThan(200);
    for (const { visit, action } of identifies) {
      expect(action.traits).toEqual(visit.visitor.traits);
      expect(action.userId).toBe(visit.visitor.userId);
      expect(visit.actions.filter((other) => other.at >= action.at).every((other) => other.userId === visit.visitor.userId)).toBe(true);
    }
    const returning = visits.filter((visit) => visit.visitor.storesIds && visit.visitor.userId && visit.number > visit.visitor.identifiesOnVisit!);
    expect(returning.length).toBeGreaterThan(50);
    expect(returning.every((visit) => visit.actions.every((action) => action.userId === visit.visitor.userId && action.type !== 'identify'))).toBe(true);
  });
});
