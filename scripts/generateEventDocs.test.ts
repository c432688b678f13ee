import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineCatalogue, defineEvent, travelCatalogue } from '../packages/taxonomy/src/index';
import { expectedFiles, renderEventDocs } from './generateEventDocs';
import { z } from 'zod';

describe('generated event reference', () => {
  it.each(Object.entries(expectedFiles()))('%s matches the catalogue (run `npm run docs:events` if not)', (file, content) => {
    expect(readFileSync(join(import.meta.dirname, '..', file), 'utf8')).toBe(content);
  });

  it('documents every built-in event with its version', () => {
    const docs = renderEventDocs();
    for (const [name, event] of Object.entries(travelCatalogue.events)) {
      expect(docs).toContain(`### \`${name}\` (v${event.version})`);
    }
  });

  it('lists nested properties with their rules and requiredness', () => {
    const docs = renderEventDocs(
      defineCatalogue({
        id: 'doc-test',
        version: 2,
        events: {
          thing_done: defineEvent({
            category: 'test',
            version: 3,
            description: 'A thing was done.',
            properties: z.strictObject({ place: z.strictObject({ code: z.string().max(5) }), note: z.string().optional() }),
          }),
        },
      }),
    );
    expect(docs).toContain('Catalogue `doc-test@2`: 1 events');
    expect(docs).toContain('### `thing_done` (v3)');
    expect(docs).toContain('| `place.code` | string | yes | max length 5 |');
    expect(docs).toContain('| `note` | string | no |  |');
  });
});
