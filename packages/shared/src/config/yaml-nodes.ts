/**
 * YAML text -> a tree of typed nodes that remember their line, so every problem in a sweep
 * file can be reported as `file:line`. js-yaml parses to events; we compose the events
 * ourselves (rather than `loadAll`) to keep lines, keep mapping keys typed as PyYAML types
 * them, and catch cyclic aliases.
 */
import { EVENT_ID, getScalarValue, NOT_RESOLVED, parseEvents, SCALAR_STYLE, type Event, YAMLException } from 'js-yaml';
import type { Problem } from '../errors.js';
import { pyHashKey, type PyScalar } from '../sweep/py-value.js';
import { MERGE_KEY, resolvePlainScalar, resolveTaggedScalar, YAML_TAG_PREFIX } from './pyyaml-tags.js';
import { diagnoseYaml } from './yaml-diagnose.js';

export interface YamlScalar {
  kind: 'scalar';
  line: number;
  value: PyScalar;
  /** True for `<<` (a merge key). */
  merge?: boolean;
}
export interface YamlSeq {
  kind: 'seq';
  line: number;
  items: YamlNode[];
}
export interface YamlPair {
  key: YamlNode;
  value: YamlNode;
}
export interface YamlMap {
  kind: 'map';
  line: number;
  /** Unique keys, in the order Python's dict would keep them. */
  pairs: YamlPair[];
}
export type YamlNode = YamlScalar | YamlSeq | YamlMap;

export interface YamlDocument {
  /** Line of the document's `---` (1 for a first document without one). */
  line: number;
  contents: YamlNode | null;
}

export interface ParsedYaml {
  documents: YamlDocument[];
  problems: Problem[];
}

/** Sorted offsets of line starts, for offset -> line. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineOf(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** Lines of `---` document markers, in order (outside block scalars they start a line). */
function documentMarkerLines(text: string): number[] {
  const lines: number[] = [];
  text.split('\n').forEach((content, i) => {
    if (/^---(\s|$)/.test(content)) lines.push(i + 1);
  });
  return lines;
}

function firstOffset(...offsets: number[]): number {
  return Math.min(...offsets.filter((o) => o >= 0));
}

interface OpenCollection {
  node: YamlSeq | YamlMap;
  /** Pairs as written (before merges and duplicate handling), for maps. */
  raw: YamlNode[];
  anchor?: string;
}

type AnchorState = { node: YamlNode } | 'open';

