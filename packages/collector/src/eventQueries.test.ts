import { describe, expect, it } from 'vitest';
import { aggregateSql, csvCell, parseQuery } from './eventQueries';
import { createReadKeyring, hashReadKey } from './readKeys';

describe('csvCell', () => {
  it('prefixes a quote to cells a spreadsheet would run as a formula', () => {
    expect(['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx', '\0x'].map(csvCell)).toEqual(["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", `"'\rx"`, "'\0x"]);
  });

  it('quotes commas, quotes and line breaks per RFC 4180 and leaves plain cells alone', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('lisbon')).toBe('lisbon');
    expect(csvCell(null)).toBe('');
    expect(csvCell(0.5)).toBe('0.5');
  });
});

describe('aggregateSql', () => {
  it('passes every value from the request as a parameter', () => {
    const spec = parseQuery(new URL("http://c.test/v1/query?metric=events&dimension=path&filter=name:x'); DROP TABLE waymark_events; --"), Date.parse('2026-06-01T00:00:00Z'));
    const { sql, params } = aggregateSql(spec, { authorId: "ana' OR '1'='1" });
    expect(sql).not.toContain('DROP');
    expect(sql).not.toContain('ana');
    expect(params).toContain("x'); DROP TABLE waymark_events; --");
    expect(params).toContain("ana' OR '1'='1");
    expect(params).toContain('day');
  });
});

describe('read keys', () => {
  it('finds a key by its hash or raw value and refuses others', () => {
    const keyring = createReadKeyring([
      { name: 'admin', hash: hashReadKey('rk_admin_secret_value'), role: 'admin' },
      { name: 'ana', key: 'rk_creator_secret_ana', role: 'creator', authorId: 'ana' },
    ]);
    expect(hashReadKey('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(keyring.authenticate('Bearer rk_admin_secret_value')).toEqual({ name: 'admin', role: 'admin' });
    expect(keyring.authenticate('bearer rk_creator_secret_ana')).toEqual({ name: 'ana', role: 'creator', authorId: 'ana' });
    expect(keyring.authenticate('Bearer rk_admin_secret_valuX')).toBeUndefined();
    expect(keyring.authenticate('Basic cmtfYWRtaW4=')).toBeUndefined();
    expect(keyring.authenticate(`Bearer ${hashReadKey('rk_admin_secret_value')}`)).toBeUndefined();
    expect(keyring.authenticate(null)).toBeUndefined();
  });
});
