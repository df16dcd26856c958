/** coord prune: ended sweeps leave Redis whole, nothing else goes, and every view copes with their absence. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAgents, type TestAgent } from './helpers/agents.js';
import { useDashboards } from './helpers/browser.js';
import { coord, waitFor, withoutNoAgentNote } from './helpers/cli.js';
import { useRedis } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';

const redis = useRedis();
const startAgent = useAgents();
const startDashboard = useDashboards();
const tempDir = useTempDirs();

const cli = (prefix: string) => ['--redis', redis().url, '--prefix', prefix];

interface StatusJson {
  sweeps: Array<{ id: string; counts: Record<string, number> }>;
}

/** `quiet`: it warns of nothing (else warnings are fine: no agent serves its queue, tasks it skipped). */
async function submit(dir: string, prefix: string, file = 'params.yaml', quiet = true): Promise<string> {
  const result = await coord(['submit', file, '--json', ...cli(prefix)], { cwd: dir });
  if (quiet) expect(withoutNoAgentNote(result.stderr)).toBe('');
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as { sweep: string }).sweep;
}

async function counts(prefix: string, sweep: string): Promise<Record<string, number>> {
  const result = await coord(['status', sweep, '--json', ...cli(prefix)]);
  return (JSON.parse(result.stdout) as StatusJson).sweeps[0]!.counts;
}

async function settled(prefix: string, sweep: string): Promise<void> {
  await waitFor(async () => {
    const now = await counts(prefix, sweep);
    return now.waiting === 0 && now.running === 0;
  }, 30_000, `sweep ${sweep} to end`);
}

/** Every key under the prefix (the test may SCAN; coord prune never does). */
async function allKeys(prefix: string): Promise<string[]> {
  const client = redis().client();
  try {
    return (await client.keys(`${prefix}:*`)).sort();
  } finally {
    client.disconnect();
  }
}

/** Task ids whose record names this sweep. */
async function ownTaskIds(prefix: string, sweep: string): Promise<string[]> {
  const client = redis().client();
  try {
    const ids: string[] = [];
    for (const key of await client.keys(`${prefix}:task:*`)) {
      if ((await client.hget(key, 'sweep')) === sweep) ids.push(key.slice(`${prefix}:task:`.length));
    }
    return ids;
  } finally {
    client.disconnect();
  }
}

/** The keys that name the sweep or one of these tasks. */
function keysOf(keys: string[], sweep: string, taskIds: string[]): string[] {
  return keys.filter((key) => (sweep !== '' && key.includes(sweep)) || taskIds.some((id) => key.includes(id)));
}

/** Task names hold the sweep's and tasks' keys in task-names: none may be left for these tasks. */
async function taskNameEntries(prefix: string, taskIds: string[]): Promise<string[]> {
  const client = redis().client();
  try {
    return (await client.zrange(`${prefix}:task-names`, 0, -1)).filter((member) => taskIds.some((id) => member.endsWith(`\0${id}`)));
  } finally {
    client.disconnect();
  }
}

function expectOneLine(stderr: string): void {
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at |internal error/);
}

const agents = new Map<string, TestAgent>();
/** One agent per prefix (two slots on GPU 0), started once. */
async function agentFor(prefix: string, dir: string): Promise<TestAgent> {
  if (!agents.has(prefix)) agents.set(prefix, await startAgent(redis().url, ['--gpus', '0,0', '--prefix', prefix], { workdir: join(dir, 'agent') }));
  return agents.get(prefix)!;
}

