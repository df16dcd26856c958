/**
 * Agents given GPUs by UUID (`--gpus GPU-...`, `MIG-...`, as nvidia-smi -L prints them), which
 * stay a GPU's across reboots where its index may not: looked up in a fake nvidia-smi on PATH,
 * commands get the UUIDs in CUDA_VISIBLE_DEVICES, and status shows the GPUs' indices.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAgents } from './helpers/agents.js';
import { AGENT, coord, runCli, startCli, waitFor, withoutNoAgentNote } from './helpers/cli.js';
import { useRedis } from './helpers/redis-server.js';
import { useTempDirs } from './helpers/temp-dir.js';

const redis = useRedis();
const startAgent = useAgents();
const tempDir = useTempDirs();

const A = 'GPU-a0a0a0a0-0000-4000-8000-000000000000';
const B = 'GPU-b1b1b1b1-1111-4111-8111-111111111111';
// C's UUID starts as B's does, as two GPUs' UUIDs may for a few digits.
const C = 'GPU-b1b1c2c2-2222-4222-8222-222222222222';
const MIG0 = 'MIG-d3d3d3d3-3333-4333-8333-333333333333';
const MIG1 = 'MIG-e4e4e4e4-4444-4444-8444-444444444444';

/**
 * A directory with a fake nvidia-smi: `-L` lists three GPUs, the first split into two MIG
 * devices; a query prints `gpus.csv` of that directory (index, uuid, free and total MiB).
 */
function fakeNvidiaSmi(dir: string, freeMiB: [number, number, number] = [40_000, 40_000, 40_000]): { bin: string; env: Record<string, string> } {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const list = [
    `GPU 0: NVIDIA A100-SXM4-40GB (UUID: ${A})`,
    `  MIG 3g.20gb     Device  0: (UUID: ${MIG0})`,
    `  MIG 3g.20gb     Device  1: (UUID: ${MIG1})`,
    `GPU 1: NVIDIA A100-SXM4-40GB (UUID: ${B})`,
    `GPU 2: NVIDIA A100-SXM4-40GB (UUID: ${C})`,
  ].join('\n');
  writeFileSync(join(bin, 'gpus.csv'), [A, B, C].map((uuid, i) => `${i}, ${uuid}, ${freeMiB[i]}, 40960\n`).join(''));
  writeFileSync(join(bin, 'nvidia-smi'), `#!/bin/sh\nif [ "$1" = -L ]; then\ncat <<'EOF'\n${list}\nEOF\nelse\ncat "${join(bin, 'gpus.csv')}"\nfi\n`);
  chmodSync(join(bin, 'nvidia-smi'), 0o755);
  return { bin, env: { PATH: `${bin}:${process.env.PATH}` } };
}

const cli = (prefix: string) => ['--redis', redis().url, '--prefix', prefix];

interface StatusJson {
  agents: Array<{ name: string; gpus: string[]; busyGpus: string[] }>;
  sweeps: Array<{ counts: Record<string, number> }>;
  tasks: Array<{ name: string; state: string; gpus: string | null }>;
}

async function status(prefix: string, sweep?: string): Promise<StatusJson> {
  const result = await coord(['status', ...(sweep ? [sweep] : []), '--json', '--limit', '0', ...cli(prefix)]);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as StatusJson;
}

async function submit(dir: string, prefix: string, file = 'params.yaml'): Promise<string> {
  const result = await coord(['submit', file, '--json', ...cli(prefix)], { cwd: dir });
  expect(withoutNoAgentNote(result.stderr)).toBe('');
  return (JSON.parse(result.stdout) as { sweep: string }).sweep;
}

async function settled(prefix: string, sweep: string): Promise<StatusJson> {
  let shown: StatusJson | undefined;
  await waitFor(async () => {
    shown = await status(prefix, sweep);
    return shown.sweeps[0]!.counts.succeeded === shown.tasks.length;
  }, 20_000, `sweep ${sweep} to succeed`);
  return shown!;
}

