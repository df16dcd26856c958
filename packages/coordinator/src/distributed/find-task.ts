/** Find a task by name or unique name prefix (optionally within a sweep), or a sweep by id. */
import { ExitError, parseTaskRecord, shlexQuote, UsageError, type RedisKeys, type TaskRecord } from '@sweep-runner/shared';
import type { Redis } from 'ioredis';
import { inSweep } from './sweep-members.js';
import type { ConnectionFlags } from '../options/redis-options.js';

const MAX_LISTED = 8;

export async function sweepExists(redis: Redis, keys: RedisKeys, id: string): Promise<boolean> {
  return (await redis.exists(keys.sweep(id))) === 1;
}

/**
 * A sweep id, or the start of one (`coord status nkG3`), as task names may be given. Text
 * that starts no sweep comes back as it is, for the caller's own "no sweep" message; text
 * that starts several is an error that lists them.
 */
/** Shorter text is not taken for the start of a sweep id: too many would match by chance. */
export const MIN_SWEEP_PREFIX = 3;

/** The message for a sweep id (or start of one) that names no sweep. */
export function noSweepMessage(text: string, keys: RedisKeys): string {
  const tooShort = text.length < MIN_SWEEP_PREFIX ? ` (the start of an id needs at least ${MIN_SWEEP_PREFIX} characters)` : '';
  return `no sweep "${text}" under prefix "${keys.prefix}"${tooShort}; coord status lists the sweeps`;
}

export async function resolveSweepId(redis: Redis, keys: RedisKeys, text: string): Promise<string> {
  if (text.length < MIN_SWEEP_PREFIX || (await sweepExists(redis, keys, text))) return text;
  const matches = (await redis.zrange(keys.sweeps, 0, -1)).filter((id) => id.startsWith(text));
  if (matches.length <= 1) return matches[0] ?? text;
  throw new UsageError(`${matches.length} sweeps start with "${text}" (${matches.slice(0, MAX_LISTED).join(', ')}${matches.length > MAX_LISTED ? ', ...' : ''}): give more of the id`);
}


/** Task ids whose name is `text`, or else starts with it. */
async function candidates(redis: Redis, keys: RedisKeys, text: string): Promise<Array<{ name: string; id: string }>> {
  // Up to a byte 0xff (no UTF-8 text holds one): a string '\xff' would be sent as C3 BF, below
  // the first bytes of most letters past Latin-1.
  const end = Buffer.concat([Buffer.from(`[${text}`), Buffer.from([0xff])]);
  const members = await redis.zrangebylex(keys.taskNames(), `[${text}`, end, 'LIMIT', 0, 1000);
  const all = members.map((member) => {
    const at = member.lastIndexOf('\0');
    return { name: member.slice(0, at), id: member.slice(at + 1) };
  });
  const exact = all.filter((c) => c.name === text);
  return exact.length > 0 ? exact : all;
}

/** The ids of the tasks of exactly this name (one per output root and sweep file that made one). */
export async function taskIdsNamed(redis: Redis, keys: RedisKeys, name: string): Promise<string[]> {
  return (await candidates(redis, keys, name)).filter((c) => c.name === name).map((c) => c.id);
}

/**
 * The sweeps that hold these tasks (`coord status X_1`, given a task for a sweep: those of its
 * name), newest first: the one a researcher most likely means.
 */
export async function sweepsHoldingTasks(redis: Redis, keys: RedisKeys, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hget(keys.task(id), 'sweep');
  const sweeps = [...new Set(((await pipeline.exec()) ?? []).map(([, sweep]) => sweep).filter((sweep): sweep is string => typeof sweep === 'string' && sweep !== ''))];
  if (sweeps.length < 2) return sweeps;
  const created = new Map<string, number>();
  const scores = redis.pipeline();
  for (const sweep of sweeps) scores.zscore(keys.sweeps, sweep);
  ((await scores.exec()) ?? []).forEach(([, score], i) => created.set(sweeps[i]!, Number(score ?? 0)));
  return sweeps.sort((a, b) => created.get(b)! - created.get(a)!);
}

/**
 * The sweep that holds the one task of exactly that name, when it is not the sweep asked for (a later
 * submission took it over): ` (it is in sweep AbC... now: coord logs X_1 --sweep AbC...)`.
 */
async function movedTo(redis: Redis, keys: RedisKeys, exact: Array<{ name: string; id: string }>, command: string, reach: ConnectionFlags): Promise<string> {
  if (exact.length !== 1) return '';
  const [sweep] = await redis.hmget(keys.task(exact[0]!.id), 'sweep');
  return sweep ? ` (it is in sweep ${sweep} now: coord ${command} ${shlexQuote(exact[0]!.name)} --sweep ${sweep}${reach.flags}${reach.passwordNote})` : '';
}

