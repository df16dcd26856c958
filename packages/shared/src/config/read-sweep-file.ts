/**
 * Read a sweep file and check its shape, reporting every problem at once with file:line.
 * The first document configures (templates, defaults, aliases, resources, settings); each
 * following document lists parameter choices.
 */
import { readFileSync } from 'node:fs';
import { SweepFileError, UsageError, type Problem } from '../errors.js';
import { fsReason } from '../fs-reason.js';
import { metricPatternProblem } from '../results/pattern-problem.js';
import { pyStr } from '../sweep/python-format.js';
import { isScalar, pyTypeName, type PyScalar } from '../sweep/py-value.js';
import { parseDuration } from './duration.js';
import { closest, didYouMean } from './suggest.js';
import {
  DEFAULT_METRICS,
  DEFAULT_SETTINGS,
  type Alias,
  type ChoiceDocument,
  type ChoiceParam,
  type CommandTemplate,
  type DefaultValue,
  type MetricsSettings,
  type SweepFile,
  type TaskSettings,
} from './sweep-file.js';
import { parseYaml, type YamlDocument, type YamlMap, type YamlNode, type YamlScalar } from './yaml-nodes.js';

const CONFIG_KEYS = ['template', 'default', 'alias', 'resource', 'gpus', 'pool', 'timeout', 'retries', 'priority', 'metrics'];
const CHOICE_SETTINGS: Record<string, keyof TaskSettings> = {
  _gpus: 'gpus',
  _pool: 'pool',
  _priority: 'priority',
  _timeout: 'timeoutSeconds',
  _retries: 'retries',
};
const RESERVED_CHOICE_KEYS = ['_title', '_cmd', ...Object.keys(CHOICE_SETTINGS)];
/** Command names become part of log file names. */
const COMMAND_NAME = /^[A-Za-z0-9_][\w.-]*$/;
/** Pool names become part of queue names. */
const POOL_NAME = /^[\w.-]+$/;
/** Sweep files larger than this are refused before parsing: nobody writes 20 MB of grid by hand. */
export const MAX_SWEEP_FILE_BYTES = 20 * 1024 * 1024;

