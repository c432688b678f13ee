import type { z } from 'zod';
import type { Catalogue } from './defineCatalogue';
import { catalogueSchemaId } from './defineCatalogue';
import { envelopeSchema } from './envelope';
import type { Envelope } from './envelope';

/** One problem found by validation: where (a dotted path) and what is wrong. */
export interface ValidationIssue {
  /** Dotted path such as `properties.destination.country`; empty for the whole value. */
  path: string;
  message: string;
}

/** Result of a validation: the parsed value, or every issue found. */
export type ValidationResult<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

function toIssues(error: z.ZodError, prefix: string): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
}

/** Formats issues as one line each: `properties.destination.country: expected an ISO 3166-1 …`. */
export function formatIssues(issues: ValidationIssue[]): string {
  return issues.map((issue) => `${issue.path || '(event)'}: ${issue.message}`).join('; ');
}

/**
 * Checks one event's name and properties against a catalogue.
 *
 * @example
 * const result = validateEvent(travelCatalogue, 'destination_viewed', { destination: { country: 'PT' } });
 * if (!result.ok) console.error(formatIssues(result.issues));
 */
export function validateEvent(
  catalogue: Catalogue,
  name: string,
  properties: unknown,
): ValidationResult<Record<string, unknown>> {
  const definition = Object.hasOwn(catalogue.events, name) ? catalogue.events[name] : undefined;
  if (!definition) {
    return {
      ok: false,
      issues: [{ path: 'name', message: `unknown event "${name}" in catalogue "${catalogueSchemaId(catalogue)}"` }],
    };
  }
  const parsed = definition.properties.safeParse(properties ?? {});
  return parsed.success
    ? { ok: true, value: parsed.data as Record<string, unknown> }
    : { ok: false, issues: toIssues(parsed.error, 'properties') };
}

/**
 * Checks a whole envelope as received from the wire: its shape, then its properties against the catalogue its
 * `schema` field names (`id@version`). An envelope from a newer catalogue version than the ones given is an issue,
 * not a crash, so the collector can keep it as a failed event and replay it after an upgrade.
 */
export function validateEnvelope(catalogues: readonly Catalogue[], input: unknown): ValidationResult<Envelope> {
  const parsed = envelopeSchema.safeParse(input);
  if (!parsed.success) return { ok: false, issues: toIssues(parsed.error, '') };
  const envelope = parsed.data;
  const [catalogueId, version] = envelope.schema.split('@');
  const catalogue = catalogues.find((c) => c.id === catalogueId && c.version >= Number(version));
  if (!catalogue) {
    const known = catalogues.map(catalogueSchemaId).join(', ') || 'none';
    return {
      ok: false,
      issues: [{ path: 'schema', message: `unknown catalogue "${envelope.schema}" (this collector knows ${known})` }],
    };
  }
  const issues: ValidationIssue[] = [];
  const properties = validateEvent(catalogue, envelope.name, envelope.properties);
  if (!properties.ok) issues.push(...properties.issues);
  if (envelope.traits !== undefined && catalogue.traits) {
    const traits = catalogue.traits.safeParse(envelope.traits);
    if (!traits.success) issues.push(...toIssues(traits.error, 'traits'));
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: envelope };
}
