/**
 * One window of a sweep's task table: by state, by name, sorted by position, name or
 * duration. The plain case (sweep order) reads only the window; searching or sorting reads
 * the whole list, kept for a moment so that scrolling a 10,000-task sweep does not read it
 * again for every window.
 */
import type { RedisKeys, TaskRecord, TaskState } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { readTaskPage } from '../distributed/read-status.js';
import { durationOf } from './json-shapes.js';

export const TASK_SORTS = ['index', 'name', 'duration', '-duration'] as const;
export type TaskSort = (typeof TASK_SORTS)[number];

export interface TaskQuery {
  state?: TaskState;
  /** Part of the name, any case. */
  search?: string;
  sort: TaskSort;
  offset: number;
  limit: number;
}

/** How long a full list serves other windows of the same view. */
const LIST_TTL_MS = 1500;

/** Numbers in a name (`0.001`, `1e-05`, `10`); a "-" before one is the separator of name parts, not a sign. */
const NUMBER = /\d+(?:\.\d+)?(?:e[-+]?\d+)?/gi;

/** A name as text and numbers: `Lr_0.001-Seed_10` is "Lr_", 0.001, "-Seed_", 10. */
function nameParts(name: string): Array<string | number> {
  const parts: Array<string | number> = [];
  let at = 0;
  for (const match of name.matchAll(NUMBER)) {
    if (match.index > at) parts.push(name.slice(at, match.index));
    parts.push(Number(match[0]));
    at = match.index + match[0].length;
  }
  if (at < name.length) parts.push(name.slice(at));
  return parts;
}

/**
 * Numbers by value, as people read them: K_2 before K_10, and Lr_0.0003 before Lr_0.001 before
 * Lr_0.01 (localeCompare's numeric option reads "0.001" and "0.01" as equal).
 */
export function byNameAsRead(a: string, b: string): number {
  const [x, y] = [nameParts(a), nameParts(b)];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [p, q] = [x[i]!, y[i]!];
    const order = typeof p === 'number' && typeof q === 'number' ? p - q : String(p).localeCompare(String(q));
    if (order !== 0) return order;
  }
  return x.length - y.length || a.localeCompare(b);
}

function compare(sort: TaskSort, now: number): (a: TaskRecord, b: TaskRecord) => number {
  if (sort === 'name') return (a, b) => byNameAsRead(a.name, b.name) || a.index - b.index;
  if (sort === 'index') return (a, b) => a.index - b.index;
  const sign = sort === 'duration' ? 1 : -1;
  // Tasks that never started go last either way.
  return (a, b) => {
    const [x, y] = [durationOf(a, now), durationOf(b, now)];
    if (x === null || y === null) return x === null ? (y === null ? a.index - b.index : 1) : -1;
    return sign * (x - y) || a.index - b.index;
  };
}

interface HeldList {
  tasks: Promise<TaskRecord[]>;
  /** When the read finished (undefined while it runs: callers share it). */
  readAt?: number;
  /** How long it took: a list that is slow to read is kept longer. */
  costMs: number;
}

export class TaskQueries {
  private readonly lists = new Map<string, HeldList>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async page(sweepId: string, query: TaskQuery): Promise<{ tasks: TaskRecord[]; total: number }> {
    const state = query.state !== undefined ? { state: query.state } : {};
    if (!query.search && query.sort === 'index') {
      return readTaskPage(this.redis, this.keys, sweepId, { offset: query.offset, limit: query.limit, ...state });
    }
    let tasks = await this.list(sweepId, query.state);
    if (query.search) {
      const needle = query.search.toLowerCase();
      tasks = tasks.filter((task) => task.name.toLowerCase().includes(needle));
    }
    tasks = [...tasks].sort(compare(query.sort, Date.now()));
    return { tasks: tasks.slice(query.offset, query.offset + query.limit), total: tasks.length };
  }

  private fresh(held: HeldList, now: number): boolean {
    return held.readAt === undefined || now - held.readAt < Math.max(LIST_TTL_MS, 2 * held.costMs);
  }

  private list(sweepId: string, state: TaskState | undefined): Promise<TaskRecord[]> {
    const key = `${sweepId}\0${state ?? ''}`;
    const now = Date.now();
    const held = this.lists.get(key);
    if (held && this.fresh(held, now)) return held.tasks;
    for (const [other, entry] of this.lists) if (!this.fresh(entry, now)) this.lists.delete(other);
    const entry: HeldList = {
      tasks: readTaskPage(this.redis, this.keys, sweepId, { offset: 0, limit: 0, ...(state !== undefined && { state }) }).then((page) => page.tasks),
      costMs: 0,
    };
    entry.tasks.then(
      () => {
        entry.readAt = Date.now();
        entry.costMs = entry.readAt - now;
      },
      () => this.lists.delete(key),
    );
    this.lists.set(key, entry);
    return entry.tasks;
  }
}