/** No options to add: the default Redis and prefix, or those REDIS_URL and RUNNER_PREFIX give. */
const AS_GIVEN: ConnectionFlags = { flags: '', passwordNote: '' };

/**
 * Which of the tasks sharing a name can be meant (`coord cancel X_1`: those still waiting or
 * running); `what` says so in the message when more than one can (`still waiting or running`).
 */
export interface MeantAmong {
  test: (record: TaskRecord) => boolean;
  what: string;
}

/** Every matched task's record, in one round trip (a name may be held under many output roots). */
async function readMatches(redis: Redis, keys: RedisKeys, matches: Array<{ id: string }>): Promise<TaskRecord[]> {
  const pipeline = redis.pipeline();
  for (const match of matches) pipeline.hgetall(keys.task(match.id));
  return ((await pipeline.exec()) ?? []).flatMap(([, hash]) => {
    const record = parseTaskRecord(hash as Record<string, string>);
    return record ? [record] : [];
  });
}

/**
 * `command`: the coord command that asks (`cancel`), for the commands an ambiguous name is
 * answered with; `reach`: the options those need to reach this Redis and prefix (connectionFlags);
 * `meant`: of several matches, those that can be meant (the one, when only one can).
 */
export async function findTask(redis: Redis, keys: RedisKeys, text: string, sweepText: string | undefined, command: string, reach = AS_GIVEN, meant?: MeantAmong): Promise<TaskRecord> {
  const sweepId = sweepText === undefined ? undefined : await resolveSweepId(redis, keys, sweepText);
  if (sweepId !== undefined && !(await sweepExists(redis, keys, sweepId))) {
    throw new ExitError(noSweepMessage(sweepId, keys));
  }
  const named = await candidates(redis, keys, text);
  let found = named;
  if (sweepId !== undefined) {
    const ids = new Set(await inSweep(redis, keys, sweepId, found.map((c) => c.id)));
    found = found.filter((c) => ids.has(c.id));
  }
  let unique = [...new Map(found.map((c) => [c.id, c])).values()];
  if (unique.length === 0) {
    throw new ExitError(`no task named "${text}"${sweepId ? ` in sweep ${sweepId}${await movedTo(redis, keys, named.filter((c) => c.name === text), command, reach)}` : ''}; coord status SWEEP lists a sweep's tasks`);
  }
  let among = '';
  /** The records of `unique`, once read whole for `meant` (the listing below takes them, not a second read). */
  let matched: TaskRecord[] | undefined;
  // Only for one name held under several output roots: of names a prefix matches, none is meant more than another.
  if (unique.length > 1 && meant && unique.every((c) => c.name === unique[0]!.name)) {
    matched = await readMatches(redis, keys, unique);
    const possible = matched.filter(meant.test);
    if (possible.length === 1) return possible[0]!;
    if (possible.length > 1 && possible.length < unique.length) {
      among = ` ${meant.what}`;
      const ids = new Set(possible.map((r) => r.id));
      unique = unique.filter((c) => ids.has(c.id));
      matched = possible;
    }
  }
  if (unique.length > 1) {
    const records = (matched ?? (await readMatches(redis, keys, unique.slice(0, MAX_LISTED)))).slice(0, MAX_LISTED);
    const listed = records.map((r) => `${r.output} (sweep ${r.sweep})`).join(', ');
    // One name under two output roots: more of the name cannot tell them apart, the sweep can.
    const sameName = unique.every((c) => c.name === unique[0]!.name);
    // Ready to paste: `coord cancel X_1 --sweep AxYwpNHPNp`, one per sweep listed.
    const sweeps = [...new Set(records.map((r) => r.sweep))];
    const commands = sweeps.map((id) => `coord ${command} ${shlexQuote(unique[0]!.name)} --sweep ${id}${reach.flags}`).join(', ');
    const bySweep = `pass --sweep with one of them: ${commands}${unique.length > MAX_LISTED ? ', ...' : ''}${reach.passwordNote}`;
    const how = sameName ? (sweepId ? 'they share the name' : bySweep) : `give more of the name${sweepId ? '' : ' or --sweep ID'}`;
    throw new ExitError(
      `"${text}" matches ${unique.length} tasks${among}: ${listed}${unique.length > MAX_LISTED ? ', ...' : ''}; ${how}`,
    );
  }
  const record = parseTaskRecord(await redis.hgetall(keys.task(unique[0]!.id)));
  if (!record) throw new ExitError(`the task "${unique[0]!.name}" has no record any more`);
  return record;
}
