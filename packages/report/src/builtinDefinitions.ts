import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDefinitionSync } from './loadDefinition';
import type { ReportDefinition } from './reportDefinition';

/** The folder of the built-in definitions (`definitions/` of the package): copy one from here to make your own. */
export const builtinDefinitionsDirectory: string = fileURLToPath(new URL('../definitions/', import.meta.url));

/** The order reports appear in; files not listed follow in name order. */
const order = [
  'overview',
  'content-by-post',
  'content-by-author',
  'content-by-destination',
  'content-by-theme',
  'shares-by-network',
  'trending-destinations',
  'segment-age-band',
  'segment-home-country',
  'segment-traveller-type',
  'segment-budget',
  'segment-trip-style',
  'segment-engagement-tier',
  'segment-device',
  'segment-campaign',
  'funnel-read-to-click',
  'retention-readers',
  'web-vitals-by-template',
  'data-quality',
];

/**
 * The built-in report set, loaded and validated with the same loader as a user's definition file.
 * @throws {DefinitionError} when a built-in file is invalid (a packaging bug).
 * @example
 * ```ts
 * const set = await runReports(engine, builtinDefinitions(), { to: '2026-10-31' });
 * ```
 */
export function builtinDefinitions(): ReportDefinition[] {
  const files = readdirSync(builtinDefinitionsDirectory).filter((file) => file.endsWith('.json'));
  const definitions = files.map((file) => loadDefinitionSync(join(builtinDefinitionsDirectory, file)));
  const rank = (id: string) => {
    const i = order.indexOf(id);
    return i === -1 ? order.length : i;
  };
  return definitions.sort((a, b) => rank(a.id) - rank(b.id) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * One built-in definition by id, such as `content-by-post`.
 * @throws {Error} naming the known ids when there is none with that id.
 */
export function builtinDefinition(id: string): ReportDefinition {
  const all = builtinDefinitions();
  const found = all.find((definition) => definition.id === id);
  if (!found) throw new Error(`[waymark] no built-in report "${id}"; known: ${all.map((definition) => definition.id).join(', ')}`);
  return found;
}