describe('agent --gpus with GPU UUIDs', () => {
  it('gives commands the UUIDs in CUDA_VISIBLE_DEVICES and shows the GPUs by index in status', async () => {
    const dir = tempDir();
    const prefix = 'uuids';
    const { env } = fakeNvidiaSmi(dir);
    const gate = join(dir, 'gate');
    // Each task holds its GPU until the gate opens, so that status shows both at work.
    writeFileSync(join(dir, 'params.yaml'), `template:\n  run: echo $CUDA_VISIBLE_DEVICES > {_output}/gpu; until [ -e ${gate} ]; do sleep 0.1; done\n---\nx: [1, 2]\n`);
    // Given in another order than nvidia-smi's, in upper case: GPUs 2 and 1.
    const agent = await startAgent(redis().url, ['--gpus', `${C},${B.toUpperCase()}`, ...cli(prefix).slice(2)], { workdir: join(dir, 'w'), env });
    expect(agent.logs().find((entry) => entry.msg === 'agent running')).toMatchObject({ gpus: '2,1', gpuUuids: { 2: C, 1: B } });
    expect((await status(prefix)).agents[0]!.gpus).toEqual(['2', '1']);

    const sweep = await submit(dir, prefix);
    const table = async () => (await coord(['status', ...cli(prefix)])).stdout;
    await waitFor(async () => /\b2:X_\d 1:X_\d\b/.test(await table()), 10_000, 'status to show a task on GPU 2 and one on GPU 1');
    writeFileSync(gate, '');
    const done = await settled(prefix, sweep);
    expect(done.tasks.map((task) => task.gpus).sort()).toEqual(['1', '2']);
    for (const task of done.tasks) {
      const uuid = task.gpus === '1' ? B : C;
      expect(readFileSync(join(agent.workdir, `output/${task.name}/gpu`), 'utf8').trim()).toBe(uuid);
      // The line param.json keeps to run it again by hand names the same GPU.
      expect(readFileSync(join(agent.workdir, `output/${task.name}/param.json`), 'utf8')).toContain(`CUDA_VISIBLE_DEVICES=${uuid} echo`);
    }

    // A task of two GPUs gets both UUIDs, in the GPUs' order.
    writeFileSync(join(dir, 'pair.yaml'), 'template:\n  run: echo $CUDA_VISIBLE_DEVICES > {_output}/gpu\ngpus: 2\n---\ny: 1\n');
    const pair = await submit(dir, prefix, 'pair.yaml');
    expect((await settled(prefix, pair)).tasks[0]!.gpus).toBe('1,2');
    expect(readFileSync(join(agent.workdir, 'output/Y_1/gpu'), 'utf8').trim()).toBe(`${B},${C}`);
  });

  it('checks --min-free-mem on the GPUs the UUIDs name', async () => {
    const dir = tempDir();
    const prefix = 'uuids-memory';
    // GPU 1 (B) is nearly full; GPU 2 (C) has room.
    const { env } = fakeNvidiaSmi(dir, [40_000, 1_000, 30_000]);
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo $CUDA_VISIBLE_DEVICES > {_output}/gpu\n---\nx: [1, 2, 3]\n');
    const agent = await startAgent(redis().url, ['--gpus', `${B},${C}`, '--min-free-mem', '8G', ...cli(prefix).slice(2)], { workdir: join(dir, 'w'), env });
    const sweep = await submit(dir, prefix);
    await settled(prefix, sweep);
    for (const x of [1, 2, 3]) expect(readFileSync(join(agent.workdir, `output/X_${x}/gpu`), 'utf8').trim()).toBe(C);
    await waitFor(async () => (await status(prefix)).agents[0]!.busyGpus.join() === '1', 3000, 'GPU 1 to show as held back');
    expect((await coord(['status', ...cli(prefix)])).stdout).toContain('1:held back (other users) 2:idle');
  });

  it('runs tasks on MIG devices by their UUIDs, one device per task', async () => {
    const dir = tempDir();
    const prefix = 'uuids-mig';
    const { env } = fakeNvidiaSmi(dir);
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo $CUDA_VISIBLE_DEVICES > {_output}/gpu\n---\nx: [1, 2, 3]\n');
    // The first: the start of its UUID, as CUDA takes it too.
    const agent = await startAgent(redis().url, ['--gpus', `${MIG1.slice(0, 12)},${MIG0}`, ...cli(prefix).slice(2)], { workdir: join(dir, 'w'), env });
    expect((await status(prefix)).agents[0]!.gpus).toEqual(['0/mig1', '0/mig0']);
    // A CUDA process sees one MIG device at most: tasks of two GPUs are not this agent's to take.
    expect(agent.logs().find((entry) => entry.msg === 'agent running')?.queues).toBe('tasks.default.1g');
    const sweep = await submit(dir, prefix);
    const done = await settled(prefix, sweep);
    for (const task of done.tasks) {
      expect(['0/mig0', '0/mig1']).toContain(task.gpus);
      expect(readFileSync(join(agent.workdir, `output/${task.name}/gpu`), 'utf8').trim()).toBe(task.gpus === '0/mig0' ? MIG0 : MIG1);
    }
  });

  it('takes, with --gpus auto, a GPU in MIG mode as its MIG devices, by their UUIDs, and the other GPUs whole', async () => {
    const dir = tempDir();
    const prefix = 'auto-mig';
    const { env } = fakeNvidiaSmi(dir);
    writeFileSync(join(dir, 'params.yaml'), 'template:\n  run: echo $CUDA_VISIBLE_DEVICES > {_output}/gpu\n---\nx: [1, 2, 3, 4, 5, 6]\n');
    const agent = await startAgent(redis().url, ['--gpus', 'auto', ...cli(prefix).slice(2)], { workdir: join(dir, 'w'), env });
    // GPU 0 runs nothing whole: CUDA reaches it only through its MIG devices.
    expect((await status(prefix)).agents[0]!.gpus).toEqual(['0/mig0', '0/mig1', '1', '2']);
    expect(agent.logs().find((entry) => entry.msg === 'agent running')).toMatchObject({ gpuUuids: { '0/mig0': MIG0, '0/mig1': MIG1 }, queues: 'tasks.default.1g' });
    expect(agent.logs().find((entry) => String(entry.msg).startsWith('MIG devices beside whole GPUs'))).toMatchObject({ migDevices: '0/mig0,0/mig1', gpus: '1,2' });
    const done = await settled(prefix, await submit(dir, prefix));
    for (const task of done.tasks) {
      const devices: Record<string, string> = { '0/mig0': MIG0, '0/mig1': MIG1, 1: '1', 2: '2' };
      expect(readFileSync(join(agent.workdir, `output/${task.name}/gpu`), 'utf8').trim()).toBe(devices[task.gpus!]);
    }
  });

  it('says at start that an agent of MIG devices and whole GPUs gives every task one GPU', async () => {
    const dir = tempDir();
    const prefix = 'uuids-mixed';
    const { env } = fakeNvidiaSmi(dir);
    const agent = await startAgent(redis().url, ['--gpus', `${B},${MIG0}`, ...cli(prefix).slice(2)], { workdir: join(dir, 'w'), env });
    expect(agent.logs().find((entry) => String(entry.msg).startsWith('MIG devices beside whole GPUs'))).toMatchObject({ migDevices: '0/mig0', gpus: '1' });
    expect(agent.logs().find((entry) => entry.msg === 'agent running')?.queues).toBe('tasks.default.1g');
  });

  it('refuses at start, in one line, a UUID nvidia-smi does not list, indices mixed with UUIDs, and a MIG device under --min-free-mem', async () => {
    const dir = tempDir();
    const { env } = fakeNvidiaSmi(dir);
    const agent = (args: string[], path = env.PATH) => runCli(AGENT, [...args, ...cli('uuids-refused')], { env: { ...process.env, PATH: path } });
    const unknown = 'GPU-ffffffff-ffff-4fff-8fff-ffffffffffff';
    expect(await agent(['--gpus', `${A},${unknown}`])).toMatchObject({
      code: 2,
      stderr: `agent: --gpus: nvidia-smi does not list ${unknown} on this machine; it lists GPU 0 ${A}, GPU 1 ${B}, GPU 2 ${C}, GPU 0 MIG device 0 ${MIG0}, GPU 0 MIG device 1 ${MIG1}: give UUIDs as nvidia-smi -L prints them here, or GPU indices (--gpus 0,1)\n`,
    });
    // GPU 0 is split into MIG devices: CUDA cannot run on it whole.
    expect(await agent(['--gpus', `${B},${A}`])).toMatchObject({
      code: 2,
      stderr: `agent: --gpus: GPU 0 (${A}) is in MIG mode, where CUDA reaches it only through its MIG devices: give their UUIDs instead (${MIG0},${MIG1})\n`,
    });
    // The start of a UUID, as CUDA takes it, must name one GPU only.
    expect(await agent(['--gpus', 'GPU-b1b1'])).toMatchObject({
      code: 2,
      stderr: `agent: --gpus: GPU-b1b1 is the start of more than one UUID (${B}, ${C}): give more of it\n`,
    });
    const unknownMig = 'MIG-ffffffff-ffff-4fff-8fff-ffffffffffff';
    expect((await agent(['--gpus', unknownMig])).stderr).toBe(
      `agent: --gpus: nvidia-smi does not list ${unknownMig} on this machine; it lists GPU 0 ${A}, GPU 1 ${B}, GPU 2 ${C}, GPU 0 MIG device 0 ${MIG0}, GPU 0 MIG device 1 ${MIG1}: give UUIDs as nvidia-smi -L prints them here, or GPU indices (--gpus 0,1)\n`,
    );
    expect(await agent(['--gpus', `0,${B}`])).toMatchObject({
      code: 2,
      stderr: `agent: --gpus "0,${B}" mixes GPU indices and UUIDs: give every GPU by index (--gpus 0,1) or every one by UUID (--gpus GPU-...,GPU-...)\n`,
    });
    expect(await agent(['--gpus', 'gpu0'])).toMatchObject({
      code: 2,
      stderr: 'agent: --gpus takes GPU indices like 0,1 (or 0,1,0,1 for two tasks per GPU, or auto), or UUIDs as nvidia-smi -L prints them (GPU-..., MIG-...), not "gpu0"\n',
    });
    expect(await agent(['--gpus', MIG0, '--min-free-mem', '8G'])).toMatchObject({
      code: 2,
      stderr: `agent: --min-free-mem cannot be checked on MIG devices (${MIG0}): nvidia-smi gives the free memory of whole GPUs only; drop --min-free-mem, or give whole GPUs\n`,
    });
    // Found by auto, not given: named as status names them, with the whole GPUs to give instead.
    expect(await agent(['--gpus', 'auto', '--min-free-mem', '8G'])).toMatchObject({
      code: 2,
      stderr: 'agent: --min-free-mem cannot be checked on MIG devices (0/mig0, 0/mig1, found by --gpus auto): nvidia-smi gives the free memory of whole GPUs only; drop --min-free-mem, or give the GPUs not in MIG mode (--gpus 1,2)\n',
    });
    // No nvidia-smi to look the UUIDs up in: wrong on this machine (exit 2), as for --gpus auto.
    expect(await agent(['--gpus', B], '/usr/bin:/bin')).toMatchObject({
      code: 2,
      stderr: 'agent: --gpus: nvidia-smi is not installed or not on PATH; give GPU indices instead, e.g. --gpus 0,1\n',
    });
  });
  it('refuses GPU indices nvidia-smi does not list, and takes those it lists', async () => {
    const dir = tempDir();
    const { env } = fakeNvidiaSmi(dir);
    // Three GPUs, 0 to 2: GPU 5 and 3 would give their tasks a CUDA_VISIBLE_DEVICES that names no device.
    // Killed after 10 s should it start after all, as it did: no agent is left behind.
    const refused = startCli(AGENT, ['--gpus', '1,5,3,5', ...cli('indices-refused')], { env: { ...process.env, PATH: env.PATH } });
    const timer = setTimeout(() => refused.child.kill('SIGKILL'), 10_000);
    expect(await refused.done.finally(() => clearTimeout(timer))).toMatchObject({
      code: 2,
      stderr: 'agent: --gpus: nvidia-smi does not list GPU 5, GPU 3 on this machine; it lists GPU 0, GPU 1, GPU 2: give GPUs it lists (--gpus 0,1,2), or --gpus auto\n',
    });
    const agent = await startAgent(redis().url, ['--gpus', '2,1', ...cli('indices-taken').slice(2)], { workdir: join(dir, 'w'), env });
    expect((await status('indices-taken')).agents.find((a) => a.name === agent.name)?.gpus).toEqual(['2', '1']);
  });
});
