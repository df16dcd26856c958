/**
 * The chaos suite: agents killed and replaced, Redis restarted (AOF on), an agent frozen past
 * its lock, another cut off from Redis by a proxy, all while a sweep runs. Afterwards every
 * task has succeeded, no two runs of one task overlapped, no process was orphaned, and the
 * ledger the tasks wrote agrees with Redis. `npm run test:chaos` runs the full size (200
 * tasks); `npm test` a smaller one (CHAOS_TASKS).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAgents, type TestAgent } from './helpers/agents.js';
import { coord, processesMatching, waitFor } from './helpers/cli.js';
import { useRedis } from './helpers/redis-server.js';
import { TcpProxy } from './helpers/tcp-proxy.js';
import { useTempDirs } from './helpers/temp-dir.js';

const TASKS = Number(process.env.CHAOS_TASKS ?? 60);
const LOCK_MS = 3000;

const redis = useRedis({ aof: true });
const startAgent = useAgents();
const tempDir = useTempDirs();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface LedgerEntry {
  task: string;
  attempt: number;
  agent: string;
  start: bigint;
  end: bigint;
  status: string;
}

function readLedger(path: string): LedgerEntry[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [task, attempt, agent, start, end, status] = line.split(',');
      return { task: task!, attempt: Number(attempt), agent: agent!, start: BigInt(start!), end: BigInt(end!), status: status! };
    });
}

describe('chaos', () => {
  it(`loses nothing and runs nothing twice at once (${TASKS} tasks)`, { timeout: 600_000 }, async () => {
    const dir = tempDir();
    const prefix = 'chaos';
    const marker = `chaos-marker-${process.pid}`;
    const ledger = join(dir, 'ledger');
    writeFileSync(ledger, '');
    writeFileSync(
      join(dir, 'params.yaml'),
      `template:
  run: >
    s=$(date +%s%N); st=killed;
    trap 'echo "$RUNNER_TASK,$RUNNER_ATTEMPT,$RUNNER_AGENT,$s,$(date +%s%N),$st" >> ${ledger}' EXIT;
    trap 'exit 143' TERM;
    d=$(awk -v s=$RANDOM 'BEGIN { srand(s); printf "%.2f", 0.2 + rand() * 1.8 }');
    bash -c "exec -a ${marker} sleep $d" & wait $!; st=ok
---
x: [${Array.from({ length: TASKS }, (_, i) => i + 1).join(', ')}]
`,
    );
    const proxy = new TcpProxy(redis().port);
    await proxy.start();
    const args = ['--gpus', '0,1', '--prefix', prefix, '--lock-ms', String(LOCK_MS), '--kill-grace', '1', '--heartbeat-ms', '1000'];
    let serial = 0;
    const launch = (url = redis().url) => startAgent(url, args, { workdir: join(dir, `agent${++serial}`), name: `chaos${serial}` });
    const proxied = await launch(`redis://127.0.0.1:${proxy.port}`);
    const agents: TestAgent[] = [proxied, await launch(), await launch(), await launch()];

    const submitted = await coord(['submit', '--json', '--redis', redis().url, '--prefix', prefix], { cwd: dir });
    const { sweep } = JSON.parse(submitted.stdout) as { sweep: string };
    const client = redis().client();
    const count = (state: string) => client.zcard(`${prefix}:sweep:${sweep}:state:${state}`);
    let lastReport = 0;
    const finished = async () => {
      const [ok, waiting, running] = await Promise.all([count('succeeded'), count('waiting'), count('running')]);
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        console.log(`chaos progress: ${ok} succeeded, ${waiting} waiting, ${running} running`);
      }
      return waiting + running === 0;
    };

    const figures = { agentsKilled: 0, redisRestarts: 0, frozen: 0, cutOff: 0 };
    let done = false;
    const chaos = (async () => {
      const started = Date.now();
      const at = (ms: number) => sleep(Math.max(0, started + ms - Date.now()));
      const events: Array<[number, () => Promise<void>]> = [
        [2000, async () => { await redis().restart(); figures.redisRestarts++; }],
        [3000, async () => {
          const victim = agents[2]!;
          victim.child.kill('SIGSTOP');
          figures.frozen++;
          await sleep(LOCK_MS * 1.5);
          victim.child.kill('SIGCONT');
        }],
        [4000, async () => { proxy.cut(LOCK_MS * 1.5); figures.cutOff++; }],
        [7000, async () => { await redis().restart(); figures.redisRestarts++; }],
      ];
      const scheduled = events.map(async ([when, event]) => {
        await at(when);
        if (!done) await event();
      });
      // Every few seconds SIGKILL a random directly connected agent (not the frozen one) and start a new one.
      while (!done) {
        await sleep(2500);
        if (done) break;
        const candidates = agents.filter((a, i) => i !== 0 && i !== 2 && a.child.exitCode === null && a.child.signalCode === null);
        const victim = candidates[Math.floor(Math.random() * candidates.length)];
        if (!victim) continue;
        victim.child.kill('SIGKILL');
        figures.agentsKilled++;
        agents.push(await launch());
      }
      await Promise.all(scheduled);
    })();

    try {
      await waitFor(finished, 540_000, `all ${TASKS} tasks to finish`);
    } catch (error) {
      // Where each unfinished task is stuck: our record, its BullMQ job and the job's lock.
      for (const state of ['waiting', 'running']) {
        for (const id of await client.zrange(`${prefix}:sweep:${sweep}:state:${state}`, 0, -1)) {
          const task = await client.hgetall(`${prefix}:task:${id}`);
          const base = `${prefix}:${task.queue}:`;
          const job = task.job ?? '';
          const where = [];
          for (const list of ['wait', 'active', 'paused']) if ((await client.lpos(`${base}${list}`, job)) !== null) where.push(list);
          for (const set of ['prioritized', 'delayed', 'completed', 'failed']) if ((await client.zscore(`${base}${set}`, job)) !== null) where.push(set);
          if ((await client.sismember(`${base}stalled`, job)) === 1) where.push('stalled');
          console.log(`stuck: ${task.name} ${state} agent ${task.agent} attempt ${task.attempt} job ${job} in [${where.join(',')}] lock ${await client.get(`${base}${job}:lock`)} token ${task.token}; job ${JSON.stringify(await client.hmget(`${base}${job}`, 'attemptsMade', 'stalledCounter', 'failedReason', 'processedOn', 'finishedOn'))}`);
        }
      }
      for (const agent of agents) console.log(`agent ${agent.name}: exit ${agent.child.exitCode ?? agent.child.signalCode ?? 'running'}; last log ${JSON.stringify(agent.logs().slice(-5))}`);
      throw error;
    } finally {
      done = true;
      await chaos;
    }
    for (const agent of agents) if (agent.child.exitCode === null && agent.child.signalCode === null) agent.child.kill('SIGTERM');
    await Promise.all(agents.map((agent) => agent.done));
    await proxy.stop();

    // The ledger: every run of a task, in the order it ended.
    const entries = readLedger(ledger);
    const byTask = new Map<string, LedgerEntry[]>();
    for (const entry of entries) byTask.set(entry.task, [...(byTask.get(entry.task) ?? []), entry]);
    let duplicates = 0;
    for (const runs of byTask.values()) {
      const sorted = [...runs].sort((a, b) => (a.start < b.start ? -1 : 1));
      for (let i = 1; i < sorted.length; i++) if (sorted[i]!.start < sorted[i - 1]!.end) duplicates++;
    }
    const counts = JSON.parse((await coord(['status', sweep, '--json', '--limit', '0', '--redis', redis().url, '--prefix', prefix])).stdout) as {
      sweeps: Array<{ counts: Record<string, number> }>;
      tasks: Array<{ name: string; state: string; attempt: number; agent: string }>;
    };
    const lost = counts.tasks.filter((t) => t.state !== 'succeeded').length;
    const disagreements = counts.tasks.filter((task) => {
      const runs = byTask.get(task.name) ?? [];
      const oks = runs.filter((e) => e.status === 'ok');
      // The reported attempt ran the command and succeeded; or it ran nothing (no ledger line)
      // because its agent found the command's own earlier success in its stat.json, whose report
      // had been cut off. Either way no run may come after the one Redis reports.
      const ranIt = oks.some((e) => e.agent === task.agent && e.attempt === task.attempt);
      const skippedIt = !runs.some((e) => e.attempt === task.attempt) && oks.some((e) => e.agent === task.agent && e.attempt < task.attempt);
      return !(ranIt || skippedIt) || runs.some((e) => e.attempt > task.attempt);
    });
    await waitFor(async () => (await processesMatching(marker)).length === 0, 10_000, 'no task process to be left').catch(() => undefined);
    const orphans = (await processesMatching(marker)).length;
    const reruns = entries.length - TASKS;
    console.log(
      `chaos: ${TASKS} tasks, agents killed ${figures.agentsKilled}, Redis restarts ${figures.redisRestarts}, ` +
        `frozen ${figures.frozen}, cut off ${figures.cutOff}, runs stopped and redone ${reruns}, ` +
        `duplicates ${duplicates}, lost tasks ${lost}, orphans ${orphans}, ledger/Redis disagreements ${disagreements.length}`,
    );
    expect(counts.sweeps[0]!.counts.succeeded).toBe(TASKS);
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
    expect(orphans).toBe(0);
    expect(disagreements.map((t) => `${t.name}: Redis says attempt ${t.attempt} on ${t.agent}; ledger ${JSON.stringify(byTask.get(t.name), (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`)).toEqual([]);
    expect(figures.redisRestarts).toBe(2);
    expect(figures.agentsKilled).toBeGreaterThan(0);
  });
});