export function parseYaml(text: string, file: string): ParsedYaml {
  const problems: Problem[] = [];
  let events: Event[];
  try {
    events = parseEvents(text, { filename: file, maxDepth: 50 });
  } catch (error) {
    if (error instanceof YAMLException) {
      const line = error.mark ? error.mark.line + 1 : undefined;
      const better = diagnoseYaml(text, error.reason, line);
      if (better) problems.push({ file, line: better.line, message: `invalid YAML: ${better.message}` });
      else problems.push({ file, ...(line !== undefined && { line }), message: `invalid YAML: ${error.reason}` });
      return { documents: [], problems };
    }
    throw error;
  }
  const starts = lineStarts(text);
  /** Where the last text with a place ended (for empty values, which have none). */
  let lastEnd = 0;
  const documents: YamlDocument[] = [];
  const stack: OpenCollection[] = [];
  let anchors = new Map<string, AnchorState>();
  /** Anchors of earlier documents: YAML does not carry them across `---`. */
  const earlierAnchors = new Set<string>();
  const markers = documentMarkerLines(text);
  let document: YamlDocument | null = null;
  /** What stands in for aliases already reported as broken. */
  const brokenAliases = new WeakSet<YamlNode>();

  const problem = (line: number, message: string) => problems.push({ file, line, message });
  const tagOf = (start: number, end: number): string | undefined => {
    if (start < 0) return undefined;
    const written = text.slice(start, end);
    if (written === '!') return `${YAML_TAG_PREFIX}str`;
    if (written.startsWith('!!')) return YAML_TAG_PREFIX + written.slice(2);
    if (written.startsWith('!<') && written.endsWith('>')) return written.slice(2, -1);
    return written;
  };
  const place = (node: YamlNode) => {
    const parent = stack[stack.length - 1];
    if (parent) parent.raw.push(node);
    else if (document) document.contents = node;
  };

  for (const event of events) {
    switch (event.type) {
      case EVENT_ID.DOCUMENT: {
        for (const name of anchors.keys()) earlierAnchors.add(name);
        anchors = new Map();
        // The line of this document's `---` (the first document may have none).
        const marker = event.explicitStart ? markers.shift() : undefined;
        document = { line: marker ?? 1, contents: null };
        documents.push(document);
        break;
      }
      case EVENT_ID.SCALAR: {
        const source = getScalarValue(text, event);
        // An empty value (`train:` and nothing after it) has no place of its own: it is where
        // the text before it (its key) ends.
        const offset = firstOffset(event.valueStart, event.tagStart, event.anchorStart);
        const line = lineOf(starts, Number.isFinite(offset) ? offset : lastEnd);
        if (event.valueEnd > 0) lastEnd = event.valueEnd - 1;
        const tag = tagOf(event.tagStart, event.tagEnd);
        let node: YamlScalar;
        if (tag === undefined && event.style === SCALAR_STYLE.PLAIN) {
          const value = resolvePlainScalar(source);
          node = value === MERGE_KEY ? { kind: 'scalar', line, value: '<<', merge: true } : { kind: 'scalar', line, value };
        } else if (tag === undefined) {
          node = { kind: 'scalar', line, value: source };
        } else {
          const value = resolveTaggedScalar(tag, source);
          if (value === undefined) problem(line, `the tag ${text.slice(event.tagStart, event.tagEnd)} is not supported; remove it or quote the value`);
          else if (value === NOT_RESOLVED) problem(line, `"${source}" is not a valid ${text.slice(event.tagStart, event.tagEnd)}`);
          node = { kind: 'scalar', line, value: value === undefined || value === NOT_RESOLVED ? source : value };
        }
        if (event.anchorStart >= 0) anchors.set(text.slice(event.anchorStart, event.anchorEnd), { node });
        place(node);
        break;
      }
      case EVENT_ID.SEQUENCE:
      case EVENT_ID.MAPPING: {
        const line = lineOf(starts, firstOffset(event.start, event.tagStart, event.anchorStart));
        lastEnd = Math.max(lastEnd, event.start);
        const node: YamlSeq | YamlMap =
          event.type === EVENT_ID.SEQUENCE ? { kind: 'seq', line, items: [] } : { kind: 'map', line, pairs: [] };
        const tag = tagOf(event.tagStart, event.tagEnd);
        const expected = `${YAML_TAG_PREFIX}${node.kind}`;
        if (tag !== undefined && tag !== expected) {
          problem(line, `the tag ${text.slice(event.tagStart, event.tagEnd)} is not supported; remove it`);
        }
        const anchor = event.anchorStart >= 0 ? text.slice(event.anchorStart, event.anchorEnd) : undefined;
        if (anchor !== undefined) anchors.set(anchor, 'open');
        stack.push({ node, raw: [], ...(anchor !== undefined && { anchor }) });
        break;
      }
      case EVENT_ID.ALIAS: {
        const name = text.slice(event.anchorStart, event.anchorEnd);
        const line = lineOf(starts, event.anchorStart);
        const target = anchors.get(name);
        // A broken alias stands in as an empty value, which nothing else reports: its problem is said here.
        const broken = (message: string) => {
          problem(line, message);
          const stand: YamlScalar = { kind: 'scalar', line, value: null };
          brokenAliases.add(stand);
          place(stand);
        };
        if (target === undefined && earlierAnchors.has(name)) {
          const parent = stack[stack.length - 1];
          const merged = parent?.node.kind === 'map' && parent.raw.length % 2 === 1 && (parent.raw[parent.raw.length - 1] as YamlScalar).merge === true;
          broken(`the alias *${name} refers to &${name} in an earlier document; anchors do not carry across "---": ${merged ? `write its keys here in place of "<<: *${name}"` : 'repeat the value here'}`);
        } else if (target === undefined) {
          broken(`the alias *${name} refers to no anchor &${name} above it`);
        } else if (target === 'open') {
          broken(`the alias *${name} refers to a node that contains it (a cycle); sweep files cannot be recursive`);
        } else {
          // The same node, but problems found through this alias point at the alias.
          place({ ...target.node, line });
        }
        break;
      }
      case EVENT_ID.POP: {
        const open = stack.pop();
        if (!open) break;
        if (open.node.kind === 'seq') open.node.items = open.raw;
        else open.node.pairs = buildPairs(open.raw, (line, message) => problem(line, message), brokenAliases);
        if (open.anchor !== undefined) anchors.set(open.anchor, { node: open.node });
        place(open.node);
        break;
      }
    }
  }
  return { documents, problems };
}

/**
 * Pairs as a Python dict would hold them: merge keys (`<<`) bring in pairs first, explicit
 * pairs override them, and a key keeps the place where it first appeared. A key written
 * twice is reported (PyYAML silently keeps the last, which hides typos).
 */
function buildPairs(raw: YamlNode[], problem: (line: number, message: string) => void, brokenAliases: WeakSet<YamlNode>): YamlPair[] {
  const merged: YamlPair[] = [];
  const own: YamlPair[] = [];
  const seenOwn = new Map<string, number>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i]!;
    const value = raw[i + 1]!;
    if (key.kind === 'scalar' && key.merge) {
      const sources = value.kind === 'seq' ? [...value.items].reverse() : [value];
      for (const source of sources) {
        if (source.kind !== 'map') {
          // `<<: *base` with no &base in this document: said of the alias already.
          if (!brokenAliases.has(source)) problem(value.line, 'a merge key (<<) needs a mapping or a list of mappings');
          continue;
        }
        merged.push(...source.pairs);
      }
      continue;
    }
    if (key.kind !== 'scalar') {
      problem(key.line, 'a mapping key must be a plain value, not a list or mapping');
      continue;
    }
    const hash = pyHashKey(key.value);
    const earlier = seenOwn.get(hash);
    if (earlier !== undefined) problem(key.line, `the key "${String(key.value)}" appears twice in this mapping (also at line ${earlier})`);
    seenOwn.set(hash, key.line);
    own.push({ key, value });
  }
  const result: YamlPair[] = [];
  const index = new Map<string, number>();
  for (const pair of [...merged, ...own]) {
    const hash = pyHashKey((pair.key as YamlScalar).value);
    const at = index.get(hash);
    if (at === undefined) {
      index.set(hash, result.length);
      result.push(pair);
    } else {
      result[at] = { key: result[at]!.key, value: pair.value };
    }
  }
  return result;
}
