import { randomUUID } from 'node:crypto';
import type { Sink } from '@waymark/sinks';
import type { CollectorStore, ErasureJobRecord, StoredSubject } from './duckdbStore';

/** What one erasure removed, per place. */
export interface ErasureReport {
  /** Events deleted from the store. */
  events: number;
  /** Records deleted from the failed-events table. */
  failedEvents: number;
  /** Per configured sink that can erase: what it reported, or why it failed. */
  sinks: { name: string; deleted?: number; error?: string }[];
}

/** What `purgeExpired()` deleted. */
export interface PurgeReport {
  /** Events older than this (ISO 8601) were deleted. */
  before: string;
  events: number;
  failedEvents: number;
}

/** The public view of a bulk erasure job. */
export interface ErasureJobStatus {
  job: string;
  status: ErasureJobRecord['status'];
  createdAt: string;
  finishedAt?: string;
  subjects: number;
  erased: number;
  errors: string[];
}

/** Options of {@link createDataRights}. */
export interface DataRightsOptions {
  store(): Promise<CollectorStore>;
  /** Sinks events are forwarded to; those with `erase` are asked to erase too. */
  sinks: readonly Sink[];
  /** Resolves once everything accepted so far is committed and forwarded, so nothing of a subject arrives after its erasure. */
  settle(): Promise<void>;
  now(): number;
  logger: Pick<Console, 'error'>;
  /** Raw events older than this many calendar months are purged. */
  retentionMonths: number;
}

/** Erasure, the suppression list, bulk jobs and retention, on the collector's store and sinks. */
export interface DataRights {
  /** Loads the suppression list and resumes unfinished jobs; call once the store is open. */
  start(): Promise<void>;
  /** Whether the subject is on the suppression list. */
  isSuppressed(subject: { anonymousId: string; userId?: string }): boolean;
  /** Suppresses, then erases the subject from the store, the failed events and every sink with `erase`. */
  erase(subject: StoredSubject): Promise<ErasureReport>;
  /** Suppresses every subject now, then erases them in the background; resolves with the job id. */
  startJob(subjects: StoredSubject[]): Promise<string>;
  /** A job's status, or undefined when there is no such job. */
  job(id: string): ErasureJobStatus | undefined;
  /** Deletes raw and failed events older than the retention period. */
  purgeExpired(): Promise<PurgeReport>;
  /** Resolves once the running job, if any, has stopped (it stops after its current subject). */
  stop(): Promise<void>;
}

/** Subjects a job erases from the store in one transaction. */
const JOB_CHUNK = 500;

const keyOf = (subject: StoredSubject) => (subject.userId === undefined ? `a:${subject.anonymousId}` : `u:${subject.userId}`);

/** Creates the collector's {@link DataRights}. */
export function createDataRights(options: DataRightsOptions): DataRights {
  const suppressed = new Set<string>();
  const jobs = new Map<string, ErasureJobRecord>();
  const queue: ErasureJobRecord[] = [];
  let running: Promise<void> | undefined;
  let stopping = false;

  async function suppress(subjects: StoredSubject[]) {
    const store = await options.store();
    await store.suppress(subjects, options.now());
    for (const subject of subjects) suppressed.add(keyOf(subject));
  }

  /** Erases subjects from the store in one transaction, then from every sink with `erase`, one subject at a time. */
  async function eraseEverywhere(subjects: StoredSubject[]): Promise<ErasureReport> {
    await options.settle();
    const store = await options.store();
    const local = await store.eraseSubjects(subjects);
    const sinks: ErasureReport['sinks'] = [];
    for (const sink of options.sinks) {
      if (!sink.erase) continue;
      let deleted: number | undefined;
      const errors: string[] = [];
      for (const subject of subjects) {
        try {
          const result = await sink.erase({ ...subject });
          if (result.deleted !== undefined) deleted = (deleted ?? 0) + result.deleted;
        } catch (error) {
          errors.push(error instanceof Error ? error.message : String(error));
        }
      }
      sinks.push({ name: sink.name, ...(deleted === undefined ? {} : { deleted }), ...(errors.length > 0 ? { error: errors.join('; ') } : {}) });
    }
    return { ...local, sinks };
  }

  const statusOf = (job: ErasureJobRecord): ErasureJobStatus => ({
    job: job.id,
    status: job.status,
    createdAt: new Date(job.createdAt).toISOString(),
    ...(job.finishedAt === undefined ? {} : { finishedAt: new Date(job.finishedAt).toISOString() }),
    subjects: job.subjects.length,
    erased: job.done,
    errors: job.errors,
  });

  async function runJobs() {
    const store = await options.store();
    while (queue.length > 0 && !stopping) {
      const job = queue[0];
      job.status = 'running';
      await store.saveJob(job);
      while (job.done < job.subjects.length && !stopping) {
        const chunk = job.subjects.slice(job.done, job.done + JOB_CHUNK);
        try {
          const report = await eraseEverywhere(chunk);
          for (const sink of report.sinks) if (sink.error) job.errors.push(`subjects ${job.done + 1}-${job.done + chunk.length}: sink ${sink.name}: ${sink.error}`);
        } catch (error) {
          job.errors.push(`subjects ${job.done + 1}-${job.done + chunk.length}: ${error instanceof Error ? error.message : String(error)}`);
        }
        job.done += chunk.length;
        // Saved after each chunk, so a restart resumes close to where it stopped.
        await store.saveJob(job);
      }
      if (stopping) break;
      job.status = job.errors.length > 0 ? 'failed' : 'done';
      job.finishedAt = options.now();
      await store.saveJob(job);
      queue.shift();
    }
  }

  function kick() {
    if (running || stopping) return;
    running = runJobs()
      .catch((error: unknown) => options.logger.error('[waymark] collector: a bulk erasure job stopped', error))
      .finally(() => {
        running = undefined;
        if (queue.length > 0 && !stopping) kick();
      });
  }

  return {
    async start() {
      const store = await options.store();
      for (const subject of await store.suppressed()) suppressed.add(keyOf(subject));
      for (const job of await store.jobs()) {
        jobs.set(job.id, job);
        if (job.status === 'queued' || job.status === 'running') queue.push(job);
      }
      kick();
    },
    isSuppressed: ({ anonymousId, userId }) => suppressed.has(`a:${anonymousId}`) || (userId !== undefined && suppressed.has(`u:${userId}`)),
    async erase(subject) {
      await suppress([subject]);
      return eraseEverywhere([subject]);
    },
    async startJob(subjects) {
      await suppress(subjects);
      const job: ErasureJobRecord = { id: randomUUID(), createdAt: options.now(), status: 'queued', subjects, done: 0, errors: [] };
      await (await options.store()).saveJob(job);
      jobs.set(job.id, job);
      queue.push(job);
      kick();
      return job.id;
    },
    job(id) {
      const job = jobs.get(id);
      return job && statusOf(job);
    },
    async purgeExpired() {
      const cutoff = new Date(options.now());
      cutoff.setUTCMonth(cutoff.getUTCMonth() - options.retentionMonths);
      const store = await options.store();
      const result = await store.purge(cutoff.getTime());
      return { before: cutoff.toISOString(), ...result };
    },
    async stop() {
      stopping = true;
      await running;
    },
  };
}
