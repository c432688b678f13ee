/**
 * Ids that occur more than once among received envelopes, each listed once: an exactly-once delivery check.
 *
 * @example
 * expect(duplicateIds(recorder.envelopes())).toEqual([]);
 */
export function duplicateIds(envelopes: ReadonlyArray<{ id: string }>): string[] {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const { id } of envelopes) {
    if (seen.has(id)) duplicates.add(id);
    seen.add(id);
  }
  return [...duplicates];
}
