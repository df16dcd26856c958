/**
 * Why an agent takes no work for a while. Two pauses, kept apart because they end apart:
 * - `machine`: a task could not be prepared here (a full or read-only disk); its tasks were
 *   handed back. Only time ends it.
 * - `streak`: tasks failed here as they started (failure-streak.ts). It also ends when the
 *   streak's sweeps turn out to fail so on other agents too (the sweep is at fault), or when
 *   `coord retry` of the sweeps that made it says their cause is fixed: by its message, or,
 *   missed, by the sweep's count of retries, which the agent reads while the pause lasts.
 * Ending one leaves the other as it was; status shows the machine's pause while it lasts.
 */
export type PauseKind = 'machine' | 'streak';

export interface Pause {
  until: number;
  reason: string;
  /** A streak's sweeps when it (last) paused the agent, and how many of its tasks each had in it. */
  sweeps: Map<string, number>;
  /**
   * A streak's sweeps' counts of retries (their records' `retried`) as first read during the
   * pause: one that grows was retried since. Kept while the pause is renewed.
   */
  retried: Map<string, number>;
  /**
   * The streak's sweeps `coord retry` said were fixed during the pause (kept while it is
   * renewed): their failures no longer hold it, so retrying each sweep in turn ends it.
   */
  retriedSweeps: Set<string>;
}

export class Pauses {
  private readonly pauses = new Map<PauseKind, Pause>();

  private active(kind: PauseKind): Pause | undefined {
    const pause = this.pauses.get(kind);
    return pause && pause.until > Date.now() ? pause : undefined;
  }

  /** Until when no work is taken; 0 (or a past time) when none. Asked on every task's end: no array is made. */
  get until(): number {
    let until = 0;
    for (const pause of this.pauses.values()) until = Math.max(until, pause.until);
    return until;
  }

  get paused(): boolean {
    return this.until > Date.now();
  }

  /** The pause status shows, and until when: the machine's fault while it lasts. */
  get shown(): { until: number; reason: string } | undefined {
    const pause = this.active('machine') ?? this.active('streak');
    return pause && { until: pause.until, reason: pause.reason };
  }

  /** Starts (or renews) a pause of `ms`; returns whether no pause of its kind was in force. */
  start(kind: PauseKind, reason: string, ms: number, sweeps = new Map<string, number>()): boolean {
    const before = this.active(kind);
    this.pauses.set(kind, { until: Date.now() + ms, reason, sweeps, retried: before?.retried ?? new Map(), retriedSweeps: before?.retriedSweeps ?? new Set() });
    return before === undefined;
  }

  /** The streak's pause in force, whose sweeps' retries the agent looks for (a new object when it is renewed). */
  get streak(): Readonly<Pause> | undefined {
    return this.active('streak');
  }

  /** Whether the streak pause in force is the one started with `reason`. */
  isStreakPause(reason: string): boolean {
    return this.active('streak')?.reason === reason;
  }

  /**
   * Whether `coord retry` of `sweep` ends the streak pause: the streak's tasks of the sweeps
   * not retried during the pause would not have paused the agent on their own (`limit` of
   * them do). The sweep counts as retried from now on, so that a retry of those others ends it.
   */
  retryEndsStreak(sweep: string, limit: number): boolean {
    const pause = this.active('streak');
    if (!pause || !pause.sweeps.has(sweep)) return false;
    pause.retriedSweeps.add(sweep);
    let others = 0;
    for (const [other, count] of pause.sweeps) if (!pause.retriedSweeps.has(other)) others += count;
    return others < limit;
  }

  end(kind: PauseKind): void {
    this.pauses.delete(kind);
  }
}
