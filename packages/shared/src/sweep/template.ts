/**
 * Command templates: `{p}` inserts the value (shell-quoted), `[p]` inserts `--p value`, or
 * `--p` / nothing for a boolean true / false. Templates are split into parts once, so a
 * value that happens to contain `{x}` is never substituted again.
 */
import { pyStr, shlexQuote } from './python-format.js';
import { pyTypeName, type PyValue } from './py-value.js';

export type TemplatePart =
  | { kind: 'text'; text: string }
  | { kind: 'value'; param: string }
  | { kind: 'flag'; param: string };

export interface ParsedTemplate {
  name: string;
  line: number;
  parts: TemplatePart[];
  /** Params used as `{p}`, in order of first use. */
  valueParams: string[];
  /** Params used as `[p]`, in order of first use. */
  flagParams: string[];
}

// Python's \w in a str pattern: letters, numbers and "_"; the runner's placeholders take
// those and "-". A name with dots (`{trainer.lr}`, as Hydra's keys) is one only where the
// sweep has a param of that name (see parseTemplate).
const PLACEHOLDER = /\{([\p{L}\p{N}_.-]+)\}|\[([\p{L}\p{N}_.-]+)\]/gu;

/** The runner's clean-up: a line break and the blanks around it become one space. */
export function foldLineBreaks(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/**
 * `dottedParams`: the sweep's param names that have a dot. The runner left `{trainer.lr}` in
 * the command as text, so a sweep with a param `trainer.lr` ran every task with the same
 * command; here it is the param's value. Where no such param exists it stays text, as the
 * runner left it (`python -c "print('{x.y}')"`).
 */
export function parseTemplate(name: string, text: string, line: number, dottedParams: ReadonlySet<string> = new Set()): ParsedTemplate {
  const folded = foldLineBreaks(text);
  const parts: TemplatePart[] = [];
  const valueParams: string[] = [];
  const flagParams: string[] = [];
  let last = 0;
  for (const match of folded.matchAll(PLACEHOLDER)) {
    const param = (match[1] ?? match[2])!;
    if (param.includes('.') && !dottedParams.has(param)) continue;
    if (match.index > last) parts.push({ kind: 'text', text: folded.slice(last, match.index) });
    if (match[1] !== undefined) {
      parts.push({ kind: 'value', param: match[1] });
      if (!valueParams.includes(match[1])) valueParams.push(match[1]);
    } else {
      parts.push({ kind: 'flag', param: match[2]! });
      if (!flagParams.includes(match[2]!)) flagParams.push(match[2]!);
    }
    last = match.index + match[0].length;
  }
  if (last < folded.length) parts.push({ kind: 'text', text: folded.slice(last) });
  return { name, line, parts, valueParams, flagParams };
}

export type RenderProblem =
  | { kind: 'missing'; param: string; placeholder: string }
  | { kind: 'unrenderable'; param: string; placeholder: string; type: string };

/** `{p}`: the value itself, quoted as `shlex.quote` does; numbers and booleans as `str()`. */
function renderValue(value: PyValue): string | undefined {
  if (typeof value === 'string') return shlexQuote(value);
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') return pyStr(value);
  return undefined;
}

/** `[p]`: `--p value`, `--p` for true, nothing for false. */
function renderFlag(param: string, value: PyValue): string | undefined {
  if (value === true) return `--${param}`;
  if (value === false) return '';
  const rendered = renderValue(value);
  return rendered === undefined ? undefined : `--${param} ${rendered}`;
}

/** The command line for one task, trimmed; or the problems that prevent it. */
export function renderTemplate(
  template: ParsedTemplate,
  values: ReadonlyMap<string, PyValue>,
): { command: string; problems: RenderProblem[] } {
  let out = '';
  const problems: RenderProblem[] = [];
  for (const part of template.parts) {
    if (part.kind === 'text') {
      out += part.text;
      continue;
    }
    const placeholder = part.kind === 'value' ? `{${part.param}}` : `[${part.param}]`;
    if (!values.has(part.param)) {
      problems.push({ kind: 'missing', param: part.param, placeholder });
      continue;
    }
    const value = values.get(part.param)!;
    const rendered = part.kind === 'value' ? renderValue(value) : renderFlag(part.param, value);
    if (rendered === undefined) problems.push({ kind: 'unrenderable', param: part.param, placeholder, type: pyTypeName(value) });
    else out += rendered;
  }
  return { command: out.trim(), problems };
}
