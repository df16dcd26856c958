/** What the agent says when nvidia-smi hangs: that it did not answer, not Node's "Command failed". */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { queryGpus } from '@sweep-runner/agent/dist/gpu/nvidia-smi.js';

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
