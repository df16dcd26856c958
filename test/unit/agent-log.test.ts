/** The agent's JSON log: lines go out in batches, but a warning goes out at once, also while a batch is being written. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const LOG = fileURLToPath(new URL('../../packages/agent/dist/log.js', import.meta.url));

it('writes a warning logged while a batch is being written, without waiting for 4 KiB more or the exit', async () => {
  // A line past the 4 KiB batch starts a write at once; the warning comes while it is under way,
  // and then the process stays quiet (as an agent that lost its run does) until it is killed.
  const script = `const { createLogger } = await import(${JSON.stringify(LOG)});
const log = createLogger('json', 'info');
log.info({ big: 'x'.repeat(6000) }, 'big');
log.warn('the warning');
setTimeout(() => {}, 30000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const deadline = Date.now() + 5000;
    while (!stderr.includes('"the warning"') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stderr).toContain('"msg":"the warning"');
  } finally {
    child.kill('SIGKILL');
  }
});
