/**
 * One window of a sweep's task table: by state, by name, sorted by position, name or
 * duration. The plain case (sweep order) reads only the window; searching or sorting reads
 * the whole list, kept for a moment so that scrolling a 10,000-task sweep does not read it
 * again for every window.
 */
import type { RedisKeys, TaskRecord, TaskState } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { readTaskPage } from '../distributed/read-status.js';
import { byNameAsRead } from '../output/name-order.js';
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