class Checker {
  readonly problems: Problem[] = [];
  private readonly seen = new Set<string>();
  constructor(
    readonly file: string,
    /** The file's lines, for checks of what YAML leaves out of its values. */
    readonly lines: string[] = [],
  ) {}
  /** Records a problem once (an alias repeats a node, so one mistake can be met many times). */
  report(line: number | undefined, message: string): void {
    const key = `${line}\0${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.problems.push({ file: this.file, ...(line !== undefined && line > 0 && { line }), message });
  }
}

function keyText(node: YamlNode): string | undefined {
  return node.kind === 'scalar' && typeof node.value === 'string' ? node.value : undefined;
}

/** A value as messages show it: cut short, so a 10 MB value does not flood the terminal. */
function shown(value: PyScalar): string {
  const text = pyStr(value).replace(/\s+/g, ' ');
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function describe(node: YamlNode): string {
  if (node.kind === 'seq') return 'a list';
  if (node.kind === 'map') return 'a mapping';
  return `${articled(pyTypeName(node.value))} (${shown(node.value)})`;
}

function articled(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** Why a key that YAML did not read as text is no name, and how to make it one. */
function notAName(key: YamlNode): string {
  if (key.kind !== 'scalar') return `a key that is ${describe(key)} cannot be a name`;
  return `this key is read as ${describe(key)}, not as a name: quote it (YAML reads unquoted yes, no, on, off as booleans and digits as numbers)`;
}

/** Checks that a param name can be used in a template and in a path. */
function checkParamName(check: Checker, key: YamlNode, where: string): string | undefined {
  const name = keyText(key);
  if (name === undefined) {
    check.report(key.line, `${where}: ${notAName(key)}`);
    return undefined;
  }
  if (name === '' || /[/\\\0\n\r\t ]/.test(name)) {
    check.report(key.line, `${where}: "${name}" is not a usable param name: use letters, digits, "_" and "-"`);
    return undefined;
  }
  return name;
}

function readTemplates(check: Checker, node: YamlNode | undefined, configLine: number, explained: boolean): CommandTemplate[] {
  if (node === undefined) {
    // Already explained when the document is not a mapping or "template" is misspelt.
    if (explained) return [];
    check.report(configLine, 'the first document has no "template": add a mapping of command names to command lines, e.g. "template: {train: python train.py --lr {lr}}"');
    return [];
  }
  if (node.kind !== 'map' || node.pairs.length === 0) {
    check.report(node.line, `"template" must be a non-empty mapping of command names to command lines, not ${node.kind === 'map' ? 'an empty mapping' : describe(node)}`);
    return [];
  }
  const templates: CommandTemplate[] = [];
  for (const { key, value } of node.pairs) {
    const name = keyText(key);
    if (name === undefined || !COMMAND_NAME.test(name)) {
      check.report(key.line, name === undefined ? `template name: ${notAName(key)}` : `template name "${name}" must be a word of letters, digits, "_", "-" or "."`);
      continue;
    }
    if (value.kind !== 'scalar' || typeof value.value !== 'string' || value.value.trim() === '') {
      // `test: true` (a placeholder command) reads as a boolean, `run: 1` as a number: quoted, they are text.
      const quote = value.kind === 'scalar' && value.value !== null && value.value !== '' ? `; quote it to keep it text, e.g. ${name}: "${typeof value.value === 'boolean' ? String(value.value).toLowerCase() : pyStr(value.value)}"` : '';
      check.report(value.line, `template "${name}" must be a command line (text), not ${value.kind === 'scalar' && value.value === '' ? 'empty' : describe(value)}${quote}`);
      continue;
    }
    const dropped = droppedCommandStart(check.lines[value.line - 1] ?? '', name);
    if (dropped) {
      check.report(value.line, `template "${name}" starts with ${dropped.what}, so the command would run without it: put the whole command in quotes, e.g. ${name}: '${dropped.written.replace(/'/g, "''")}'`);
      continue;
    }
    templates.push({ name, text: value.value, line: value.line });
  }
  return templates;
}

/**
 * Shell that YAML takes as its own syntax and leaves out of the value: `! grep -q ERROR log`
 * (a tag: the test inverted) and `&& make` (an anchor; PyYAML refuses it, js-yaml takes it).
 */
function droppedCommandStart(line: string, name: string): { what: string; written: string } | undefined {
  const written = line.replace(/^\s*/, '').startsWith(`${name}:`) ? line.replace(/^\s*[^:]+:\s*/, '') : '';
  if (/^!\s/.test(written)) return { what: '"! ", which YAML reads as a tag and drops', written };
  if (/^&&/.test(written)) return { what: '"&&", which YAML reads as an anchor and drops', written };
  return undefined;
}

function readDefaults(check: Checker, node: YamlNode | undefined): Map<string, DefaultValue> {
  const defaults = new Map<string, DefaultValue>();
  if (node === undefined || (node.kind === 'scalar' && node.value === null)) return defaults;
  if (node.kind !== 'map') {
    check.report(node.line, `"default" must be a mapping of param names to values, not ${describe(node)}`);
    return defaults;
  }
  for (const { key, value } of node.pairs) {
    const name = checkParamName(check, key, 'default');
    if (name === undefined) continue;
    if (name.startsWith('_')) {
      check.report(key.line, `default "${name}": names starting with "_" are reserved for the runner`);
      continue;
    }
    if (value.kind !== 'scalar') {
      check.report(value.line, `default "${name}" must be a single value, not ${describe(value)}`);
      continue;
    }
    if (hasNul(value.value)) {
      check.report(value.line, `default "${name}" contains a NUL byte (\\0), which no command line can hold`);
      continue;
    }
    defaults.set(name, { value: value.value, line: value.line });
  }
  return defaults;
}

/** Whether a template's text names `param` as `{param}` or `[param]`. */
function templateUses(node: YamlNode | undefined, param: string): boolean {
  if (node?.kind !== 'map') return false;
  return node.pairs.some(({ value }) => value.kind === 'scalar' && typeof value.value === 'string' && (value.value.includes(`{${param}}`) || value.value.includes(`[${param}]`)));
}

