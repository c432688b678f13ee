import { DEFAULT_SCHEMA } from './version';

/**
 * Development only: checks an event against the built-in catalogue and logs what is wrong, naming the field.
 * The taxonomy (and zod) load lazily, so production bundles, where this call is stripped, never include them.
 */
export function devValidate(schema: string, name: string, properties: unknown): void {
  if (schema !== DEFAULT_SCHEMA) return;
  import('@waymark/taxonomy').then(
    ({ travelCatalogue, validateEvent, formatIssues }) => {
      const result = validateEvent(travelCatalogue, name, properties);
      if (!result.ok) console.error(`[waymark] track("${name}") does not match the ${schema} catalogue: ${formatIssues(result.issues)}`);
    },
    () => undefined,
  );
}
