/**
 * coord run's lines to a pipe or a file go out in batches (two lines per task would wake the
 * reader twice per task), and nothing is lost or reordered: stderr waits for the batch before
 * it, a full batch goes at once, and a process that exits sends what it holds.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTerminal } from '../../packages/coordinator/src/output/terminal.js';

/** A stream that records each write, labelled with the stream's name. */
function fakeStream(name: string, writes: string[], isTTY = false): NodeJS.WriteStream {
  return { isTTY, columns: 80, write: (text: string) => writes.push(`${name}:${text}`) > 0 } as unknown as NodeJS.WriteStream;
}

const TERMINAL = fileURLToPath(new URL('../../packages/coordinator/dist/output/terminal.js', import.meta.url));

describe('batched terminal output', () => {
  it('sends lines to a pipe in one write after 100 ms', async () => {
    const writes: string[] = [];
    const terminal = createTerminal(fakeStream('out', writes), fakeStream('err', writes), { batch: true });
    for (let i = 1; i <= 50; i++) terminal.line(`OK ${i}`);
    expect(writes).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(writes).toHaveLength(1);
    expect(writes[0]!.split('\n').filter(Boolean)).toHaveLength(50);
  });

  it('sends the lines before a warning first, and a full batch at once', () => {
    const writes: string[] = [];
    const terminal = createTerminal(fakeStream('out', writes), fakeStream('err', writes), { batch: true });
    terminal.line('START 1');
    terminal.error('warning: something');
    terminal.line('OK 1');
    expect(writes).toEqual(['out:START 1\n', 'err:warning: something\n']);
    const long = 'x'.repeat(1000);
    for (let i = 0; i < 17; i++) terminal.line(long);
    expect(writes).toHaveLength(3);
    expect(writes[2]!.startsWith('out:OK 1\n')).toBe(true);
  });

  it('writes each line at once on a terminal, and without the option', () => {
    for (const [isTTY, batch] of [[true, true], [false, false]] as const) {
      const writes: string[] = [];
      const terminal = createTerminal(fakeStream('out', writes, isTTY), fakeStream('err', writes, isTTY), { batch });
      terminal.line('START 1');
      terminal.line('OK 1');
      expect(writes).toEqual(['out:START 1\n', 'out:OK 1\n']);
    }
  });

  it('loses nothing when the process exits with lines still held', () => {
    const script = `
      const { createTerminal } = await import(${JSON.stringify(TERMINAL)});
      const terminal = createTerminal(process.stdout, process.stderr, { batch: true });
      for (let i = 1; i <= 1000; i++) terminal.line('line ' + i);
      process.exit(3);
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.status).toBe(3);
    const lines = child.stdout.trim().split('\n');
    expect(lines).toHaveLength(1000);
    expect(lines.at(-1)).toBe('line 1000');
  });
});