function readAliases(check: Checker, node: YamlNode | undefined): Map<string, Alias> {
  const aliases = new Map<string, Alias>();
  if (node === undefined || (node.kind === 'scalar' && node.value === null)) return aliases;
  if (node.kind !== 'map') {
    check.report(node.line, `"alias" must be a mapping like "size: {small: {layers: 6}, big: {layers: 12}}", not ${describe(node)}`);
    return aliases;
  }
  for (const { key, value } of node.pairs) {
    const name = checkParamName(check, key, 'alias');
    if (name === undefined) continue;
    if (value.kind !== 'map' || value.pairs.length === 0) {
      check.report(value.line, `alias "${name}" must be a non-empty mapping of cases to param groups, e.g. "small: {layers: 6}"`);
      continue;
    }
    const alias: Alias = { name, cases: [], targets: [], line: key.line };
    for (const { key: caseKey, value: group } of value.pairs) {
      const caseValue = (caseKey as YamlScalar).value;
      if (group.kind !== 'map' || group.pairs.length === 0) {
        check.report(group.line, `alias "${name}", case "${pyStr(caseValue)}" must be a non-empty mapping of params to values`);
        continue;
      }
      const params: Array<readonly [string, PyScalar]> = [];
      for (const { key: paramKey, value: paramValue } of group.pairs) {
        const param = checkParamName(check, paramKey, `alias "${name}"`);
        if (param === undefined) continue;
        if (paramValue.kind !== 'scalar' || hasNul(paramValue.value)) {
          check.report(paramValue.line, `alias "${name}", case "${pyStr(caseValue)}": "${param}" must be a single value without NUL bytes, not ${describe(paramValue)}`);
          continue;
        }
        params.push([param, paramValue.value]);
      }
      // Cases may set different params (`big: {layers: 12, lr: 0.05}`): a param a case leaves
      // out comes from the choice document or the defaults, as in the runner's dict update.
      for (const [param] of params) if (!alias.targets.includes(param)) alias.targets.push(param);
      alias.cases.push({ value: caseValue, params, line: caseKey.line });
    }
    aliases.set(name, alias);
  }
  return aliases;
}

function readResources(check: Checker, node: YamlNode | undefined): { slots: string[]; lines: number[]; notAList: boolean } | undefined {
  if (node === undefined || (node.kind === 'scalar' && node.value === null)) return undefined;
  const items = node.kind === 'seq' ? node.items : [node];
  if (node.kind === 'map' || items.length === 0) {
    check.report(node.line, `"resource" must be a list of GPU slots such as [0, 1] or ["0,1", "2,3"], not ${node.kind === 'map' ? 'a mapping' : 'an empty list'}`);
    return undefined;
  }
  const slots: string[] = [];
  const lines: number[] = [];
  for (const item of items) {
    if (item.kind !== 'scalar' || item.value === null || typeof item.value === 'boolean') {
      check.report(item.line, `each "resource" entry must be a GPU index or a list of indices like "0,1", not ${describe(item)}`);
      continue;
    }
    // What a slot holds is checked by coord run, the one command that uses the list.
    slots.push(pyStr(item.value));
    lines.push(item.line);
  }
  return { slots, lines, notAList: node.kind !== 'seq' };
}

const MAX_SETTING = 1_000_000;

function readInteger(check: Checker, node: YamlNode, what: string, min: number): number | undefined {
  if (node.kind === 'scalar' && typeof node.value === 'bigint' && node.value >= BigInt(min) && node.value <= BigInt(MAX_SETTING)) {
    return Number(node.value);
  }
  // A whole number out of range is named by its value alone ("not -1", not "not an int (-1)").
  const given = node.kind === 'scalar' && typeof node.value === 'bigint' ? String(node.value) : describe(node);
  check.report(node.line, `${what} must be a whole number from ${min} to ${MAX_SETTING}, not ${given}`);
  return undefined;
}

