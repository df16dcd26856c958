/**
 * Expansion, exactly as the original runner does it: per choice document the grid in
 * document order (or a seeded sample of it), then alias groups, then defaults; a
 * combination whose resolved params equal an earlier one under another name is dropped;
 * then each selected command is rendered. Problems are collected for the whole sweep and
 * reported at once.
 */
import { formatProblem, SweepFileError, UsageError, type Problem } from '../errors.js';
import { formatDuration } from '../config/duration.js';
import { closest, didYouMean, meantText } from '../config/suggest.js';
import type { ChoiceDocument, SweepFile, TaskSettings } from '../config/sweep-file.js';
import { aliasClashes } from './alias-clashes.js';
import { brokenPlaceholder } from './broken-placeholder.js';
import { combinationAt, gridSize, sampleIndices, type Combination } from './grid.js';
import { taskName, type PathExists } from './naming.js';
import { pyStr } from './python-format.js';
import { pythonJsonIfDiffers } from './python-json.js';
import { pyEquals, pyHashKey, toJsonValue, type PyScalar, type PyValue } from './py-value.js';
import { mixSeed } from './seeded-random.js';
import { joinOutput, type RenderedCommand, type TaskSpec } from './task.js';
import { parseTemplate, renderTemplate, type ParsedTemplate } from './template.js';

export const DEFAULT_MAX_TASKS = 100_000;
/** A directory or file name longer than this cannot be created (ext4, xfs, ...). */
export const MAX_FILE_NAME_BYTES = 255;
/** Linux's limit on one argument (MAX_ARG_STRLEN): `bash -c <command>` must fit. */
export const MAX_ARGUMENT_BYTES = 131_072;

const META_KEYS = ['_name', '_output', '_datetime', '_time'];

export interface ExpandOptions {
  /** Output root (`-o`). */
  output: string;
  /** `-t`: only documents with this `_title`. */
  title?: string;
  /** `-c`: only these commands (overrides `_cmd`). */
  commands?: string[];
  /** `--sample N`: N random combinations of each document. */
  sample?: number;
  /** `--seed S` for `--sample`. */
  seed?: number;
  /** `--no-param-dir`. */
  noParamDir?: boolean;
  /** `{_datetime}` / `{_time}`. */
  datetime: string;
  /** Whether a string value names an existing path (its name part is then the base name). */
  pathExists: PathExists;
  /** Refuse sweeps with more tasks than this (`--max-tasks`). */
  maxTasks?: number;
}

/** One task as the runner lists it; two entries may share a name when documents add commands. */
export interface SweepEntry {
  name: string;
  output: string;
  /** Resolved params in Python dict order, with `_name`, `_output`, `_datetime`, `_time`. */
  params: Map<string, PyValue>;
  /** The alias cases chosen (`size: small`): not params of the commands, but written to param.json as the runner did. */
  aliasChoices: Array<[string, PyValue]>;
  commands: RenderedCommand[];
  document: ChoiceDocument;
}

export interface Expansion {
  entries: SweepEntry[];
  /** Entries that share a task directory merged into one task, commands in template order. */
  tasks: TaskSpec[];
  warnings: string[];
  /**
   * Problems that only matter when tasks run (the runner would list these tasks too):
   * different params sharing a task name, names too long for a file system.
   * `assertRunnable` refuses to run such a sweep.
   */
  blockers: Problem[];
  /** The seed used for `--sample` (given or drawn), so a sample can be repeated. */
  seed?: number;
}


const BOOLEAN_TRAP = ' (unquoted yes, no, on, off, true and false are booleans in YAML, named True and False: quote them to keep them text)';

/** A boolean among the values compared (a case `yes:` read as True): said, as nothing else shows it. */
function booleanTrap(values: PyValue[]): string {
  return values.some((value) => typeof value === 'boolean') ? BOOLEAN_TRAP : '';
}

function selectDocuments(sweep: SweepFile, title: string | undefined): ChoiceDocument[] {
  if (title === undefined) return sweep.choices;
  const titles = [...new Set(sweep.choices.flatMap((c) => (c.title === undefined ? [] : [c.title])))];
  if (titles.length === 0) {
    throw new UsageError(`-t ${title}: no document in ${sweep.path} has a _title; add "_title: ${title}" to the documents to run, or drop -t`);
  }
  const selected = sweep.choices.filter((c) => c.title === title);
  if (selected.length === 0) {
    // `_title: yes` is the boolean True, named "True".
    const trap = /^(yes|no|on|off|y|n|true|false)$/i.test(title) && titles.some((t) => t === 'True' || t === 'False') ? BOOLEAN_TRAP : '';
    throw new UsageError(`-t ${title}: no document in ${sweep.path} has _title "${title}"${didYouMean(title, titles)}; titles: ${titles.join(', ')}${trap}`);
  }
  return selected;
}

