import { randomUUID } from 'node:crypto';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { createIdWindow, idFingerprint } from './idWindow';

describe('idFingerprint', () => {
  it("equals the words of DuckDB's md5_number_upper", async () => {
    const ids = ['3f0c2d1b-9a10-4a51-9a7e-0b7f6c1e7d0e', 'e-1', 'ünïcødé-id-✓', randomUUID()];
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      for (const id of ids) {
        const reader = await connection.runAndReadAll('SELECT (md5_number_upper($1) >> 32)::UINTEGER, (md5_number_upper($1) & 4294967295)::UINTEGER', [id]);
        const [hi, lo] = reader.getRows()[0];
        expect(idFingerprint(id)).toEqual({ hi, lo });
      }
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});

describe('createIdWindow', () => {
  it('holds every id added within the window, and no other', () => {
    const window = createIdWindow(7 * 86_400_000);
    const ids = Array.from({ length: 20_000 }, () => randomUUID());
    ids.forEach((id, i) => window.add(idFingerprint(id), 1_000_000 + i * 1000));
    expect(window.size).toBe(20_000);
    expect(ids.every((id) => window.mightHave(idFingerprint(id)))).toBe(true);
    expect(Array.from({ length: 20_000 }, () => randomUUID()).some((id) => window.mightHave(idFingerprint(id)))).toBe(false);
    // Open addressing at most 3/4 full: under 22 bytes per id.
    expect(window.bytes / window.size).toBeLessThan(22);
  });

  it('forgets a slice once all its ids are older than the window, and keeps the rest', () => {
    const day = 86_400_000;
    const window = createIdWindow(7 * day, 7);
    const old = idFingerprint('old');
    const newer = idFingerprint('newer');
    window.add(old, 0);
    window.add(newer, 3 * day);
    window.expire(7 * day + 1); // `old` is just older than the window, but its slice ends a day later
    expect(window.mightHave(old)).toBe(true);
    window.expire(8 * day);
    expect(window.mightHave(old)).toBe(false);
    expect(window.mightHave(newer)).toBe(true);
    expect(window.size).toBe(1);
  });

  it('holds the fingerprint made of zeros', () => {
    const window = createIdWindow(1000);
    window.add({ hi: 0, lo: 0 }, 0);
    expect(window.mightHave({ hi: 0, lo: 0 })).toBe(true);
    expect(window.mightHave({ hi: 0, lo: 2 })).toBe(false);
  });
});