function readSetting(check: Checker, setting: keyof TaskSettings, node: YamlNode, what: string): TaskSettings[keyof TaskSettings] | undefined {
  switch (setting) {
    case 'gpus':
      return readInteger(check, node, what, 0);
    case 'retries':
      return readInteger(check, node, what, 0);
    case 'priority': {
      if (node.kind === 'scalar' && typeof node.value === 'bigint' && node.value >= -1_000_000n && node.value <= 1_000_000n) return Number(node.value);
      check.report(node.line, `${what} must be a whole number from -${MAX_SETTING} to ${MAX_SETTING} (higher runs first), not ${describe(node)}`);
      return undefined;
    }
    case 'pool': {
      if (node.kind === 'scalar' && typeof node.value === 'string' && POOL_NAME.test(node.value)) return node.value;
      check.report(node.line, `${what} must be a pool name of letters, digits, "_", "-" or ".", not ${describe(node)}`);
      return undefined;
    }
    case 'timeoutSeconds': {
      const seconds =
        node.kind === 'scalar' && (typeof node.value === 'string' || typeof node.value === 'bigint' || typeof node.value === 'number')
          ? parseDuration(node.value)
          : undefined;
      if (seconds !== undefined) return seconds;
      check.report(node.line, `${what} must be a duration longer than zero, such as 90s, 45m, 2h or 1h30m, not ${describe(node)}`);
      return undefined;
    }
  }
}

function readMetrics(check: Checker, node: YamlNode | undefined): MetricsSettings {
  const metrics = { ...DEFAULT_METRICS };
  if (node === undefined) return metrics;
  if (node.kind !== 'map') {
    check.report(node.line, `"metrics" must be a mapping with "pattern" and/or "file", not ${describe(node)}`);
    return metrics;
  }
  for (const { key, value } of node.pairs) {
    const name = keyText(key);
    if (name !== 'pattern' && name !== 'file') {
      check.report(key.line, `unknown key "${String(name ?? describe(key))}" in "metrics"${didYouMean(name ?? '', ['pattern', 'file'])}; it takes "pattern" (a regular expression with groups "name" and "value") and "file"`);
      continue;
    }
    if (value.kind !== 'scalar' || typeof value.value !== 'string' || value.value === '') {
      check.report(value.line, `metrics "${name}" must be text, not ${describe(value)}`);
      continue;
    }
    if (name === 'pattern') {
      const problem = metricPatternProblem(value.value);
      if (problem) check.report(value.line, `metrics pattern ${problem}`);
      else metrics.pattern = value.value;
    } else if (value.value.includes('/') || value.value.startsWith('.')) {
      check.report(value.line, 'metrics file must be a plain file name inside the task directory');
    } else {
      metrics.file = value.value;
    }
  }
  return metrics;
}

function readChoice(check: Checker, node: YamlNode | null, index: number, docLine: number): ChoiceDocument | undefined {
  const where = `document ${index + 1}`;
  if (node === null || (node.kind === 'scalar' && node.value === null)) {
    check.report(docLine, `${where} is empty: a choice document lists params and their values, e.g. "lr: [0.1, 0.01]"; remove the extra "---"`);
    return undefined;
  }
  if (node.kind !== 'map') {
    check.report(node.line, `${where} must be a mapping of params to values, like "lr: [0.1, 0.01]", not ${describe(node)}`);
    return undefined;
  }
  const choice: ChoiceDocument = { index, line: node.line, params: [], settings: {} };
  for (const { key, value } of node.pairs) {
    const name = checkParamName(check, key, where);
    if (name === undefined) continue;
    if (name === '_title') {
      if (value.kind !== 'scalar' || value.value === null) check.report(value.line, `_title must be a single word, not ${describe(value)}`);
      else choice.title = pyStr(value.value);
    } else if (name === '_cmd') {
      const items = value.kind === 'seq' ? value.items : [value];
      const commands: string[] = [];
      for (const item of items) {
        if (item.kind === 'scalar' && typeof item.value === 'string') commands.push(item.value);
        else check.report(item.line, `_cmd must name commands of "template", not ${describe(item)}`);
      }
      choice.commands = commands;
      choice.commandsLine = value.line;
    } else if (Object.hasOwn(CHOICE_SETTINGS, name)) {
      const setting = CHOICE_SETTINGS[name]!;
      const read = readSetting(check, setting, value, name);
      if (read !== undefined) (choice.settings as Record<string, unknown>)[setting] = read;
    } else if (name.startsWith('_')) {
      check.report(key.line, `unknown reserved key "${name}"${didYouMean(name, RESERVED_CHOICE_KEYS)}: keys starting with "_" are reserved (${RESERVED_CHOICE_KEYS.join(', ')})`);
    } else {
      const param = readChoiceParam(check, name, value, key.line);
      if (param) choice.params.push(param);
    }
  }
  return choice;
}

