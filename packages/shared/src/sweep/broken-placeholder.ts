import type { ParsedTemplate } from './template.js';

// The characters of a placeholder's name (as PLACEHOLDER in template.ts takes them).
const NAME_CHAR = /[\p{L}\p{N}_.-]/u;

/**
 * Where a template writes `{p` or `[p` without its closing bracket (`--lr {lr --seed {seed}`),
 * which the runner leaves in the command as text: said of a param no command uses, whose
 * warning would otherwise only say that it shapes the task names. Undefined when none does.
 */
export function brokenPlaceholder(param: string, templates: ParsedTemplate[]): string | undefined {
  for (const template of templates) {
    for (const part of template.parts) {
      if (part.kind !== 'text') continue;
      for (const [open, close] of [['{', '}'], ['[', ']']] as const) {
        const opened = `${open}${param}`;
        for (let at = part.text.indexOf(opened); at !== -1; at = part.text.indexOf(opened, at + 1)) {
          const next = part.text[at + opened.length];
          // `{lr}` would be a placeholder, `{lrate` another name.
          if (next === close || (next !== undefined && NAME_CHAR.test(next))) continue;
          return `template "${template.name}" has "${opened}" with no "${close}" after the name: write ${opened}${close}`;
        }
      }
    }
  }
  return undefined;
}
