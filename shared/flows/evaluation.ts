/**
 * Evaluates a parsed router condition (see expression.ts) over a scope of values: state fields
 * and step records. A value is of one kind: null, a boolean, a number, a string, a list or an
 * object. Operators hold between kinds that mean something together, and any other meeting of
 * kinds is an ExpressionError naming both sides, never a silent `false`:
 * - `<`, `<=`, `>`, `>=`: two numbers, or two strings (compared by code units);
 * - `==`, `!=`: two values of the same kind (lists and objects by structure), or null on either
 *   side (`x == null` asks whether `x` has a value), with no coercion (`1 == "1"` is an error);
 * - `in`, `not in`: anything in a list, a string in a string (substring) or in an object (key);
 * - `+`: two numbers or two strings; `-`: two numbers.
 * `not`, `and` and `or` take any value by its truthiness (Python's) and short-circuit.
 * A missing variable or member is null, so comparing it with a number is an error too.
 */
import {
  ExpressionError,
  type ComparisonOperator,
  type Expression,
  type ExpressionLiteral,
} from './expression';

export type ValueKind = 'null' | 'boolean' | 'number' | 'string' | 'list' | 'object';

export interface EvaluationOptions {
  /**
   * `strict` (the default): mismatched kinds are an error. `lenient`: they evaluate as flows
   * started before that rule did (a comparison is false, a sum null); see workflows/patches.ts.
   */
  kinds?: 'strict' | 'lenient';
  /** How an error names a variable, e.g. `step 'review'`; by default its path in quotes. */
  describe?: (path: readonly string[]) => string;
}

type Compare = Extract<Expression, { kind: 'compare' }>;
type Arithmetic = Extract<Expression, { kind: 'arithmetic' }>;

/** Path segments that never resolve: no walking into prototypes. */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);
const INTEGER_SEGMENT = /^-?(?:0|[1-9][0-9]*)$/;
const MAX_EQUALITY_DEPTH = 100;
const MAX_LITERAL_SHOWN = 40;
const KIND_NAMES: Record<ValueKind, string> = {
  null: 'null',
  boolean: 'a boolean',
  number: 'a number',
  string: 'a string',
  list: 'a list',
  object: 'an object',
};

export function evaluateExpression(
  expression: Expression,
  scope: Record<string, unknown>,
  options: EvaluationOptions = {},
): unknown {
  return new Evaluation(scope, options).evaluate(expression);
}

export function kindOf(value: unknown): ValueKind {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'list';
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    default:
      return 'object';
  }
}

class Evaluation {
  private readonly strict: boolean;
  private readonly describe: (path: readonly string[]) => string;

  constructor(
    private readonly scope: Record<string, unknown>,
    options: EvaluationOptions,
  ) {
    this.strict = options.kinds !== 'lenient';
    this.describe = options.describe ?? ((path) => `'${path.join('.')}'`);
  }

  evaluate(expression: Expression): unknown {
    switch (expression.kind) {
      case 'literal':
        return expression.value ?? null;
      case 'list':
        return expression.items.map((item) => this.evaluate(item));
      case 'path':
        return resolvePath(this.scope, expression.path);
      case 'not':
        return !isTruthy(this.evaluate(expression.operand));
      case 'logical':
        return expression.operator === 'and'
          ? expression.operands.every((operand) => isTruthy(this.evaluate(operand)))
          : expression.operands.some((operand) => isTruthy(this.evaluate(operand)));
      case 'compare':
        return this.compare(expression);
      case 'arithmetic':
        return this.arithmetic(expression);
      default: {
        const kind: unknown = (expression as { kind: unknown }).kind;
        throw new ExpressionError(`unknown expression kind '${String(kind)}'`);
      }
    }
  }

  private compare(expression: Compare): boolean {
    const left = this.evaluate(expression.left);
    const right = this.evaluate(expression.right);
    if (this.strict) this.checkComparison(expression, left, right);
    return compare(expression.operator, left, right);
  }

  private arithmetic(expression: Arithmetic): unknown {
    const left = this.evaluate(expression.left);
    const right = this.evaluate(expression.right);
    if (this.strict) {
      const [a, b] = [kindOf(left), kindOf(right)];
      const plus = expression.operator === '+';
      if (!(a === b && (a === 'number' || (plus && a === 'string')))) {
        throw new ExpressionError(
          `computes ${this.operand(expression.left, left)} ${expression.operator} ${this.operand(expression.right, right)}: ` +
            `'${expression.operator}' needs two numbers${plus ? ' or two strings' : ''}`,
        );
      }
    }
    return arithmetic(expression.operator, left, right);
  }

  private checkComparison(expression: Compare, left: unknown, right: unknown): void {
    const { operator } = expression;
    const [a, b] = [kindOf(left), kindOf(right)];
    const sides = () =>
      `${this.operand(expression.left, left)} ${operator === 'in' || operator === 'not in' ? 'in' : 'with'} ${this.operand(expression.right, right)}`;
    switch (operator) {
      case '==':
      case '!=':
        if (a === b || a === 'null' || b === 'null') return;
        throw new ExpressionError(
          `compares ${sides()}: '${operator}' needs two values of the same kind, or null`,
        );
      case 'in':
      case 'not in':
        if (b === 'list' || (a === 'string' && (b === 'string' || b === 'object'))) return;
        throw new ExpressionError(
          `looks for ${sides()}: '${operator}' needs a list on its right, or a string in a string or an object`,
        );
      default:
        if (a === b && (a === 'number' || a === 'string')) return;
        throw new ExpressionError(
          `compares ${sides()}: '${operator}' needs two numbers or two strings`,
        );
    }
  }