/** A NUL byte can be neither part of a command-line argument nor of a file name. */
function hasNul(value: PyScalar): boolean {
  return typeof value === 'string' && value.includes('\0');
}

function readChoiceParam(check: Checker, key: string, value: YamlNode, line: number): ChoiceParam | undefined {
  const items = value.kind === 'seq' ? value.items : [value];
  const values: PyScalar[] = [];
  for (const item of items) {
    if (item.kind === 'scalar' && hasNul(item.value)) check.report(item.line, `"${key}": a value contains a NUL byte (\\0), which no command line or file name can hold`);
    else if (item.kind === 'scalar' && isScalar(item.value)) values.push(item.value);
    else check.report(item.line, `"${key}": each choice must be a single value, not ${describe(item)}`);
  }
  return { key, values, line };
}

/**
 * A configuration written after the choices (the documents in the wrong order): one mistake,
 * said once, where it would read as several (the choices as unknown keys of the first
 * document, no "template" there, and a "template" that is no choice).
 */
function misplacedConfiguration(documents: YamlDocument[]): { line: number; message: string } | undefined {
  const [first, ...rest] = documents;
  const templateIn = (doc: YamlDocument | undefined) => (doc?.contents?.kind === 'map' ? doc.contents.pairs.find((pair) => keyText(pair.key) === 'template') : undefined);
  if (templateIn(first)) return undefined;
  for (const [i, doc] of rest.entries()) {
    const template = templateIn(doc);
    if (template) {
      const message = `"template" is in document ${i + 2}, but the configuration (template, default, alias, resource...) must be the first document, before the parameter choices: move this document to the top of the file, with a line "---" after it`;
      return { line: template.key.line, message };
    }
  }
  return undefined;
}

