/**
 * Plainer words for common YAML mistakes. js-yaml reports where it noticed a problem, which
 * for an unclosed bracket or quote can be lines later ("deficient indentation"); a quick scan
 * of the text finds the opener and says what to fix.
 */

export interface Diagnosis {
  line: number;
  message: string;
}

const CLOSERS: Record<string, string> = { '[': ']', '{': '}' };

/** Where a quoted value whose text starts at `from` closes on this line (its closing quote's index), or -1. */
function closingQuote(text: string, from: number, quote: string): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\' && quote === '"') i++;
    else if (text[i] === quote) {
      if (quote === "'" && text[i + 1] === "'") i++; // '' inside single quotes
      else return i;
    }
  }
  return -1;
}

/** The first unclosed quote or bracket, or a closer without opener, in flow context. */
function scanBrackets(lines: string[]): Diagnosis | undefined {
  const stack: Array<{ char: string; line: number }> = [];
  for (const [index, text] of lines.entries()) {
    const line = index + 1;
    let quote: { char: string; line: number } | undefined;
    for (let i = 0; i < text.length; i++) {
      const char = text[i]!;
      if (char === '#' && (i === 0 || /\s/.test(text[i - 1]!))) break;
      const starts = i === 0 || /[\s[{,:]/.test(text[i - 1]!);
      if ((char === '"' || char === "'") && starts) {
        const end = closingQuote(text, i + 1, char);
        if (end < 0) {
          quote = { char, line };
          break;
        }
        i = end;
      } else if (char === '[' || char === '{') {
        stack.push({ char, line });
      } else if (char === ']' || char === '}') {
        const open = stack.pop();
        if (!open || CLOSERS[open.char] !== char) return { line, message: `"${char}" has no matching "${char === ']' ? '[' : '{'}" before it: remove it or add the opener` };
      }
    }
    if (quote) {
      // A quoted scalar may span lines in YAML, but in a sweep file it is nearly always a missing quote.
      const closes = lines.slice(index + 1).some((rest) => rest.includes(quote!.char));
      if (!closes) return { line: quote.line, message: `the ${quote.char === '"' ? 'double' : 'single'} quote opened here is never closed` };
    }
    if (stack.length > 0 && index + 1 < lines.length && /^\S/.test(lines[index + 1]!) && !/^[\]}]/.test(lines[index + 1]!.trim())) {
      const open = stack[stack.length - 1]!;
      return { line: open.line, message: `the "${open.char}" opened here is never closed: add "${CLOSERS[open.char]}"` };
    }
  }
  const open = stack[stack.length - 1];
  return open ? { line: open.line, message: `the "${open.char}" opened here is never closed: add "${CLOSERS[open.char]}"` } : undefined;
}

/**
 * `train: {_output}/run.sh` or `train: [fast] python x.py`: a value starting with a bracket is
 * a YAML flow collection, which must end where its bracket closes. The line's text after the
 * closing bracket shows it was meant as a command (a `{param}` or `[param]` placeholder).
 */
