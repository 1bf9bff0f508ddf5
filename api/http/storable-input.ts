/**
 * What no database stores and no run survives, refused before any schema sees it: a NUL
 * character (Postgres refuses it in text and JSON, SQLite cuts the text there), an unpaired
 * UTF-16 surrogate (not Unicode, so not UTF-8; `JSON.parse` makes one of "\ud800"), and JSON
 * nested deeper than `maxDepth` (saving it overflows the stack). Walks without recursion, so a
 * body nested 100,000 deep is refused like any other.
 */
import { formatFieldPath, type FieldIssue } from '../../shared/errors';

/** Reported problems per request, so a body full of them still answers briefly. */
const MAX_ISSUES = 10;
/** A path that is too deep is named by its start. */
const SHOWN_SEGMENTS = 8;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

interface Visit {
  value: unknown;
  depth: number;
  key?: string | number;
  parent?: Visit;
}

/** The problems with storing `value` (a parsed JSON body, or query or path parameters). */
export function unstorableParts(value: unknown, maxDepth: number): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const pending: Visit[] = [{ value, depth: 0 }];
  for (let visit = pending.pop(); visit && issues.length < MAX_ISSUES; visit = pending.pop()) {
    const { value: current, depth } = visit;
    if (typeof current === 'string') {
      const problem = textProblem(current);
      if (problem) issues.push({ path: pathOf(visit), message: `contains ${problem}` });
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= maxDepth) {
      issues.push({
        path: pathOf(visit, SHOWN_SEGMENTS),
        message: `nests objects and arrays deeper than ${maxDepth} levels (KASAL_MAX_JSON_DEPTH)`,
      });
      continue;
    }
    const entries: [string | number, unknown][] = Array.isArray(current)
      ? current.map((item: unknown, index) => [index, item])
      : Object.entries(current);
    for (const [key] of entries) {
      const problem = typeof key === 'string' ? textProblem(key) : undefined;
      if (problem) {
        const message = `has a key ${JSON.stringify(key)} with ${problem}`;
        issues.push({ path: pathOf(visit), message });
      }
    }
    // Pushed in reverse, so problems are found (and reported) in document order.
    for (let index = entries.length - 1; index >= 0; index -= 1) {
      const [key, item] = entries[index] as [string | number, unknown];
      pending.push({ value: item, depth: depth + 1, key, parent: visit });
    }
  }
  return issues.slice(0, MAX_ISSUES);
}

function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'a NUL character (\\u0000), which cannot be stored';
  const surrogate = LONE_SURROGATE.exec(text)?.[0];
  if (surrogate !== undefined) {
    const code = surrogate.charCodeAt(0).toString(16);
    return `an unpaired UTF-16 surrogate (\\u${code}), which is not valid Unicode`;
  }
  return undefined;
}

/** `inputs.topic[0]`; with `shown`, only its first segments and then `…`. */
function pathOf(visit: Visit, shown = Infinity): string {
  const keys: (string | number)[] = [];
  for (let at: Visit | undefined = visit; at?.key !== undefined; at = at.parent) keys.push(at.key);
  keys.reverse();
  const path = formatFieldPath(keys.slice(0, shown));
  return keys.length > shown ? `${path}…` : path;
}