describe('coord prune', () => {
  it('removes every key of a finished sweep and its tasks (logs, jobs, names), and nothing of another sweep', async () => {
    const dir = tempDir();
    const prefix = 'whole';
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo line of {x}\n---\nx: [1, 2, 3]\n');
    writeFileSync(join(dir, 'other.yaml'), 'template:\n  run: echo other {y}\n---\ny: [1, 2]\n');
    await agentFor(prefix, dir);
    const pruned = await submit(dir, prefix);
    const kept = await submit(dir, prefix, 'other.yaml');
    await settled(prefix, pruned);
    await settled(prefix, kept);
    const prunedTasks = await ownTaskIds(prefix, pruned);
    const keptTasks = await ownTaskIds(prefix, kept);
    expect(prunedTasks).toHaveLength(3);
    const before = await allKeys(prefix);
    // Logs and BullMQ jobs are there to go: the check below would pass vacuously otherwise.
    expect(keysOf(before, pruned, prunedTasks).some((key) => key.includes(':log:'))).toBe(true);
    expect(keysOf(before, pruned, prunedTasks).some((key) => key.includes(':tasks.default.1g:'))).toBe(true);
    const keptKeys = keysOf(before, kept, keptTasks);
    // The plan lists in TypeScript the keys the prune's Lua finds: it must count exactly those that go.
    const dry = await coord(['prune', pruned, '--dry-run', '--json', ...cli(prefix)]);
    const planned = (JSON.parse(dry.stdout) as { sweeps: Array<{ keys: number }> }).sweeps[0]!.keys;

    const result = await coord(['prune', pruned.slice(0, 6), ...cli(prefix)]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`pruned sweep ${pruned} (params.yaml): 3 tasks`);
    expect(result.stdout).toContain('files on disk');

    const after = await allKeys(prefix);
    expect(keysOf(after, pruned, prunedTasks)).toEqual([]);
    expect(before.filter((key) => !after.includes(key))).toHaveLength(planned);
    expect(await taskNameEntries(prefix, prunedTasks)).toEqual([]);
    const client = redis().client();
    try {
      expect(await client.zscore(`${prefix}:sweeps`, pruned)).toBeNull();
      for (const set of ['completed', 'failed']) {
        const jobs = await client.zrange(`${prefix}:tasks.default.1g:${set}`, 0, -1);
        expect(jobs.filter((job) => prunedTasks.some((id) => job.startsWith(`${id}-`)))).toEqual([]);
      }
    } finally {
      client.disconnect();
    }
    for (const key of keptKeys) expect(after).toContain(key);
    expect(await taskNameEntries(prefix, keptTasks)).toHaveLength(2);

    // Status no longer knows it; its files stay and results read them; the file submits anew.
    const overview = JSON.parse((await coord(['status', '--json', ...cli(prefix)])).stdout) as StatusJson;
    expect(overview.sweeps.map((s) => s.id)).toEqual([kept]);
    const asked = await coord(['status', pruned, ...cli(prefix)]);
    expect(asked.code).not.toBe(0);
    expect(asked.stderr).toContain(`no sweep "${pruned}"`);
    expectOneLine(asked.stderr);
    const agent = agents.get(prefix)!;
    expect(existsSync(join(agent.workdir, 'output/X_1'))).toBe(true);
    const results = await coord(['results', join(agent.workdir, 'output'), '--json']);
    expect(results.code).toBe(0);
    // The pruned sweep's three tasks and the other sweep's two share the output root.
    expect((JSON.parse(results.stdout) as { rows: unknown[] }).rows).toHaveLength(5);
    const again = await submit(dir, prefix);
    expect(again).not.toBe(pruned);
    await settled(prefix, again);
    expect((await counts(prefix, again)).total).toBe(3);
  });

  it('refuses a sweep with waiting tasks, touching nothing of it, and still prunes the other sweeps named', async () => {
    const dir = tempDir();
    const prefix = 'busy';
    // No agent: the tasks stay waiting.
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo {x}\n---\nx: [1, 2]\n');
    const busy = await submit(dir, prefix);
    writeFileSync(join(dir, 'ended.yaml'), 'template:\n  run: echo {e}\n---\ne: [1]\n');
    const ended = await submit(dir, prefix, 'ended.yaml');
    const cancelled = await coord(['cancel', ended, '--json', ...cli(prefix)]);
    expect(cancelled.code).toBe(0);
    const busyTasks = await ownTaskIds(prefix, busy);
    const before = keysOf(await allKeys(prefix), busy, busyTasks);

    const result = await coord(['prune', busy, ended, ...cli(prefix)]);
    expect(result.code).toBe(1);
    expectOneLine(result.stderr);
    expect(result.stderr).toContain(`sweep ${busy} has 2 tasks waiting or running`);
    expect(result.stderr).toContain(`coord cancel ${busy} --prefix ${prefix}`);
    expect(result.stdout).toContain(`pruned sweep ${ended}`);
    expect(result.stdout).toContain('the other 1 sweep named were pruned');
    expect(keysOf(await allKeys(prefix), busy, busyTasks)).toEqual(before);
    expect((await counts(prefix, busy)).waiting).toBe(2);
    expect(keysOf(await allKeys(prefix), ended, [])).toEqual([]);

    const json = await coord(['prune', busy, '--json', ...cli(prefix)]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ dryRun: false, sweeps: [], refused: [{ id: busy, busy: 2 }], unknown: [] });
  });

  it('leaves a task that a later sweep took over, with its logs, when it prunes the earlier sweep', async () => {
    const dir = tempDir();
    const prefix = 'moved';
    // X_2 fails in the first sweep; submitted again, it moves to the second and runs there.
    writeFileSync(join(dir, 'params.yaml'), `template:\n  run: echo ran {x}; test {x} != 2 || test -e ${join(dir, 'fixed')}\n---\nx: [1, 2]\n`);
    await agentFor(prefix, dir);
    const first = await submit(dir, prefix);
    await settled(prefix, first);
    expect((await counts(prefix, first)).failed).toBe(1);
    writeFileSync(join(dir, 'fixed'), '');
    const second = await submit(dir, prefix);
    await settled(prefix, second);
    const [movedTask] = await ownTaskIds(prefix, second);
    expect(movedTask).toBeDefined();
    const firstTasks = await ownTaskIds(prefix, first);
    expect(firstTasks).toHaveLength(1);
    const movedKeys = (await allKeys(prefix)).filter((key) => key.includes(movedTask!));
    expect(movedKeys.some((key) => key.includes(':log:'))).toBe(true);

    // A third submission adds X_3 and only skips the two that succeeded: pruning it takes X_3 alone.
    writeFileSync(join(dir, 'more.yaml'), readFileSync(join(dir, 'params.yaml'), 'utf8').replace('[1, 2]', '[1, 2, 3]'));
    // It warns that the two stay with the sweeps that ran them.
    const third = await submit(dir, prefix, 'more.yaml', false);
    await settled(prefix, third);
    expect(await counts(prefix, third)).toMatchObject({ skipped: 2, succeeded: 1 });
    const beforeThird = await allKeys(prefix);
    const skipper = await coord(['prune', third, ...cli(prefix)]);
    expect(skipper.stdout).toContain(`pruned sweep ${third} (more.yaml): 1 task,`);
    expect(keysOf(await allKeys(prefix), '', [...firstTasks, movedTask!])).toEqual(keysOf(beforeThird, '', [...firstTasks, movedTask!]));
    const client = redis().client();
    try {
      // Nor do their records still name it as a sweep that skipped them.
      expect((await client.hkeys(`${prefix}:task:${movedTask}`)).filter((field) => field.startsWith('skippedBy:'))).toEqual([]);
    } finally {
      client.disconnect();
    }

    const result = await coord(['prune', first, ...cli(prefix)]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`pruned sweep ${first} (params.yaml): 1 task,`);
    const after = await allKeys(prefix);
    expect(keysOf(after, first, firstTasks)).toEqual([]);
    for (const key of movedKeys) expect(after).toContain(key);
    const logs = await coord(['logs', 'X_2', ...cli(prefix)]);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('ran 2');
    expect((await counts(prefix, second)).succeeded).toBe(1);
    // The second sweep skipped X_1, whose record went with the first: it no longer lists it.
    expect(await counts(prefix, second)).toMatchObject({ succeeded: 1, skipped: 0, total: 1 });
    const shown = await coord(['status', second, ...cli(prefix)]);
    expect(shown.stderr).toBe('');
    expect(shown.stdout).toMatch(/X_2 +succeeded/);
    expect(shown.stdout).not.toContain('X_1');
  });

  it('--ended-before prunes only the sweeps whose tasks all ended before then; --dry-run removes nothing', async () => {
    const dir = tempDir();
    const prefix = 'ended';
    writeFileSync(join(dir, 'old.yaml'), 'template:\n  run: echo {a}\n---\na: [1, 2]\n');
    writeFileSync(join(dir, 'new.yaml'), 'template:\n  run: echo {b}\n---\nb: [1]\n');
    writeFileSync(join(dir, 'waiting.yaml'), 'pool: nobody\ntemplate:\n  run: echo {c}\n---\nc: [1]\n');
    // Submitted before the cutoff, ended after it: not taken.
    const gate = join(dir, 'gate');
    writeFileSync(join(dir, 'late.yaml'), `template:\n  run: until [ -e ${gate} ]; do sleep 0.05; done\n---\nd: [1]\n`);
    await agentFor(prefix, dir);
    const old = await submit(dir, prefix, 'old.yaml');
    await settled(prefix, old);
    const late = await submit(dir, prefix, 'late.yaml');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const cutoff = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 50));
    writeFileSync(gate, '');
    await settled(prefix, late);
    const recent = await submit(dir, prefix, 'new.yaml');
    await settled(prefix, recent);
    const waiting = await submit(dir, prefix, 'waiting.yaml', false);

    const nothing = await coord(['prune', '--ended-before', '1h', ...cli(prefix)]);
    expect(nothing.code).toBe(0);
    expect(nothing.stdout).toMatch(/^no sweep under prefix "ended" ended before .*; nothing to prune\n$/);

    const before = await allKeys(prefix);
    const dry = await coord(['prune', '--ended-before', cutoff, '--dry-run', '--json', ...cli(prefix)]);
    expect(dry.stderr).toBe('');
    const planned = JSON.parse(dry.stdout) as { dryRun: boolean; sweeps: Array<{ id: string; tasks: number; keys: number; bytes: number }> };
    expect(planned.dryRun).toBe(true);
    expect(planned.sweeps.map((s) => [s.id, s.tasks])).toEqual([[old, 2]]);
    expect(planned.sweeps[0]!.keys).toBeGreaterThan(5);
    expect(planned.sweeps[0]!.bytes).toBeGreaterThan(0);
    const dryText = await coord(['prune', old, recent, '--dry-run', ...cli(prefix)]);
    expect(dryText.stdout).toContain(`would prune sweep ${old} (old.yaml): 2 tasks`);
    expect(dryText.stdout).toContain(`would prune sweep ${recent} (new.yaml): 1 task`);
    expect(dryText.stdout).toContain('nothing removed (--dry-run)');
    expect(await allKeys(prefix)).toEqual(before);

    const result = await coord(['prune', '--ended-before', cutoff, '--json', ...cli(prefix)]);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { sweeps: Array<{ id: string }> }).sweeps.map((s) => s.id)).toEqual([old]);
    const overview = JSON.parse((await coord(['status', '--json', ...cli(prefix)])).stdout) as StatusJson;
    expect(overview.sweeps.map((s) => s.id).sort()).toEqual([late, recent, waiting].sort());

    // A far cutoff takes the later sweeps too, never the one still waiting.
    const all = await coord(['prune', '--ended-before', '2099-01-01', '--json', ...cli(prefix)]);
    expect((JSON.parse(all.stdout) as { sweeps: Array<{ id: string }> }).sweeps.map((s) => s.id).sort()).toEqual([late, recent].sort());
    expect((await counts(prefix, waiting)).waiting).toBe(1);
  });

  it('the dashboard answers for a pruned sweep and its tasks without an error of its own', async () => {
    const dir = tempDir();
    const prefix = 'board';
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo {x}\n---\nx: [1]\n');
    await agentFor(prefix, dir);
    const sweep = await submit(dir, prefix);
    await settled(prefix, sweep);
    const [taskId] = await ownTaskIds(prefix, sweep);
    const dashboard = await startDashboard(cli(prefix));
    expect((await fetch(`${dashboard.url}api/sweeps/${sweep}`)).status).toBe(200);
    expect((await coord(['prune', sweep, ...cli(prefix)])).code).toBe(0);
    const overview = await fetch(`${dashboard.url}api/overview`);
    expect(overview.status).toBe(200);
    expect(JSON.stringify(await overview.json())).not.toContain(sweep);
    for (const path of [`api/sweeps/${sweep}`, `api/sweeps/${sweep}/tasks`, `api/sweeps/${sweep}/results`, `api/tasks/${taskId}`]) {
      const response = await fetch(`${dashboard.url}${path}`);
      expect(response.status, path).toBe(404);
    }
  });

  it('says in one line what is wrong with its input, exit non-zero, no stack trace', async () => {
    const prefix = 'input';
    const cases: Array<[string[], number, string]> = [
      [['prune', 'nosuchsweep'], 1, 'no sweep "nosuchsweep" under prefix "input"'],
      [['prune', '--ended-before', 'soon'], 2, '--ended-before takes a time ago'],
      [['prune', '--ended-before', '-3d'], 2, '--ended-before takes a time ago'],
      [['prune'], 2, 'name the sweeps to prune'],
      [['prune', 'abc', '--ended-before', '1d'], 2, 'either name sweeps or pass --ended-before'],
    ];
    for (const [args, code, message] of cases) {
      const result = await coord([...args, ...cli(prefix)]);
      expect(result.code, args.join(' ')).toBe(code);
      expect(result.stderr).toContain(message);
      expectOneLine(result.stderr);
    }
  });
});