/** Check a sweep file's text. Throws SweepFileError listing every problem. */
export function parseSweepText(text: string, path: string): SweepFile {
  const check = new Checker(path, text.split('\n'));
  const parsed = parseYaml(text, path);
  check.problems.push(...parsed.problems);
  if (parsed.problems.length > 0) throw new SweepFileError(check.problems);
  const [configDoc, ...choiceDocs] = parsed.documents;
  const isEmpty = (node: YamlNode | null) => node === null || (node.kind === 'scalar' && node.value === null);
  if (configDoc === undefined || parsed.documents.every((doc) => isEmpty(doc.contents))) {
    throw new SweepFileError([{ file: path, message: 'the file is empty: the first document needs a "template" mapping, then one document per group of param choices' }]);
  }
  const misplaced = misplacedConfiguration(parsed.documents);
  if (misplaced) throw new SweepFileError([{ file: path, ...misplaced }]);
  const config = configDoc.contents;
  let configMap: YamlMap = { kind: 'map', line: 1, pairs: [] };
  if (config === null || config.kind !== 'map') {
    check.report(config?.line ?? configDoc.line, `the first document must be a mapping with "template" (and optionally default, alias, resource), not ${config === null ? 'empty' : describe(config)}`);
  } else {
    configMap = config;
  }
  const entries = new Map<string, YamlNode>();
  let templateExplained = config === null || config.kind !== 'map';
  /** A choice written in the first document, said with where it goes: "no parameter choices" would repeat it. */
  let misplacedChoice = false;
  for (const { key, value } of configMap.pairs) {
    const name = keyText(key);
    if (name === undefined || !CONFIG_KEYS.includes(name)) {
      if (name !== undefined && closest(name, CONFIG_KEYS) === 'template') templateExplained = true;
      // An unknown key that a template uses (`lr` in `{lr}`): a choice written before its `---`.
      const choice = name !== undefined && !didYouMean(name, CONFIG_KEYS) && templateUses(configMap.pairs.find((pair) => keyText(pair.key) === 'template')?.value, name);
      misplacedChoice ||= choice;
      const hint = choice ? `; parameter choices go in the documents after the first: put a line "---" before "${name}:"` : `${didYouMean(name ?? '', CONFIG_KEYS)}; known keys: ${CONFIG_KEYS.join(', ')}`;
      check.report(key.line, `unknown key "${name ?? pyStr((key as YamlScalar).value)}" in the first document${hint}`);
      continue;
    }
    entries.set(name, value);
  }
  const templates = readTemplates(check, entries.get('template'), configMap.line, templateExplained);
  const defaults = readDefaults(check, entries.get('default'));
  const aliases = readAliases(check, entries.get('alias'));
  const resources = readResources(check, entries.get('resource'));
  const metrics = readMetrics(check, entries.get('metrics'));
  const settings: TaskSettings = { ...DEFAULT_SETTINGS };
  for (const [key, setting] of [['gpus', 'gpus'], ['pool', 'pool'], ['timeout', 'timeoutSeconds'], ['retries', 'retries'], ['priority', 'priority']] as const) {
    const node = entries.get(key);
    if (node === undefined) continue;
    const value = readSetting(check, setting, node, `"${key}"`);
    if (value !== undefined) (settings as unknown as Record<string, unknown>)[setting] = value;
  }
  for (const alias of aliases.keys()) {
    if (defaults.has(alias)) check.report(defaults.get(alias)!.line, `"${alias}" is both an alias and a default; give the default to the params the alias sets instead`);
  }
  if (choiceDocs.length === 0 && !misplacedChoice) {
    check.report(undefined, 'no parameter choices: add a document after "---" listing params and their values, e.g. "lr: [0.1, 0.01]"');
  }
  const choices = choiceDocs
    .map((doc, i) => readChoice(check, doc.contents, i + 1, doc.line))
    .filter((choice): choice is ChoiceDocument => choice !== undefined);
  const commandNames = templates.map((t) => t.name);
  for (const choice of choices) {
    for (const command of choice.commands ?? []) {
      if (!commandNames.includes(command)) {
        check.report(choice.commandsLine, `_cmd names "${command}", which is not in "template"${didYouMean(command, commandNames)}; commands: ${commandNames.join(', ')}`);
      }
    }
  }
  if (check.problems.length > 0) throw new SweepFileError(check.problems);
  return { path, text, templates, defaults, aliases, ...(resources !== undefined && { resources: resources.slots, resourceLines: resources.lines, ...(resources.notAList && { resourceNotAList: true }) }), settings, metrics, choices };
}

/** Read and check a sweep file from disk. */
export function readSweepFile(path: string): SweepFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${path}: no such file; pass the sweep file as the first argument or with -y (default: params.yaml)`);
    if (code === 'EISDIR') throw new UsageError(`${path} is a directory; pass a sweep file (.yaml)`);
    throw new UsageError(`${path}: cannot read it: ${fsReason(error)}`);
  }
  if (bytes.length > MAX_SWEEP_FILE_BYTES) {
    throw new SweepFileError([{ file: path, message: `the file is ${(bytes.length / 1048576).toFixed(1)} MB; sweep files over ${MAX_SWEEP_FILE_BYTES / 1048576} MB are refused` }]);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const line = lineOfFirstInvalidByte(bytes);
    throw new SweepFileError([{ file: path, line, message: 'the file is not UTF-8 text (is it a binary file?)' }]);
  }
  if (text.includes('\0')) {
    const line = text.slice(0, text.indexOf('\0')).split('\n').length;
    throw new SweepFileError([{ file: path, line, message: 'the file contains a NUL byte; it is not a text file' }]);
  }
  return parseSweepText(text.replace(/^\uFEFF/, ''), path);
}

function lineOfFirstInvalidByte(bytes: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue;
    try {
      decoder.decode(bytes.subarray(lineStart, i));
    } catch {
      return line;
    }
    line++;
    lineStart = i + 1;
  }
  return line;
}
