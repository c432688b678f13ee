/** Name and version stamped on every envelope as `context.library` (kept equal to package.json by a test). */
export const LIBRARY = { name: '@waymark/core', version: '0.1.0' } as const;

/** The catalogue envelopes follow unless `schema` says otherwise (kept equal to the taxonomy by a test). */
export const DEFAULT_SCHEMA = 'travel@1';
