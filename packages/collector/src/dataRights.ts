import { randomUUID } from 'node:crypto';
import type { Sink } from '@waymark/sinks';
import type { CollectorStore, ErasureJobRecord, StoredSubject } from './duckdbStore';

/** What one erasure removed, per place. */
export interface ErasureReport {
  /** Events deleted from the store. */
  events: number;
  /** Records deleted from the failed-events table. */
  failedEvents: number;
  /**
   * Per configured sink that can erase: what it reported, why it failed, or, for an erasure limited to one site, why
   * it was not asked (`skipped`: a sink erases a subject on every site).
   */
  sinks: { name: string; deleted?: number; error?: string; skipped?: string }[];
}

/** Where an erasure reaches: every site, or with `siteId` (a read key bound to one site) that site only. */
export interface ErasureScope {
  /** Only this site's events and failed events are erased, and the subject is suppressed on this site only. */
  siteId?: string;
}

/** Who an ingested or replayed event belongs to, for {@link DataRights.isSuppressed}. */
export interface SuppressionCheck {
  anonymousId: string;
  /** As stored (pseudonymised). */
  userId?: string;
  /** The site the event is for; when neither this nor `context.server.siteId` is set, a suppression on any site counts. */
  siteId?: string;
  context?: { server?: { siteId?: string } };
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
  /** Set when the job erases this site's events only. */
  siteId?: string;
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
  /** Whether the subject is on the suppression list, on every site or on the event's site. */
  isSuppressed(subject: SuppressionCheck): boolean;
  /**
   * Suppresses, then erases the subject from the store, the failed events and every sink with `erase`. With a
   * `siteId` scope, from that site's events and failed events only; sinks are not asked then (see {@link ErasureReport}).
   */
  erase(subject: StoredSubject, scope?: ErasureScope): Promise<ErasureReport>;
  /** Suppresses every subject now, then erases them in the background (within `scope`); resolves with the job id. */
  startJob(subjects: StoredSubject[], scope?: ErasureScope): Promise<string>;
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

/**
 * The retention cutoff: the same instant `months` calendar months before `now`, on the last day of the target month
 * when it has no such day (31 May minus 3 months is 28 February, not 3 March).
 */
function retentionCutoff(now: number, months: number): Date {
  const cutoff = new Date(now);
  const day = cutoff.getUTCDate();
  cutoff.setUTCDate(1);
  cutoff.setUTCMonth(cutoff.getUTCMonth() - months);
  const lastDay = new Date(Date.UTC(cutoff.getUTCFullYear(), cutoff.getUTCMonth() + 1, 0)).getUTCDate();
  cutoff.setUTCDate(Math.min(day, lastDay));
  return cutoff;
}

/** Creates the collector's {@link DataRights}. */
export function createDataRights(options: DataRightsOptions): DataRights {
  // Subject keys (see keyOf) suppressed on every site, and per site.
  const everySite = new Set<string>();
  const bySite = new Map<string, Set<string>>();
  const remember = (subject: StoredSubject, siteId: string | undefined) => {
    if (siteId === undefined) {
      everySite.add(keyOf(subject));
      return;
    }
    let keys = bySite.get(siteId);
    if (!keys) bySite.set(siteId, (keys = new Set()));
    keys.add(keyOf(subject));
  };
  const jobs = new Map<string, ErasureJobRecord>();
  const queue: ErasureJobRecord[] = [];
  let running: Promise<void> | undefined;
  let stopping = false;

  async function suppress(subjects: StoredSubject[], siteId: string | undefined) {
    const store = await options.store();
    await store.suppress(subjects, options.now(), siteId);
    for (const subject of subjects) remember(subject, siteId);
  }

  /**
   * Erases subjects from the store in one transaction, then from every sink with `erase`, one subject at a time. For
   * one site, the sinks are not asked: their `erase` takes a subject only, and would erase it on every site.
   */
  async function eraseEverywhere(subjects: StoredSubject[], siteId: string | undefined): Promise<ErasureReport> {
    await options.settle();
    const store = await options.store();
    const local = await store.eraseSubjects(subjects, siteId);
    const sinks: ErasureReport['sinks'] = [];
    for (const sink of options.sinks) {
      if (!sink.erase) continue;
      if (siteId !== undefined) {
        sinks.push({ name: sink.name, skipped: `not asked: it would erase the subject on every site, and this erasure is limited to site "${siteId}"` });
        continue;
      }
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
    ...(job.siteId === undefined ? {} : { siteId: job.siteId }),
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
          const report = await eraseEverywhere(chunk, job.siteId);
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
      for (const { siteId, ...subject } of await store.suppressed()) remember(subject as StoredSubject, siteId);
      for (const job of await store.jobs()) {
        jobs.set(job.id, job);
        if (job.status === 'queued' || job.status === 'running') queue.push(job);
      }
      kick();
    },
    isSuppressed(subject) {
      const siteId = subject.siteId ?? subject.context?.server?.siteId;
      const has = (keys: Set<string> | undefined) =>
        keys !== undefined && (keys.has(`a:${subject.anonymousId}`) || (subject.userId !== undefined && keys.has(`u:${subject.userId}`)));
      if (has(everySite)) return true;
      if (siteId !== undefined) return has(bySite.get(siteId));
      for (const keys of bySite.values()) if (has(keys)) return true;
      return false;
    },
    async erase(subject, scope = {}) {
      await suppress([subject], scope.siteId);
      return eraseEverywhere([subject], scope.siteId);
    },
    async startJob(subjects, scope = {}) {
      await suppress(subjects, scope.siteId);
      const job: ErasureJobRecord = {
        id: randomUUID(),
        createdAt: options.now(),
        status: 'queued',
        subjects,
        done: 0,
        errors: [],
        ...(scope.siteId === undefined ? {} : { siteId: scope.siteId }),
      };
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
      const cutoff = retentionCutoff(options.now(), options.retentionMonths);
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
