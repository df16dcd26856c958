/**
 * A task's metrics after a run, command by command: each command's come from the run that
 * last ran it. A command this run did not get to (its training failed first) reports
 * nothing, rather than what it reported after an older training; one it skipped as done, or
 * was not given (`-c test` after training), keeps what it reported before. The metrics file
 * (`metrics.json`) goes over them all, as `coord results` of a directory reads it.
 */
import { createHash } from 'node:crypto';

type Metrics = Record<string, number>;

/** What the task's record keeps beside the merged `metrics`, for the next run to merge with. */
export interface MetricsRecord {
  commands: Record<string, Metrics>;
  file?: Metrics;
  /** A digest of the merged `metrics` written with it (see sealedRecord). */
  of?: string;
}

function digest(text: string): string {
  return createHash('sha1').update(text).digest('hex').slice(0, 16);
}

/** The record as written beside `metricsJson`: an agent that merges later can tell whether `metrics` was written since by one that keeps no record. */
export function sealedRecord(record: MetricsRecord, metricsJson: string): MetricsRecord {
  return { ...record, of: digest(metricsJson) };
}

/**
 * The record to merge with, when it was written with the task's `metrics` as they are now;
 * undefined when there is none, or when an agent of a version that keeps no record (a mixed
 * fleet during an upgrade) wrote `metrics` since: then all of `metrics` goes under, as before.
 */
export function trustedRecord(record: unknown, metricsJson: string | null): MetricsRecord | undefined {
  if (!record || typeof record !== 'object' || typeof (record as MetricsRecord).commands !== 'object') return undefined;
  return (record as MetricsRecord).of === digest(metricsJson ?? '') ? (record as MetricsRecord) : undefined;
}

export interface EarlierMetrics {
  /** Written by an agent that kept metrics per command; absent in older records. */
  record?: MetricsRecord;
  /** The merged metrics of the record (all an older agent kept). */
  all: Metrics;
  /** Whether the task's record may hold a metrics record that this run's must replace. */
  mayHaveRecord?: boolean;
}

export interface RunMetrics {
  /** The commands this run was given, in order. */
  given: string[];
  /** Commands this run started (their lines) or found done on this disk (their logs). */
  ran: Map<string, Metrics>;
  /** Commands it skipped as done. */
  skipped: string[];
  /** The metrics file as it is now; undefined when there is none. */
  file: Metrics | undefined;
}

export function taskMetrics(run: RunMetrics, earlier: EarlierMetrics): { metrics: Metrics; record: MetricsRecord } {
  const commands: Record<string, Metrics> = {};
  for (const [command, metrics] of Object.entries(earlier.record?.commands ?? {})) if (!run.given.includes(command)) commands[command] = metrics;
  for (const command of run.given) {
    const metrics = run.ran.get(command) ?? (run.skipped.includes(command) ? earlier.record?.commands[command] : undefined);
    if (metrics && Object.keys(metrics).length > 0) commands[command] = metrics;
  }
  const file = run.file ?? earlier.record?.file;
  // An older agent's record tells no command from another: all of it goes under, as before.
  const base = earlier.record ? {} : earlier.all;
  return {
    metrics: Object.assign({ ...base }, ...Object.values(commands), file),
    record: { commands, ...(file && { file }) },
  };
}
