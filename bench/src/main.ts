/**
 * `npm run bench`: how little GPU time the runner wastes, measured as ratios against
 * baselines in the same run (this machine is shared and noisy). `--quick` is a small
 * configuration for CI; `--json` prints every figure as one JSON object; `--only a,b`
 * runs some measurements. Results go to bench/results/<date>.json; a full run also
 * rewrites bench/RESULTS.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { measureCrash, type CrashResult } from './measures/crash.js';
import { measureEfficiency } from './measures/efficiency.js';
import { measureFileCost, type FileCostResult } from './measures/file-cost.js';
import { measureIdle } from './measures/idle.js';
import { measureManyAgents } from './measures/many-agents.js';
import { measureManyBullmqWorkers } from './measures/many-bullmq-workers.js';
import { measureRefill } from './measures/refill.js';
import { measureSubmission } from './measures/submission.js';
import { measureThroughput } from './measures/throughput.js';
import { ROOT } from './util/processes.js';
import { removeWorkspaces } from './util/workspaces.js';

const MEASUREMENTS = ['efficiency', 'throughput', 'refill', 'submission', 'idle', 'crash', 'many'];
const USAGE = `usage: npm run bench -- [--quick] [--json] [--only ${MEASUREMENTS.join(',')}]
  --quick  the small configuration CI runs (under 2 minutes)
  --json   print every figure as one JSON object on stdout
  --only   run only the named measurements (comma-separated)
`;

/** Flags, strictly: a mistyped one must not start a ten-minute run that ignores it. */
function parseFlags(): { quick: boolean; json: boolean; only: string[] | undefined } {
  const fail = (message: string): never => {
    process.stderr.write(`bench: ${message}\n${USAGE}`);
    process.exit(2);
  };
  let values: { quick?: boolean; json?: boolean; only?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ options: { quick: { type: 'boolean' }, json: { type: 'boolean' }, only: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    return fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const only = values.only?.split(',');
  const unknown = only?.filter((name) => !MEASUREMENTS.includes(name)) ?? [];
  if (unknown.length > 0) fail(`no measurement named ${unknown.join(', ')}`);
  return { quick: values.quick ?? false, json: values.json ?? false, only };
}

const { quick, json, only } = parseFlags();
const wanted = (name: string) => !only || only.includes(name);

const size = quick
  ? { rounds: 1, efficiency: 192, throughput: 300, refill: 64, submission: 20_000, idleSeconds: 10, crashLocks: [10_000], agents: 50, agentTasks: 1000 }
  : { rounds: 3, efficiency: 1000, throughput: 1000, refill: 240, submission: 100_000, idleSeconds: 60, crashLocks: [60_000, 10_000], agents: 200, agentTasks: 5000 };

const say = (text: string) => {
  if (!json) process.stderr.write(`${text}\n`);
};

interface Row {
  what: string;
  figure: string;
  target: string;
  met: boolean | null;
}

async function main(): Promise<void> {
  // The command as typed, so a results file says what produced it.
  const command = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
  const results: Record<string, unknown> = { date: new Date().toISOString(), command, quick, cpus: cpus().length, node: process.version };
  const rows: Row[] = [];
  const failures: string[] = [];
  /** One measurement failing (a timeout on a loaded machine) must not lose the others. */
  const measure = async (name: string, body: () => Promise<void>) => {
    if (!wanted(name)) return;
    try {
      await body();
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message}`);
      rows.push({ what: name, figure: `failed: ${(error as Error).message}`, target: '', met: false });
    }
  };
  const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));
  // The disk's state, before and after: every figure below pays it per file (measures/file-cost.ts).
  const filesBefore = measureFileCost();

  await measure('efficiency', async () => {
    say(`scheduling efficiency: ${size.efficiency} x sleep 1 on 2 agents x 32 slots, ${size.rounds} round(s) ...`);
    const r = await measureEfficiency(size.efficiency, size.rounds);
    results.efficiency = r;
    const rounds = r.roundRatios.length > 1 ? `; median of ${r.roundRatios.map((x) => fmt(x, 3)).join(', ')}` : '';
    rows.push({ what: 'scheduling efficiency (ours / xargs floor)', figure: `${fmt(r.efficiency)} / ${fmt(r.floorEfficiency)} = ${fmt(r.ratioToFloor, 3)}x${rounds}`, target: '>= 0.98x the floor', met: r.ratioToFloor >= 0.98 });
    rows.push({
      what: '  ours: first start; all slots busy; mean task',
      figure: `${fmt(r.firstStartSeconds, 3)} s; ${fmt(r.allBusySeconds, 3)} s after submit; ${fmt(r.meanTaskSeconds, 4)} s per sleep 1`,
      target: '(median round)',
      met: null,
    });
  });
  await measure('throughput', async () => {
    say(`dispatch throughput: ${size.throughput} trivial tasks on 8 slots, ${size.rounds} round(s), medians ...`);
    const r = await measureThroughput(size.throughput, size.rounds);
    results.throughput = r;
    rows.push({ what: 'local tasks/s (coord run)', figure: `${fmt(r.localPerSecond, 0)}/s; ${fmt(r.localToFloor)}x floor (${fmt(r.floorPerSecond, 0)}/s)`, target: '>= 0.8x floor', met: r.localToFloor >= 0.8 });
    rows.push({ what: 'local vs runner-equivalent', figure: `${fmt(r.localToRunner)}x (${fmt(r.runnerEquivalentPerSecond, 0)}/s)`, target: '>= 1.1x', met: r.localToRunner >= 1.1 });
    rows.push({ what: 'distributed tasks/s (submit + 1 running agent)', figure: `${fmt(r.distributedPerSecond, 0)}/s; ${fmt(r.distributedToRunner)}x runner-equivalent`, target: '>= 1.0x runner', met: r.distributedToRunner >= 1.0 });
    rows.push({
      what: '  the same, a new agent\'s first sweep',
      figure: `${fmt(r.distributedColdPerSecond, 0)}/s; ${fmt(r.distributedColdToRunner)}x; agent CPU ${fmt(r.coldAgentCpuPerTaskMs)} ms per task`,
      target: '>= 1.0x runner',
      met: r.distributedColdToRunner >= 1.0,
    });
    const cpu = r.cpuPerTaskMs;
    rows.push({
      what: '  CPU per task (running agent): agent / spawner and zygote / commands / Redis',
      figure: `${fmt(cpu.agent)} / ${fmt(cpu.spawner)} / ${fmt(cpu.commands)} / ${fmt(cpu.redis)} ms; runner-equivalent, all: ${fmt(cpu.runnerEquivalent)} ms`,
      target: '(this machine)',
      met: null,
    });
  });
  await measure('refill', async () => {
    say(`slot refill gap: ${size.refill} tasks of 0.5 s on 8 slots ...`);
    const r = await measureRefill(size.refill);
    results.refill = r;
    rows.push({ what: 'refill gap, agent p50 / p99', figure: `${fmt(r.agentP50Ms, 1)} / ${fmt(r.agentP99Ms, 1)} ms`, target: 'p99 < 25 ms', met: r.agentP99Ms < 25 });
    rows.push({ what: 'refill gap, coord run p50 / p99', figure: `${fmt(r.localP50Ms, 1)} / ${fmt(r.localP99Ms, 1)} ms`, target: 'p99 < 25 ms', met: r.localP99Ms < 25 });
    rows.push({ what: 'refill gap, shell loop per slot p50 / p99', figure: `${fmt(r.floorP50Ms, 1)} / ${fmt(r.floorP99Ms, 1)} ms`, target: '(this machine)', met: null });
  });
  await measure('submission', async () => {
    say(`submission: ${size.submission} tasks ...`);
    const r = await measureSubmission(size.submission);
    results.submission = r;
    rows.push({ what: `submit ${r.tasks} tasks (expand + enqueue)`, figure: `${fmt(r.expandSeconds)} + ${fmt(r.enqueueSeconds)} = ${fmt(r.totalSeconds)} s`, target: '< 10 s (100k)', met: r.totalSeconds < 10 });
    rows.push({ what: 'Redis memory per waiting task', figure: `${fmt(r.bytesPerTask, 0)} bytes`, target: '< 2048 bytes', met: r.bytesPerTask < 2048 });
    rows.push({ what: `coord status SWEEP --json (${r.tasks} tasks)`, figure: `${fmt(r.statusSeconds)} s`, target: '< 1 s', met: r.statusSeconds < 1 });
  });
  await measure('idle', async () => {
    say(`idle agent: ${size.idleSeconds} s ...`);
    const r = await measureIdle(size.idleSeconds);
    results.idle = r;
    rows.push({ what: `idle agent CPU over ${r.seconds} s`, figure: `${fmt(r.cpuPercent, 3)}% of a core`, target: '< 1%', met: r.cpuPercent < 1 });
    rows.push({ what: 'idle agent RSS', figure: `${fmt(r.rssMiB, 0)} MiB`, target: '< 100 MiB', met: r.rssMiB < 100 });
  });
  await measure('crash', async () => {
    const crash: CrashResult[] = [];
    for (const lockMs of size.crashLocks) {
      say(`crash detection with --lock-ms ${lockMs} ...`);
      crash.push(await measureCrash(lockMs));
    }
    results.crash = crash;
    for (const r of crash) rows.push({ what: `crash detection, --lock-ms ${r.lockMs}`, figure: `${fmt(r.seconds, 1)} s`, target: `about 1-2x lock`, met: null });
  });
  await measure('many', async () => {
    say(`many agents: ${size.agents} x 8 slots, ${size.agentTasks} tasks of 0.5 s ...`);
    const r = await measureManyAgents(size.agents, size.agentTasks);
    results.manyAgents = r;
    rows.push({ what: `${r.agents} agents x 8 slots, ${r.tasks} x 0.5 s`, figure: `efficiency ${fmt(r.efficiency)} (at most ${fmt(r.bestPossibleEfficiency)} in this shape); Redis CPU ${fmt(r.redisCpuPercent, 0)}%`, target: '>= 0.90', met: r.efficiency >= 0.9 });
    say(`the same on bare BullMQ: ${size.agents} workers x concurrency 8 in this process ...`);
    const bare = await measureManyBullmqWorkers(size.agents, size.agentTasks);
    results.manyBullmqWorkers = bare;
    rows.push({
      what: `  bare BullMQ, same shape (ours / bare)`,
      figure: `efficiency ${fmt(bare.efficiency)}; ${fmt(r.efficiency / bare.efficiency)}x; Redis CPU ${fmt(bare.redisCpuPercent, 0)}%`,
      target: '(this process)',
      met: null,
    });
  });

  const filesAfter = measureFileCost();
  results.fileCost = { before: filesBefore, after: filesAfter };
  rows.push({
    what: `a task's files (a directory, 3 files): bench workspace${filesBefore.spread ? ' (chattr +T)' : ''} / the temp dir itself`,
    figure: `${fmt(filesBefore.workspaceUs, 0)} / ${fmt(filesBefore.tempDirUs, 0)} us before; ${fmt(filesAfter.workspaceUs, 0)} / ${fmt(filesAfter.tempDirUs, 0)} us after`,
    target: '(this machine)',
    met: null,
  });
  removeWorkspaces();
  results.table = rows;
  if (failures.length > 0) results.failures = failures;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  mkdirSync(`${ROOT}bench/results`, { recursive: true });
  writeFileSync(`${ROOT}bench/results/${stamp}${quick ? '-quick' : ''}.json`, `${JSON.stringify(results, null, 2)}\n`);
  if (json) {
    process.stdout.write(`${JSON.stringify(results)}\n`);
    return;
  }
  const widths = [Math.max(...rows.map((r) => r.what.length)), Math.max(...rows.map((r) => r.figure.length)), Math.max(...rows.map((r) => r.target.length))];
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ');
  process.stdout.write(`${line(['measurement', 'figure', 'target'])}  met\n`);
  for (const row of rows) process.stdout.write(`${line([row.what, row.figure, row.target])}  ${row.met === null ? '-' : row.met ? 'yes' : 'NO'}\n`);
  if (!quick && !only) writeResultsMarkdown(rows, results);
  if (failures.length > 0) {
    process.stderr.write(`bench: ${failures.length} measurement(s) failed:\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}

function writeResultsMarkdown(rows: Row[], results: Record<string, unknown>): void {
  const spread = (results.fileCost as { before: FileCostResult } | undefined)?.before.spread ?? false;
  const lines = [
    '# Benchmark results',
    '',
    `Command: \`npm run bench\` (full configuration), ${String(results.date)}, ${String(results.cpus)} cores, Node ${String(results.node)}.`,
    'Ratios compare against baselines measured in the same run, since the machine is shared and noisy:',
    'efficiency and throughput measure ours and the baselines back to back in three rounds and give the median.',
    `Every contender writes its files under one root ${spread ? "marked `chattr +T`, which ext4 places away from /tmp's recently freed inodes (runs before 2026-12-06 21:00 wrote in /tmp itself)" : 'in the temp dir'}; the last row gives a task's file cost there and in /tmp (bench/NOTES.md, "where the files go").`,
    '',
    '| measurement | figure | target | met |',
    '| --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row.what} | ${row.figure} | ${row.target} | ${row.met === null ? '-' : row.met ? 'yes' : 'no'} |`),
    '',
    'Raw figures: `bench/results/` (one JSON file per run). Before and after, profiles and the missed targets: `bench/NOTES.md`.',
    '',
  ];
  writeFileSync(`${ROOT}bench/RESULTS.md`, lines.join('\n'));
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
