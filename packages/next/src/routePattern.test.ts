import { describe, expect, it } from 'vitest';
import { routePattern } from './routePattern';

describe('routePattern', () => {
  it('replaces each param value with its name', () => {
    expect(routePattern('/destinations/pt/lisbon-3-days', { country: 'pt', slug: 'lisbon-3-days' })).toBe('/destinations/[country]/[slug]');
  });

  it('replaces a catch-all with its spread name', () => {
    expect(routePattern('/guides/asia/japan/kyoto', { path: ['asia', 'japan', 'kyoto'] })).toBe('/guides/[...path]');
  });

  it('matches params in order when two have the same value', () => {
    expect(routePattern('/x/same/y/same', { a: 'same', b: 'same' })).toBe('/x/[a]/y/[b]');
  });

  it('matches encoded segments against decoded params', () => {
    expect(routePattern('/destinations/pt/s%C3%A3o-miguel', { country: 'pt', slug: 'são-miguel' })).toBe('/destinations/[country]/[slug]');
  });

  it('keeps a static path as it is', () => {
    expect(routePattern('/about', {})).toBe('/about');
    expect(routePattern('/', null)).toBe('/');
  });
});