function bracketStartedValue(content: string): { key: string; opener: string } | undefined {
  const match = /^\s*([^#\s][^:#]*):\s+([[{])/.exec(content);
  if (!match) return undefined;
  let depth = 0;
  for (let i = match[0].length - 1; i < content.length; i++) {
    const char = content[i]!;
    if (char === '[' || char === '{') depth++;
    else if ((char === ']' || char === '}') && --depth === 0) {
      const rest = content.slice(i + 1).trim();
      return rest && !rest.startsWith('#') ? { key: match[1]!.trim(), opener: match[2]! } : undefined;
    }
  }
  return undefined;
}

/**
 * `train: {python x.py --lr {lr}}` or `train: [python x.py, --lr {lr}]`: a value in brackets
 * that YAML cannot read, with a `{param}` placeholder inside it, which YAML takes for a mapping
 * in the middle of the collection ("missed comma between flow collection entries").
 */
function placeholderInFlowValue(content: string): { key: string; opener: string; placeholder: string; command: string } | undefined {
  // An indented key, a command under "template:": a choice document's list is meant as a list.
  const match = /^\s+([^#\s][^:#]*):\s+([[{])/.exec(content);
  const placeholder = match && /\{[A-Za-z_][\w.-]*\}/.exec(content.slice(match[0].length));
  if (!match || !placeholder) return undefined;
  const opener = match[2]!;
  // The command meant: the text inside the brackets (a list's items joined by spaces), as a
  // shell runs it. Quoted, the brackets would be part of the command (`{python: command not found`).
  let inner = content.slice(match[0].length).replace(/\s#.*$/, '').trim();
  if (inner.endsWith(CLOSERS[opener]!)) inner = inner.slice(0, -1).trim();
  const command = opener === '[' ? inner.split(/\s*,\s*/).join(' ') : inner;
  return { key: match[1]!.trim(), opener, placeholder: placeholder[0], command };
}

/** Whether a quoted value (its text after the opening quote) closes before the line has more to say. */
function closedBeforeEnd(rest: string, quote: string): boolean {
  const end = closingQuote(rest, 0, quote);
  const after = rest.slice(end + 1).trim();
  return end >= 0 && after !== '' && !after.startsWith('#');
}

/** A better message for a js-yaml error at `line` (1-based), or undefined to keep js-yaml's. */
export function diagnoseYaml(text: string, reason: string, line: number | undefined): Diagnosis | undefined {
  const lines = text.split('\n');
  const brackets = scanBrackets(lines);
  if (brackets && (line === undefined || brackets.line <= line)) return brackets;
  for (const [index, content] of lines.entries()) {
    if (line !== undefined && index + 1 > line) break;
    const value = /^\s*[^#\s][^:#]*:\s+([@`])/.exec(content);
    if (value) return { line: index + 1, message: `a value cannot start with "${value[1]}" in YAML: put it in quotes` };
    const flow = bracketStartedValue(content);
    if (flow) {
      const kind = flow.opener === '{' ? 'a mapping ({a: 1})' : 'a list ([1, 2])';
      return { line: index + 1, message: `the value of "${flow.key}" starts with "${flow.opener}", which YAML reads as ${kind} ending at its closing bracket: put the whole value in quotes, or write "${flow.key}: >" and the value on the next line, indented` };
    }
    const nested = line === index + 1 && /flow collection/.test(reason) ? placeholderInFlowValue(content) : undefined;
    if (nested) {
      const kind = nested.opener === '{' ? 'a mapping ({a: 1})' : 'a list ([1, 2])';
      return { line: index + 1, message: `the value of "${nested.key}" starts with "${nested.opener}", which YAML reads as ${kind}, and the ${nested.placeholder} inside it as a mapping too: a command is a line of shell, without brackets around it (quoted, they would run as part of it): write ${nested.key}: ${nested.command}` };
    }
    // `--` or `----` for the `---` between documents.
    if (/^(--|-{4,})\s*$/.test(content)) return { line: index + 1, message: `"${content.trim()}" is not a document separator: write "---"` };
  }
  if (line !== undefined && /end of the stream or a document separator is expected|can not read a block mapping entry/.test(reason)) {
    // The line js-yaml stopped at, or the content line before it, without a colon.
    const candidates = lines.slice(0, Math.min(line, lines.length)).map((content, i) => ({ content, line: i + 1 })).reverse().filter((l) => l.content.trim() && !l.content.trim().startsWith('#') && l.content.trim() !== '---');
    const missing = candidates.slice(0, 2).find((l) => !l.content.includes(':') && !l.content.trim().startsWith('-'));
    if (missing) return { line: missing.line, message: `expected "key: value" here (is the colon missing?)` };
  }
  if (line !== undefined && /bad indentation of a mapping entry|end of the stream or a document separator is expected/.test(reason)) {
    // `run: "python" train.py`, `note: 'it's'`: a value that starts with a quote ends at its closing quote.
    const quoted = /^\s*([^#\s'"][^:#]*):\s+(["'])/.exec(lines[line - 1] ?? '');
    if (quoted && closedBeforeEnd(lines[line - 1]!.slice(quoted[0].length), quoted[2]!)) {
      const key = quoted[1]!.trim();
      return { line, message: `the value of "${key}" starts with a quote, so YAML reads it only up to the quote that closes it, and the text after is a mistake: quote the whole value with the other kind of quote, or write "${key}: >" and the value on the next line, indented` };
    }
  }
  if (line !== undefined && /bad indentation of a mapping entry/.test(reason)) {
    // `train: echo "a: b"`: a plain value ends at ": ", so the rest reads as a second key.
    const key = /^\s*([^#\s][^:#]*):\s+[^'"|>].*:\s/.exec(lines[line - 1] ?? '');
    if (key) return { line, message: `the value of "${key[1]!.trim()}" holds ": ", which ends a plain YAML value: put the whole value in quotes, or write "${key[1]!.trim()}: >" and the command on the next line, indented` };
  }
  if (line !== undefined && line > lines.length) return { line: lines.length, message: reason };
  return undefined;
}
