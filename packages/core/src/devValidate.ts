import type { Catalogue } from '@waymark/taxonomy';
import { DEFAULT_SCHEMA } from './version';

/**
 * Development only: checks an event against its catalogue and logs what is wrong, naming the field. The catalogue is
 * the one `load` returns (the tracker's `catalogue` option), else the built-in one when `schema` is `travel@1`.
 * The taxonomy (and zod) load lazily, so production bundles, where this call is stripped, never include them.
 */
export function devValidate(schema: string, name: string, properties: unknown, load?: () => Promise<Catalogue>): void {
  if (!load && schema !== DEFAULT_SCHEMA) return;
  import('@waymark/taxonomy').then(
    async ({ travelCatalogue, validateEvent, formatIssues, catalogueSchemaId }) => {
      let catalogue = travelCatalogue as Catalogue;
      if (load) {
        try {
          catalogue = await load();
        } catch (error) {
          console.error('[waymark] the catalogue option failed to load the catalogue; events are not validated:', error);
          return;
        }
      }
      const result = validateEvent(catalogue, name, properties);
      if (!result.ok) {
        console.error(
          `[waymark] track("${name}") does not match the ${catalogueSchemaId(catalogue)} catalogue: ${formatIssues(result.issues)}`,
        );
      }
    },
    () => undefined,
  );
}