function checkCommandNames(sweep: SweepFile, names: string[] | undefined): void {
  if (names === undefined) return;
  const known = sweep.templates.map((t) => t.name);
  for (const name of names) {
    if (!known.includes(name)) {
      // `-c test,train`: several commands are separate words.
      const split = name.includes(',') && name.split(',').every((part) => known.includes(part.trim())) ? `; give several as separate words: -c ${name.split(',').map((part) => part.trim()).join(' ')}` : '';
      throw new UsageError(`-c ${name}: no such command in "template" of ${sweep.path}${split || didYouMean(name, known)}; commands: ${known.join(', ')}`);
    }
  }
}

/** Alias groups replace the alias param; existing keys keep their place (Python dict update). */
function applyAliases(
  sweep: SweepFile,
  spec: Map<string, PyValue>,
  /** Where each param was set, for messages; aliases record the lines of what they set. */
  setLines: Map<string, number>,
  lineOf: (param: string) => number | undefined,
  report: (line: number, message: string) => void,
): boolean {
  const updates = new Map<string, PyValue>();
  const aliasKeys: string[] = [];
  let ok = true;
  for (const [key, value] of spec) {
    const alias = sweep.aliases.get(key);
    if (!alias) continue;
    aliasKeys.push(key);
    const found = alias.cases.find((c) => pyEquals(c.value, value));
    if (!found) {
      const cases = alias.cases.map((c) => pyStr(c.value));
      report(lineOf(key) ?? alias.line, `alias "${key}" has no case "${pyStr(value)}"${didYouMean(pyStr(value), cases)}; its cases are: ${cases.join(', ')}${booleanTrap([value, ...alias.cases.map((c) => c.value)])}`);
      ok = false;
      continue;
    }
    for (const [param, paramValue] of found.params) {
      updates.set(param, paramValue);
      setLines.set(param, found.line);
    }
  }
  for (const key of aliasKeys) spec.delete(key);
  for (const [key, value] of updates) spec.set(key, value);
  return ok;
}

/**
 * A document's own param that an alias it chooses also sets: the alias wins (as in the
 * runner), so the document's values of it are not used, and tasks that differ only in them
 * come out the same and are dropped. Said, since nothing else shows it.
 */
function aliasOverrides(sweep: SweepFile, params: ReadonlyArray<{ key: string; line: number }>): string[] {
  const own = new Map(params.map((param) => [param.key, param.line]));
  const warnings: string[] = [];
  for (const { key } of params) {
    const alias = sweep.aliases.get(key);
    if (!alias) continue;
    const overridden = new Set(alias.cases.flatMap((c) => c.params.map(([param]) => param).filter((param) => own.has(param))));
    for (const param of overridden) {
      const setting = alias.cases.filter((c) => c.params.some(([name]) => name === param));
      // Cases may set different params: where only some set this one, the values here hold for the others.
      const by = setting.length === alias.cases.length ? `alias "${key}"` : `alias "${key}" in case ${setting.map((c) => `"${pyStr(c.value)}"`).join(', ')}`;
      const lost = setting.length === alias.cases.length ? 'the values given here are not used' : 'the values given here are not used in tasks of that case';
      warnings.push(`${sweep.path}:${own.get(param)}: "${param}" is also set by ${by}, whose value wins: ${lost} (tasks that differ only in them are dropped); set "${param}" in the alias or here, not both`);
    }
  }
  return warnings;
}

function specHash(spec: Map<string, PyValue>): string {
  return [...spec.keys()]
    .sort()
    .map((key) => `${key}\u0000${pyHashKey(spec.get(key)!)}`)
    .join('\u0001');
}

function settingsFor(sweep: SweepFile, document: ChoiceDocument): TaskSettings {
  return { ...sweep.settings, ...document.settings };
}

/** The line that holds a placeholder: a folded template (`train: >`) spans several after its key's. */
function placeholderLine(sweep: SweepFile, template: ParsedTemplate, placeholder: string): number {
  const lines = sweep.text.split('\n');
  const next = sweep.templates.filter((t) => t.line > template.line).reduce((first, t) => Math.min(first, t.line), lines.length + 1);
  for (let line = template.line; line < next && line <= lines.length; line++) if (lines[line - 1]!.includes(placeholder)) return line;
  return template.line;
}

/** `sys.argv[1]`, `a[i]`: a placeholder right after a name or a closing bracket is code's indexing. */
function indexedInCode(text: string, placeholder: string): boolean {
  for (let at = text.indexOf(placeholder); at > 0; at = text.indexOf(placeholder, at + 1)) if (/[\w\])]/.test(text[at - 1]!)) return true;
  return false;
}

