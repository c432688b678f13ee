import { describe, expect, it } from 'vitest';
import { createGroupCommit } from './groupCommit';

/** A commit function whose calls wait until released, recording what it was given. */
function gatedCommit() {
  const calls: { items: number[]; release(error?: Error): void }[] = [];
  const commit = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({ items, release: (error) => (error ? reject(error) : resolve(items.map((n) => `ok ${n}`))) });
    });
  return { calls, commit };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('group commit', () => {
  it('commits what arrives within the window in one call and answers each submitter its own results', async () => {
    const { calls, commit } = gatedCommit();
    const group = createGroupCommit(commit, 20);
    const first = group.submit([1, 2]);
    const second = group.submit([3]);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(calls.map((c) => c.items)).toEqual([[1, 2, 3]]);
    expect(group.depth).toBe(3);
    calls[0].release();
    expect(await first).toEqual(['ok 1', 'ok 2']);
    expect(await second).toEqual(['ok 3']);
    expect(group.depth).toBe(0);
  });

  it('groups what arrives during a commit into the next one, started before the previous answers are delivered', async () => {
    const { calls, commit } = gatedCommit();
    const group = createGroupCommit(commit, 0);
    const order: string[] = [];
    const first = group.submit([1]).then(() => order.push(`first group answered after ${calls.length} commits started`));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = group.submit([2]).then(() => order.push('second group answered'));
    void group.submit([3]);
    calls[0].release();
    await first;
    expect(order).toEqual(['first group answered after 2 commits started']);
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3]]);
    calls[1].release();
    await second;
    expect(order).toEqual(['first group answered after 2 commits started', 'second group answered']);
  });

  it('rejects every submitter of a failed commit and goes on with the next group', async () => {
    const { calls, commit } = gatedCommit();
    const group = createGroupCommit(commit, 0);
    const failing = [group.submit([1]), group.submit([2])];
    await new Promise((resolve) => setTimeout(resolve, 5));
    const later = group.submit([3]);
    calls[0].release(new Error('disk full'));
    await expect(failing[0]).rejects.toThrow('disk full');
    await expect(failing[1]).rejects.toThrow('disk full');
    await tick();
    expect(calls.map((c) => c.items)).toEqual([[1, 2], [3]]);
    calls[1].release();
    expect(await later).toEqual(['ok 3']);
  });

  it('drains a waiting group at once, without waiting for the window', async () => {
    const { calls, commit } = gatedCommit();
    const group = createGroupCommit(commit, 60_000);
    const pending = group.submit([7]);
    const drained = group.drain();
    await tick();
    expect(calls.map((c) => c.items)).toEqual([[7]]);
    calls[0].release();
    await drained;
    expect(await pending).toEqual(['ok 7']);
  });
});
