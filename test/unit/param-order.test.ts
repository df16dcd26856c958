/**
 * paramOrder: a sweep file's params in the order its tasks hold them (and Redis, and coord
 * results SWEEP), read from the file alone, as coord results OUTPUT has only the file's copy.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expandSweep, paramOrder, parseSweepText, readSweepFile, type TaskSpec } from '@sweep-runner/shared';

/** The params of the tasks in the order first met, as coord results lists those of a sweep in Redis. */
function firstMet(tasks: TaskSpec[]): string[] {
  const names = new Set<string>();
  for (const task of tasks) for (const name of Object.keys(task.params)) names.add(name);
  return [...names];
}

const expansionOrder = (text: string, title?: string) =>
  firstMet(expandSweep(parseSweepText(text, 'params.yaml'), { output: 'output', datetime: 'DT', pathExists: () => false, ...(title !== undefined && { title }) }).tasks);

describe('paramOrder', () => {
  it("takes a document's params as written, then what its aliases set, then defaults, then the aliases' names; then a later document's", () => {
    const text = `template:
  train: echo {seed} {lr} {width} {depth} {wd}
  eval: echo {seed} {lr} {wd} {ckpt}
default:
  lr: 0.1
  wd: 0
alias:
  size:
    small: {width: 1, depth: 2}
    big: {width: 3, depth: 4}
---
_cmd: [train]
seed: [1, 2]
size: [small, big]
lr: [0.1, 0.01]
---
_cmd: [eval]
ckpt: [last]
wd: [0.1, 0.2]
seed: 3
`;
    const sweep = parseSweepText(text, 'params.yaml');
    expect(paramOrder(sweep)).toEqual(['seed', 'lr', 'width', 'depth', 'wd', 'size', 'ckpt']);
    expect(paramOrder(sweep)).toEqual(expansionOrder(text));
  });

  it('keeps the place of a param a document sets that its alias sets too (the alias wins its value, not its place)', () => {
    const text = 'template:\n  run: echo {a} {b} {c}\nalias:\n  mode:\n    x: {c: 1, a: 2}\n---\nb: [1]\nmode: [x]\na: [5]\n';
    expect(paramOrder(parseSweepText(text, 'params.yaml'))).toEqual(['b', 'a', 'c', 'mode']);
    expect(paramOrder(parseSweepText(text, 'params.yaml'))).toEqual(expansionOrder(text));
  });

  it('takes only the documents of a title, as a -t run expanded them, and all where none has it', () => {
    const text = 'template:\n  run: echo {a} {b}\n---\n{_title: ba, b: [1], a: [1]}\n---\n{_title: ab, a: [2], b: [2]}\n';
    const sweep = parseSweepText(text, 'params.yaml');
    expect(paramOrder(sweep, 'ab')).toEqual(['a', 'b']);
    expect(paramOrder(sweep, 'ab')).toEqual(expansionOrder(text, 'ab'));
    expect(paramOrder(sweep, 'ba')).toEqual(['b', 'a']);
    expect(paramOrder(sweep)).toEqual(['b', 'a']);
    expect(paramOrder(sweep, 'bak')).toEqual(['b', 'a']);
  });

  // Every expansion the original runner's fixtures hold: the order of its tasks' params, from the file alone.
  for (const folder of ['runner-compat', 'runner-reference']) {
    const dir = fileURLToPath(new URL(`../fixtures/${folder}/`, import.meta.url));
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
      const fixture = JSON.parse(readFileSync(dir + file, 'utf8')) as { yaml: string; args: { output: string; title: string | null; commands: string[] | null }; expected: { error?: true } };
      if (fixture.expected.error) continue;
      it(`${folder}/${file}: as its tasks hold them`, () => {
        const cwd = process.cwd();
        process.chdir(dir);
        try {
          const sweep = readSweepFile(fixture.yaml);
          const { output, title, commands } = fixture.args;
          const expansion = expandSweep(sweep, { output, datetime: 'DT', pathExists: existsSync, ...(title !== null && { title }), ...(commands !== null && { commands }) });
          expect(paramOrder(sweep, title ?? undefined)).toEqual(firstMet(expansion.tasks));
        } finally {
          process.chdir(cwd);
        }
      });
    }
  }
});