  /** A value in an error: its kind, and where it came from (a variable or a literal). */
  private operand(expression: Expression, value: unknown): string {
    const kind = KIND_NAMES[kindOf(value)];
    if (expression.kind === 'path') return `${kind} (${this.describe(expression.path)})`;
    if (expression.kind === 'literal' && expression.value !== null) {
      return `${kind} (${shown(expression.value)})`;
    }
    return kind;
  }
}

function shown(value: ExpressionLiteral): string {
  const text = JSON.stringify(value);
  return text.length > MAX_LITERAL_SHOWN ? `${text.slice(0, MAX_LITERAL_SHOWN - 1)}…` : text;
}

/** Python-like truthiness: JavaScript's, except that an empty array or plain object is false. */
export function isTruthy(value: unknown): boolean {
  if (Array.isArray(value)) {
    return value.length > 0;
  }
  if (isPlainObject(value)) {
    return Object.keys(value).length > 0;
  }
  return Boolean(value);
}

/** Plain objects from any realm (a workflow sandbox has its own `Object.prototype`). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return false;
  }
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

/** Reads own properties only; anything missing, or a forbidden segment, is null. */
function resolvePath(scope: Record<string, unknown>, path: readonly string[]): unknown {
  let current: unknown = scope;
  for (const segment of path) {
    current = member(current, segment);
    if (current === null) {
      return null;
    }
  }
  return current;
}

function member(value: unknown, segment: string): unknown {
  if (FORBIDDEN_SEGMENTS.has(segment) || value === null || typeof value !== 'object') {
    return null;
  }
  if (Array.isArray(value)) {
    const items = value as unknown[];
    if (segment === 'length') {
      return items.length;
    }
    if (!INTEGER_SEGMENT.test(segment)) {
      return null;
    }
    const index = Number(segment);
    const at = index < 0 ? items.length + index : index;
    return at >= 0 && at < items.length ? (items[at] ?? null) : null;
  }
  return Object.hasOwn(value, segment)
    ? ((value as Record<string, unknown>)[segment] ?? null)
    : null;
}

function compare(operator: ComparisonOperator, left: unknown, right: unknown): boolean {
  switch (operator) {
    case '==':
      return deepEqual(left, right, 0);
    case '!=':
      return !deepEqual(left, right, 0);
    case 'in':
      return contains(right, left);
    case 'not in':
      return !contains(right, left);
    default:
      return ordered(operator, left, right);
  }
}

/** `<`, `<=`, `>`, `>=` hold only between two numbers or two strings. */
function ordered(operator: '<' | '<=' | '>' | '>=', left: unknown, right: unknown): boolean {
  if (typeof left === 'number' && typeof right === 'number') {
    return order(operator, left < right, left === right);
  }
  if (typeof left === 'string' && typeof right === 'string') {
    return order(operator, left < right, left === right);
  }
  return false;
}

function order(operator: '<' | '<=' | '>' | '>=', less: boolean, equal: boolean): boolean {
  const greater = !less && !equal;
  switch (operator) {
    case '<':
      return less;
    case '<=':
      return less || equal;
    case '>':
      return greater;
    case '>=':
      return greater || equal;
  }
}

/** Strict equality for primitives (no coercion), structural for arrays and objects. */
function deepEqual(left: unknown, right: unknown, depth: number): boolean {
  const a = left ?? null;
  const b = right ?? null;
  if (a === b) {
    return true;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return false;
  }
  if (depth >= MAX_EQUALITY_DEPTH) {
    return false;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) {
      return false;
    }
    const other = b as unknown[];
    return (a as unknown[]).every((item, index) => deepEqual(item, other[index], depth + 1));
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) {
    return false;
  }
  const first = a as Record<string, unknown>;
  const second = b as Record<string, unknown>;
  return keys.every(
    (key) => Object.hasOwn(second, key) && deepEqual(first[key], second[key], depth + 1),
  );
}

/** `in`: an element of an array, a substring of a string, or an own key of an object. */
function contains(container: unknown, item: unknown): boolean {
  if (Array.isArray(container)) {
    return (container as unknown[]).some((element) => deepEqual(element, item, 0));
  }
  if (typeof container === 'string') {
    return typeof item === 'string' && container.includes(item);
  }
  if (container !== null && typeof container === 'object') {
    return typeof item === 'string' && Object.hasOwn(container, item);
  }
  return false;
}

/** Numbers add and subtract, strings concatenate with `+`; anything else is null. */
function arithmetic(operator: '+' | '-', left: unknown, right: unknown): unknown {
  if (typeof left === 'number' && typeof right === 'number') {
    return operator === '+' ? left + right : left - right;
  }
  if (operator === '+' && typeof left === 'string' && typeof right === 'string') {
    return left + right;
  }
  return null;
}