/** The sweep's param names with a dot (`trainer.lr`): a placeholder may name them (see parseTemplate). */
function dottedParamsOf(sweep: SweepFile): Set<string> {
  const names = [
    ...sweep.defaults.keys(),
    ...[...sweep.aliases.values()].flatMap((alias) => alias.cases.flatMap((aliasCase) => aliasCase.params.map(([param]) => param))),
    ...sweep.choices.flatMap((document) => document.params.map((param) => param.key)),
  ];
  return new Set(names.filter((name) => name.includes('.')));
}

/** Checks that hold for a template whatever the task: reported once each. */
function checkTemplate(sweep: SweepFile, template: ParsedTemplate, report: (line: number, message: string) => void): void {
  for (const param of template.valueParams.filter((p) => template.flagParams.includes(p))) {
    report(template.line, `template "${template.name}" uses "${param}" both as {${param}} and as [${param}]; use one form`);
  }
  for (const param of [...template.valueParams, ...template.flagParams]) {
    const alias = sweep.aliases.get(param);
    if (alias) {
      report(template.line, `template "${template.name}" uses the alias "${param}"; an alias only sets other params (${alias.targets.join(', ')}): use those in the template`);
    }
  }
}

export function expandSweep(sweep: SweepFile, options: ExpandOptions): Expansion {
  const documents = selectDocuments(sweep, options.title);
  checkCommandNames(sweep, options.commands);
  const dottedParams = dottedParamsOf(sweep);
  const templates = new Map<string, ParsedTemplate>(sweep.templates.map((t) => [t.name, parseTemplate(t.name, t.text, t.line, dottedParams)]));
  const problems = new Map<string, Problem>();
  const report = (line: number | undefined, message: string) => {
    if (!problems.has(message)) problems.set(message, { file: sweep.path, ...(line !== undefined && { line }), message });
  };
  /** A problem met in many tasks is reported once, with a count and the first task. */
  const perTask = new Map<string, { line: number; message: (tasks: string) => string; first: string; count: number; last: number }>();
  /** Which task is being rendered: a problem met twice in one task (`{i} ... {i}`) counts it once. */
  let taskNumber = 0;
  /** `line` may be worked out only once, for the first task (a search of the file's text). */
  const reportPerTask = (key: string, line: number | (() => number), task: string, message: (tasks: string) => string) => {
    const entry = perTask.get(key);
    if (!entry) perTask.set(key, { line: typeof line === 'number' ? line : line(), message, first: task || '(no params)', count: 1, last: taskNumber });
    else if (entry.last !== taskNumber) {
      entry.count++;
      entry.last = taskNumber;
    }
  };
  const warnings = new Set<string>();
  const tooLong: Problem[] = [];
  /** Choice params no selected command uses: key -> lines and commands. */
  const unusedParams = new Map<string, UnusedParam>();

  // Count before building anything: a typo can make a grid of billions.
  const seed = options.sample === undefined ? undefined : (options.seed ?? Math.floor(Math.random() * 2 ** 31));
  const plans = documents.map((document) => {
    const size = gridSize(document.params);
    for (const param of document.params) {
      if (param.values.length === 0) warnings.add(`${sweep.path}:${param.line}: "${param.key}" has no values, so document ${document.index + 1} adds no tasks`);
      for (const warning of listMistakes(param.key, param.values)) warnings.add(`${sweep.path}:${param.line}: ${warning}`);
    }
    const overrides = [...aliasOverrides(sweep, document.params), ...aliasClashes(sweep, document.params)];
    for (const warning of overrides) warnings.add(warning);
    // Its warning already says tasks are dropped (those differing only in overridden values).
    const dropsSaid = overrides.length > 0;
    return { document, size, count: options.sample === undefined ? size : Math.min(options.sample, size), dropsSaid };
  });
  const total = plans.reduce((sum, plan) => sum + plan.count, 0);
  const maxTasks = options.maxTasks ?? DEFAULT_MAX_TASKS;
  if (total > maxTasks) {
    const largest = plans.reduce((a, b) => (b.count > a.count ? b : a));
    throw new SweepFileError([
      {
        file: sweep.path,
        line: largest.document.line,
        message: `the sweep expands to ${total.toLocaleString('en-US')} tasks (${largest.count.toLocaleString('en-US')} from the document here), over the limit of ${maxTasks.toLocaleString('en-US')}; check the grid for a mistake, ${total > 10 * maxTasks ? `or run --sample N random combinations of each document` : `or pass --max-tasks ${total} to allow it`}`,
      },
    ]);
  }

  const checkedTemplates = new Set<string>();
  /** Params (specHash) -> the output and name of the first task with them, and its document. */
  const seen = new Map<string, { output: string; name: string; document: number; params: ChoiceDocument['params'] }>();
  const entries: SweepEntry[] = [];
  /** Per document, its combinations dropped for params an earlier task has; said once the tasks' commands are known. */
  const droppedByDocument: Array<{ line: number; dropped: Dropped[] }> = [];
  for (const { document, size, dropsSaid } of plans) {
    const selected = options.commands ?? (document.commands && document.commands.length > 0 ? document.commands : undefined);
    const commandTemplates = [...templates.values()].filter((t) => selected === undefined || selected.includes(t.name));
    const longestCommand = commandTemplates.reduce((longest, t) => (t.name.length > longest.length ? t.name : longest), '');
    for (const template of commandTemplates) {
      if (!checkedTemplates.has(template.name)) checkTemplate(sweep, template, report);
      checkedTemplates.add(template.name);
    }
    const indices = options.sample === undefined ? undefined : sampleIndices(size, options.sample, mixSeed(seed!, document.index));
    const count = indices === undefined ? size : indices.length;
    const documentLines = new Map<string, number>(document.params.map((p) => [p.key, p.line]));
    // The params the document's commands use are the same in every task of it.
    const used = new Set(commandTemplates.flatMap((template) => [...template.valueParams, ...template.flagParams]));
    let unusedNoted = false;
    const dropped: Dropped[] = [];
    for (let i = 0; i < count; i++) {
      const combination: Combination = combinationAt(document.params, indices === undefined ? i : indices[i]!);
      const name = taskName(combination, options.pathExists);
      const output = options.noParamDir ? options.output : joinOutput(options.output, name);
      const longestFile = options.noParamDir ? `log.${longestCommand}.${options.datetime}.${name}` : name;
      if (Buffer.byteLength(longestFile) > MAX_FILE_NAME_BYTES) {
        tooLong.push({ file: sweep.path, line: document.params[0]?.line ?? document.line, message: `the task name ${name.slice(0, 40)}... is ${Buffer.byteLength(longestFile)} bytes as a file name, over the ${MAX_FILE_NAME_BYTES} that file systems allow: shorten the values or keys (names keep the last 100 characters of text, but multi-byte characters count more)` });
      }
      const spec = new Map<string, PyValue>(combination);
      const aliasChoices = sweep.aliases.size === 0 ? [] : [...spec].filter(([key]) => sweep.aliases.has(key));
      // Lines of params that aliases and defaults set in this task; the rest are the document's.
      const setLines = new Map<string, number>();
      const lineOf = (param: string) => setLines.get(param) ?? documentLines.get(param);
      if (!applyAliases(sweep, spec, setLines, lineOf, report)) continue;
      for (const [key, { value, line }] of sweep.defaults) {
        if (!spec.has(key)) {
          spec.set(key, value);
          setLines.set(key, line);
        }
      }
      const hash = specHash(spec);
      const first = seen.get(hash);
      if (first === undefined) seen.set(hash, { output, name, document: document.index, params: document.params });
      else if (first.output !== output) {
        // Same params under another name: the runner drops it. Within a document whose alias
        // overrides its params, the override's warning already says tasks are dropped.
        if (!(dropsSaid && first.document === document.index)) dropped.push({ name, first, commands: commandTemplates.map((t) => t.name) });
        continue;
      }
      taskNumber++;
      spec.set('_name', name);
      spec.set('_time', options.datetime);
      spec.set('_output', output);
      spec.set('_datetime', options.datetime);
      const commands: RenderedCommand[] = [];
      for (const template of commandTemplates) {
        const { command, problems: renderProblems } = renderTemplate(template, spec);
        for (const problem of renderProblems) {
          if (sweep.aliases.has(problem.param)) continue; // reported by checkTemplate
          if (problem.kind === 'missing' && problem.param.startsWith('_')) {
            // "_" names are the runner's: setting one in the file is refused, so say which exist.
            const reserved = [...spec.keys()].filter((key) => key.startsWith('_'));
            reportPerTask(`reserved\0${template.name}\0${problem.param}`, template.line, name, () =>
              `template "${template.name}" uses ${problem.placeholder}, but "_" names are the runner's and there is no "${problem.param}"${didYouMean(problem.param, reserved)}: the runner fills ${reserved.map((key) => `{${key}}`).join(', ')}`,
            );
          } else if (problem.kind === 'missing') {
            // A case of an alias this task chose that sets other params than its sibling cases (a typo, or one left out).
            const caseWithout = aliasChoices
              .map(([key, value]) => ({ alias: sweep.aliases.get(key)!, chosen: sweep.aliases.get(key)!.cases.find((c) => pyEquals(c.value, value)) }))
              .find(({ alias, chosen }) => chosen && !chosen.params.some(([param]) => param === problem.param) && alias.cases.some((c) => c.params.some(([param]) => param === problem.param)));
            if (caseWithout) {
              const { alias, chosen } = caseWithout;
              reportPerTask(`case\0${alias.name}\0${problem.param}\0${pyStr(chosen!.value)}`, chosen!.line, name, (tasks) =>
                `template "${template.name}" uses ${problem.placeholder} but "${problem.param}" has no value ${tasks}: alias "${alias.name}" sets it in other cases, not in case "${pyStr(chosen!.value)}" (which sets ${chosen!.params.map(([param]) => param).join(', ')})${didYouMean(problem.param, chosen!.params.map(([param]) => param))}; set it in that case, or under "default"`,
              );
              continue;
            }
            const text = sweep.templates.find((t) => t.name === template.name)?.text ?? '';
            // `${HOME}`: the shell's braces read as a placeholder here (as in the runner).
            const shellVariable = problem.placeholder.startsWith('{') && text.includes(`$${problem.placeholder}`);
            // `sys.argv[1]`, `${a[i]}`: code's brackets read as a placeholder too, and the runner has no escape.
            const codeBrackets = problem.placeholder.startsWith('[') && indexedInCode(text, problem.placeholder);
            // `${VAR-default}`: without its braces it would mean another thing ($VAR, then "-default").
            const withDefault = shellVariable && /^[A-Za-z_]\w*-/.test(problem.param);
            const hint = withDefault
              ? `; $${problem.placeholder} is the shell's value-or-default, but {...} is always a placeholder here (as in the runner): move it into a script the template calls`
              : shellVariable
              ? `; for the shell's variable write $${problem.param} without braces: {...} is always a placeholder`
              : codeBrackets
                ? `; in the template's code, ${problem.placeholder} reads as a [param] placeholder (as in the runner, which has no escape): move that code into a script the template calls`
                : didYouMean(problem.param, [...spec.keys()]);
            reportPerTask(`missing\0${template.name}\0${problem.param}`, () => placeholderLine(sweep, template, problem.placeholder), name, (tasks) =>
              `template "${template.name}" uses ${problem.placeholder} but "${problem.param}" has no value ${tasks}: set it under "default" or in the choice document${hint}`,
            );
          } else {
            const what = problem.type === 'null' ? 'empty (null)' : `a ${problem.type}`;
            reportPerTask(`type\0${problem.param}\0${problem.type}`, lineOf(problem.param) ?? template.line, name, (tasks) =>
              `"${problem.param}" is ${what} ${tasks}, which ${problem.placeholder} cannot put on a command line: give it a number or text${problem.type === 'date' ? ' (quote dates)' : ''}`,
            );
          }
        }
        if (Buffer.byteLength(command) > MAX_ARGUMENT_BYTES && !tooLong.some((p) => p.message.includes(`template "${template.name}"`))) {
          // Point at the longest value: that is what to shorten.
          const longest = [...spec.entries()].reduce((a, b) => (String(b[1]).length > String(a[1]).length ? b : a));
          tooLong.push({
            file: sweep.path,
            line: lineOf(longest[0]) ?? template.line,
            message: `"${longest[0]}" is too long for a command line: template "${template.name}" renders to ${Buffer.byteLength(command)} bytes in task ${name.slice(0, 60)}..., and Linux takes at most ${MAX_ARGUMENT_BYTES} bytes per command line; pass large values through files`,
          });
        }
        commands.push({ name: template.name, script: command });
      }
      if (!unusedNoted) {
        unusedNoted = true;
        for (const param of document.params) {
          const alias = sweep.aliases.get(param.key);
          const isUsed = used.has(param.key) || (alias !== undefined && alias.targets.some((target) => used.has(target)));
          if (isUsed) continue;
          const entry = unusedParams.get(param.key) ?? { lines: new Set<number>(), commands: new Set<string>() };
          // A typo of a param the commands use (and this document does not set): `sed` for `seed`.
          // (Not the runner's `_` names, which a file cannot set.)
          entry.suggestion ??= closest(param.key, [...used].filter((name) => !name.startsWith('_') && !documentLines.has(name)));
          entry.broken ??= brokenPlaceholder(param.key, commandTemplates);
          entry.lines.add(param.line);
          for (const template of commandTemplates) entry.commands.add(template.name);
          unusedParams.set(param.key, entry);
        }
      }
      entries.push({ name, output, params: spec, aliasChoices, commands, document });
    }
    if (dropped.length > 0) droppedByDocument.push({ line: document.params[0]?.line ?? document.line, dropped });
  }
  for (const { line, message, first, count } of perTask.values()) {
    report(line, message(count === 1 ? `in task ${first}` : `in ${count.toLocaleString('en-US')} tasks (the first: ${first})`));
  }
  if (problems.size > 0) throw new SweepFileError([...problems.values()]);
  for (const warning of unusedParamWarnings(sweep.path, unusedParams)) warnings.add(warning);
  const { tasks, collisions, ignoredSettings } = mergeEntries(sweep, entries, options, templates);
  if (droppedByDocument.length > 0) {
    const taskAt = new Map(tasks.map((task) => [`${task.output}\0${task.name}`, task]));
    for (const { line, dropped } of droppedByDocument) warnings.add(droppedWarning(sweep.path, line, dropped, (first) => taskAt.get(`${first.output}\0${first.name}`)));
  }
  for (const warning of ignoredSettings) warnings.add(warning);
  const blockers = [...collisions, ...tooLong.slice(0, 20)];
  return { entries, tasks, blockers, warnings: [...warnings, ...blockers.map(formatProblem)], ...(seed !== undefined && { seed }) };
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** The numbers of a text that reads as a list of them: `0.1, 0.2` and `(0.1, 0.2)` with no brackets, `[0.1 0.2]` with no commas. */
function numbersInOneText(value: PyScalar): string[] | undefined {
  if (typeof value !== 'string') return undefined;
  const inner = value.trim().replace(/^\((.*)\)$/s, '$1');
  const parts = inner.split(inner.includes(',') ? ',' : /\s+/).map((part) => part.trim());
  return parts.length > 1 && parts.every((part) => NUMBER.test(part)) ? parts : undefined;
}

/**
 * What a list of values most likely got wrong, as the runner took it without a word: several
 * numbers written as one text (one task, not one per number), and values equal as Python
 * compares them (`1` and `1.0`, `yes` and `on`), which make one task, not one each.
 */
function listMistakes(key: string, values: PyScalar[]): string[] {
  const mistakes: string[] = [];
  for (const value of values) {
    const numbers = numbersInOneText(value);
    if (!numbers) continue;
    const list = `${key}: [${numbers.join(', ')}]`;
    mistakes.push(
      values.length === 1
        ? `"${key}: ${String(value)}" is one value, the text "${String(value)}" (as in the runner); for one task per number write ${list}`
        : `"${key}" has the value "${String(value)}", one text (as in the runner); for one task per number list them with commas between: ${numbers.join(', ')}`,
    );
  }
  const equal = new Map<string, PyScalar[]>();
  for (const value of values) {
    const hash = pyHashKey(value);
    const group = equal.get(hash);
    if (group) group.push(value);
    else equal.set(hash, [value]);
  }
  for (const group of equal.values()) {
    if (group.length < 2) continue;
    const texts = [...new Set(group.map((value) => pyStr(value)))];
    const booleans = booleanTrap(group);
    mistakes.push(
      texts.length === 1
        ? `"${key}" lists ${texts[0]} ${group.length} times${booleans}: it runs as one value, not ${group.length}`
        : `"${key}" lists ${texts.join(' and ')}, which are equal as Python compares them${booleans}: they run as one value, ${texts[0]}; drop the others`,
    );
  }
  return mistakes;
}

interface Dropped {
  name: string;
  /** The earlier task with the same params, and its document's params. */
  first: { output: string; name: string; params: ChoiceDocument['params'] };
  /** The commands the dropped combination's document selects. */
  commands: string[];
}

/**
 * Combinations whose params (after aliases and defaults, compared as Python compares them)
 * equal an earlier task's are left out, as the runner leaves them out; said, since the task
 * the researcher wrote then has no directory of its own.
 */
function droppedWarning(path: string, line: number, all: Dropped[], taskOf: (first: Dropped['first']) => TaskSpec | undefined): string {
  // Two values of one list that Python takes as equal drop the same pair once per other combination.
  const dropped = [...new Map(all.map((drop) => [`${drop.name}\0${drop.first.name}`, drop])).values()];
  const shown = dropped.slice(0, 3).map(({ name, first }) => `${name} (same as ${first.name})`);
  const more = dropped.length > shown.length ? `, and ${dropped.length - shown.length} more` : '';
  const what = dropped.length === 1 ? '1 combination of this document has the same params as an earlier task, so it runs' : `${dropped.length} combinations of this document have the same params as earlier tasks, so each runs`;
  // The earlier task may not run every command the dropped one asked for: those then run nowhere.
  const unrun = dropped.flatMap(({ name, first, commands }) => {
    const runs = taskOf(first)?.commands.map((command) => command.name) ?? [];
    const missing = commands.filter((command) => !runs.includes(command));
    return missing.length > 0 ? [{ name, first, runs, missing }] : [];
  });
  const lost = unrun[0];
  const notRun = lost
    ? `; ${lost.missing.join(' and ')} of ${lost.name} ${lost.missing.length === 1 ? 'is' : 'are'} not run, as ${lost.first.name} runs only ${lost.runs.join(' and ')}${unrun.length > 1 ? ` (and likewise for ${unrun.length - 1} more)` : ''}: to run ${lost.missing.length === 1 ? 'it' : 'them'} there, add a document with the keys of ${lost.first.name} (${lost.first.params.map((param) => param.key).join(', ') || 'none'}) and _cmd: [${lost.missing.join(', ')}]`
    : '';
  return `${path}:${line}: ${what} once, under the earlier name (as in the runner): ${shown.join(', ')}${more}${notRun}`;
}

/** A choice param no selected command uses: where it is set, the commands, and a close name they do use. */
interface UnusedParam {
  lines: Set<number>;
  commands: Set<string>;
  suggestion?: string | undefined;
  /** A placeholder of it that lacks its closing bracket (see brokenPlaceholder). */
  broken?: string | undefined;
}

/**
 * One warning per set of commands, not per param: `coord run -c test` on a sweep of six
 * training params is one line, not six.
 */
function unusedParamWarnings(path: string, unusedParams: Map<string, UnusedParam>): string[] {
  const byCommands = new Map<string, Array<{ key: string; lines: number[]; hint: string | undefined }>>();
  for (const [key, { lines, commands, suggestion, broken }] of unusedParams) {
    const group = [...commands].join(', ');
    // A placeholder left open is the likelier mistake than a typo of another name.
    byCommands.set(group, [...(byCommands.get(group) ?? []), { key, lines: [...lines], hint: broken ?? (suggestion === undefined ? undefined : meantText(suggestion)) }]);
  }
  return [...byCommands].map(([commands, params]) => {
    if (params.length === 1) {
      const [{ key, lines, hint }] = params as [{ key: string; lines: number[]; hint: string | undefined }];
      return `${path}:${lines.join(',')}: "${key}" is not used by the selected commands (${commands}); it only shapes the task names${hint === undefined ? '' : ` (${hint})`}`;
    }
    // The hint inside the line's brackets: `"sed" (line 7; did you mean "seed"?)`.
    const named = params.map(({ key, lines, hint }) => `"${key}" (line ${lines.join(',')}${hint === undefined ? '' : `; ${hint}`})`).join(', ');
    return `${path}: ${named} are not used by the selected commands (${commands}); they only shape the task names`;
  });
}

/**
 * Entries that share a task directory with equal params (a later document adding commands)
 * become one task. Different params under one name (6 significant digits, 100 characters)
 * stay separate tasks and are reported as collisions: local and distributed runs refuse them.
 */
function mergeEntries(
  sweep: SweepFile,
  entries: SweepEntry[],
  options: ExpandOptions,
  templates: Map<string, ParsedTemplate>,
): { tasks: TaskSpec[]; collisions: Problem[]; ignoredSettings: string[] } {
  const byKey = new Map<string, Array<{ task: TaskSpec; entry: SweepEntry }>>();
  const tasks: TaskSpec[] = [];
  const order = [...templates.keys()];
  const collisions: Problem[] = [];
  const clashingDocuments = new Set<string>();
  const ignoredSettings: string[] = [];
  for (const entry of entries) {
    const key = `${entry.output}\u0000${entry.name}`;
    const sameKey = byKey.get(key) ?? [];
    const existing = sameKey.find((candidate) => sameParams(candidate.entry.params, entry.params));
    if (existing) {
      // Only a document that adds commands runs them with settings of its own; a repeat of the
      // same combination is dropped, as the runner dropped it.
      const adds = entry.commands.some((command) => !existing.task.commands.some((c) => c.name === command.name));
      // A document that adds commands runs them in the same job: every setting must agree. One
      // dropped as a repeat matters only where it sets a setting itself (`_timeout: 2h`): a grid
      // after the special cases, as the runner's order has it, leaves theirs as they are.
      const among = adds ? undefined : (Object.keys(entry.document.settings) as Array<keyof TaskSettings>);
      const clash = settingClash(existing.task.settings, settingsFor(sweep, entry.document), among);
      // Once per pair of documents, not once per task they share.
      const pair = `${existing.entry.document.line}-${entry.document.line}`;
      if (clash && !clashingDocuments.has(pair)) {
        clashingDocuments.add(pair);
        if (adds) {
          collisions.push({
            file: sweep.path,
            line: entry.document.line,
            message: `this document adds commands to task "${entry.name}" of the document at line ${existing.entry.document.line} with another ${clash}: a task's commands run as one job, with one setting of each; give both documents the same, or give them different _title values and run each with -t`,
          });
        } else {
          // A document written to give some tasks a timeout or another pool gives them nothing.
          ignoredSettings.push(`${sweep.path}:${entry.document.line}: this document repeats task "${entry.name}" of the document at line ${existing.entry.document.line} with another ${clash}; a repeated task is dropped (as the runner drops it), so that setting does not apply: set it in the earlier document, or leave the task out of it`);
        }
      }
      for (const command of entry.commands) {
        if (!existing.task.commands.some((c) => c.name === command.name)) existing.task.commands.push(command);
      }
      existing.task.commands.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
      continue;
    }
    if (sameKey.length > 0) {
      // Name the first param whose values differ: the researcher sees which two values met.
      const other = sameKey[0]!.entry.params;
      const shown = (value: PyValue | undefined) => (value === undefined ? '(none)' : JSON.stringify(toJsonValue(value)));
      const differing = [...entry.params].find(([k, v]) => !META_KEYS.includes(k) && shown(v) !== shown(other.get(k)));
      const which = differing ? ` (${differing[0]}: ${shown(other.get(differing[0]))} and ${shown(differing[1])})` : '';
      // A value naming an existing path is named by its last part only (as the runner did).
      const isPath = (value: PyValue | undefined) => typeof value === 'string' && value !== '' && options.pathExists(value);
      const textAndNumber = differing && [differing[1], other.get(differing[0])].some((value) => typeof value === 'string') && [differing[1], other.get(differing[0])].some((value) => typeof value === 'number' || typeof value === 'bigint');
      const rule = differing && (isPath(differing[1]) || isPath(other.get(differing[0])))
        ? 'a value naming an existing path is named by its last part only (the part after the last "/", empty after a trailing "/"); make those last parts differ'
        : textAndNumber
          ? 'one value is a number and the other quoted text, named alike; write both the same way (quoted or not)'
          : 'names keep 6 significant digits of numbers and the last 100 characters of text, with "/" turned into "_"; make the values differ within that';
      collisions.push({
        file: sweep.path,
        line: entry.document.line,
        message: `two different param sets get the same task name "${entry.name}"${which} and would share ${entry.output}: ${rule}`,
      });
    }
    // _name, _output, _datetime and _time are in the task itself; param.json adds them back.
    const params: Record<string, unknown> = {};
    let paramTexts: Record<string, string> | undefined;
    const keep = (key: string, value: PyValue) => {
      params[key] = toJsonValue(value);
      const text = pythonJsonIfDiffers(value);
      if (text !== undefined) (paramTexts ??= {})[key] = text;
    };
    for (const [k, v] of entry.params) if (!META_KEYS.includes(k)) keep(k, v);
    for (const [k, v] of entry.aliasChoices) keep(k, v);
    const task: TaskSpec = {
      name: entry.name,
      outputRoot: options.output,
      output: entry.output,
      paramDir: !options.noParamDir,
      datetime: options.datetime,
      params,
      ...(paramTexts && { paramTexts }),
      commands: [...entry.commands],
      settings: settingsFor(sweep, entry.document),
    };
    sameKey.push({ task, entry });
    byKey.set(key, sameKey);
    tasks.push(task);
  }
  return { tasks, collisions, ignoredSettings };
}

const SETTING_KEYS: Record<keyof TaskSettings, string> = { gpus: '_gpus', pool: '_pool', priority: '_priority', timeoutSeconds: '_timeout', retries: '_retries' };

/** The first setting two documents of one task give differently (`_timeout (none and 2s)`); undefined when none. */
function settingClash(first: TaskSettings, second: TaskSettings, among: Array<keyof TaskSettings> = Object.keys(SETTING_KEYS) as Array<keyof TaskSettings>): string | undefined {
  const shown = (key: keyof TaskSettings, value: TaskSettings[keyof TaskSettings]) => (value === undefined ? 'none' : key === 'timeoutSeconds' ? formatDuration(Number(value)) : String(value));
  const key = among.find((k) => k in SETTING_KEYS && first[k] !== second[k]);
  return key && `${SETTING_KEYS[key]} (${shown(key, first[key])} and ${shown(key, second[key])})`;
}

/** Refuse before anything starts: two tasks in one directory would mix their files, a too long name cannot be created. */
export function assertRunnable(expansion: Expansion): void {
  if (expansion.blockers.length > 0) throw new SweepFileError(expansion.blockers.slice(0, 20));
}

function sameParams(a: Map<string, PyValue>, b: Map<string, PyValue>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) {
    if (!b.has(key) || !pyEquals(value, b.get(key)!)) return false;
  }
  return true;
}

