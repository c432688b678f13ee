import { catalogueSchemaId, travelCatalogue } from '@waymark/taxonomy';
import { describe, expect, it } from 'vitest';
import pkg from '../package.json';
import { DEFAULT_SCHEMA, LIBRARY } from './version';

describe('version', () => {
  it('stamps the package name and version', () => {
    expect(LIBRARY).toStrictEqual({ name: pkg.name, version: pkg.version });
  });

  it('defaults to the schema id of the built-in catalogue', () => {
    expect(DEFAULT_SCHEMA).toBe(catalogueSchemaId(travelCatalogue));
  });
});
