/**
 * Every expected expansion produced by the original runner: in-process, and through
 * `coord run FILE --dry-run --json` in the fixture's folder, as a user would call it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expandSweep, readSweepFile } from '@sweep-runner/shared';
import { coord } from './helpers/cli.js';

interface Fixture {
  yaml: string;
  args: { output: string; title: string | null; commands: string[] | null };
  expected:
    | { error?: undefined; resources: string[]; tasks: Array<{ name: string; output: string; commands: Record<string, string> }> }
    | { error: true; mentions?: string[] };
}

const collapse = (text: string) => text.split(/\s+/).filter(Boolean).join(' ');
const normalise = (tasks: Array<{ name: string; output: string; commands: Record<string, string> }>) =>
  tasks.map((t) => ({ name: t.name, output: t.output, commands: Object.fromEntries(Object.entries(t.commands).map(([k, v]) => [k, collapse(v)])) }));

for (const folder of ['runner-compat', 'runner-reference']) {
  const dir = fileURLToPath(new URL(`./fixtures/${folder}/`, import.meta.url));
  const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json'));
  describe(folder, () => {
    for (const file of fixtures) {
      const fixture = JSON.parse(readFileSync(dir + file, 'utf8')) as Fixture;
      const { output, title, commands } = fixture.args;

      it(`${file}: in-process expansion`, () => {
        const cwd = process.cwd();
        process.chdir(dir);
        try {
          const run = () => {
            const sweep = readSweepFile(fixture.yaml);
            const expansion = expandSweep(sweep, {
              output,
              ...(title !== null && { title }),
              ...(commands !== null && { commands }),
              datetime: 'DT',
              pathExists: existsSync,
            });
            return { sweep, expansion };
          };
          if (fixture.expected.error) {
            expect(run).toThrow();
            try {
              run();
            } catch (error) {
              for (const word of fixture.expected.mentions ?? []) expect((error as Error).message).toContain(word);
            }
            return;
          }
          const { sweep, expansion } = run();
          expect(sweep.resources).toEqual(fixture.expected.resources);
          expect(normalise(expansion.entries.map((e) => ({ ...e, commands: Object.fromEntries(e.commands.map((c) => [c.name, c.script])) })))).toEqual(
            normalise(fixture.expected.tasks),
          );
        } finally {
          process.chdir(cwd);
        }
      });

      it(`${file}: coord run --dry-run --json`, async () => {
        const args = ['run', fixture.yaml, '--dry-run', '--json', '-o', output];
        if (title !== null) args.push('-t', title);
        if (commands !== null) args.push('-c', ...commands);
        const result = await coord(args, { cwd: dir });
        if (fixture.expected.error) {
          expect(result.code).not.toBe(0);
          expect(result.stdout).toBe('');
          expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
          for (const word of fixture.expected.mentions ?? []) expect(result.stderr).toContain(word);
          return;
        }
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        const printed = JSON.parse(result.stdout) as { resources: string[]; tasks: Fixture['expected'] extends infer E ? E : never; warnings: string[] };
        expect(printed.resources).toEqual(fixture.expected.resources);
        expect(normalise(printed.tasks as never)).toEqual(normalise(fixture.expected.tasks));
        expect(Array.isArray(printed.warnings)).toBe(true);
      });
    }
  });
}
