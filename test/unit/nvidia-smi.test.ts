/** What the agent makes of nvidia-smi: a hang said to be one, not Node's "Command failed"; the MIG devices it lists. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { listMigDevices, queryGpus } from '@sweep-runner/agent/dist/gpu/nvidia-smi.js';

const path = process.env.PATH;
const dirs: string[] = [];
afterEach(() => {
  process.env.PATH = path;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

it('says nvidia-smi did not answer in time when it hangs (a driver stuck)', async () => {
  const bin = mkdtempSync(join(tmpdir(), 'fake-smi-'));
  dirs.push(bin);
  writeFileSync(join(bin, 'nvidia-smi'), '#!/bin/sh\nexec sleep 30\n');
  chmodSync(join(bin, 'nvidia-smi'), 0o755);
  process.env.PATH = `${bin}:${path}`;
  await expect(queryGpus(300)).rejects.toMatchObject({ message: 'nvidia-smi did not answer within 0.3 s', installed: true });
});

it('finds MIG devices under their GPUs in nvidia-smi -L, in the UUID forms of new and old drivers', async () => {
  const bin = mkdtempSync(join(tmpdir(), 'fake-smi-'));
  dirs.push(bin);
  const list = [
    'GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77)',
    '  MIG 3g.20gb     Device  0: (UUID: MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f)',
    'GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-7a1e2c3d-0000-1111-2222-333344445555)',
    '  MIG 1g.5gb Device 1: (UUID: MIG-GPU-7a1e2c3d-0000-1111-2222-333344445555/7/0)',
  ];
  writeFileSync(join(bin, 'nvidia-smi'), `#!/bin/sh\n${list.map((line) => `echo '${line}'`).join('\n')}\n`);
  chmodSync(join(bin, 'nvidia-smi'), 0o755);
  process.env.PATH = `${bin}:${path}`;
  expect(await listMigDevices()).toEqual([
    { gpu: '0', device: '0', uuid: 'MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f' },
    { gpu: '1', device: '1', uuid: 'MIG-GPU-7a1e2c3d-0000-1111-2222-333344445555/7/0' },
  ]);
});
