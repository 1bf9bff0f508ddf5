/**
 * Flow router conditions: a small, safe expression language (no eval), pure and bundle-safe.
 * This module parses; `evaluation.ts` evaluates.
 */

export type ExpressionLiteral = string | number | boolean | null;
export type ComparisonOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in';

/** A plain JSON-serialisable syntax tree, so a parsed condition can travel in a workflow's input. */
export type Expression =
  | { kind: 'literal'; value: ExpressionLiteral }
  | { kind: 'list'; items: Expression[] }
  | { kind: 'path'; path: string[] }
  | { kind: 'not'; operand: Expression }
  | { kind: 'logical'; operator: 'and' | 'or'; operands: Expression[] }
  | { kind: 'compare'; operator: ComparisonOperator; left: Expression; right: Expression }
  | { kind: 'arithmetic'; operator: '+' | '-'; left: Expression; right: Expression };

export const MAX_EXPRESSION_LENGTH = 2000;
export const MAX_EXPRESSION_DEPTH = 50;

export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly position?: number,
  ) {
    super(message);
    this.name = 'ExpressionError';
  }
}

type Token =
  | { kind: 'number'; value: number; text: string; position: number }
  | { kind: 'string'; value: string; text: string; position: number }
  | { kind: 'name' | 'symbol' | 'end'; text: string; position: number };

/** Longest first, so `<=` wins over `<`. */
const SYMBOLS = '== != <= >= && || < > ! ( ) [ ] , . + -'.split(' ');
const NUMBER = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const NAME_START = /[A-Za-z_]/;
const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const ESCAPES = new Map([
  ['\\', '\\'],
  ["'", "'"],
  ['"', '"'],
  ['/', '/'],
  ['n', '\n'],
  ['t', '\t'],
  ['r', '\r'],
  ['b', '\b'],
  ['f', '\f'],
  ['0', '\0'],
]);
const CONSTANTS = new Map<string, ExpressionLiteral>([
  ['true', true],
  ['false', false],
  ['null', null],
  ['True', true],
  ['False', false],
  ['None', null],
]);
const KEYWORDS = new Set(['and', 'or', 'not', 'in']);
const COMPARISONS = new Set<string>(['==', '!=', '<', '<=', '>', '>=']);

export function parseExpression(source: string): Expression {
  if (typeof source !== 'string') {
    throw new ExpressionError('an expression must be a string');
  }
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(
      `expression is too long: ${source.length} characters, at most ${MAX_EXPRESSION_LENGTH}`,
    );
  }
  return new Parser(tokenize(source)).parse();
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < source.length) {
    const char = source[index] as string;
    const position = index;
    if (WHITESPACE.has(char)) {
      index += 1;
    } else if (char === '"' || char === "'") {
      const { value, end } = readString(source, position);
      tokens.push({ kind: 'string', value, text: source.slice(position, end), position });
      index = end;
    } else if (char >= '0' && char <= '9') {
      const text = stickyMatch(NUMBER, source, position);
      const value = Number(text);
      if (!Number.isFinite(value)) {
        throw new ExpressionError(`number out of range at ${position}`, position);
      }
      tokens.push({ kind: 'number', value, text, position });
      index += text.length;
    } else if (NAME_START.test(char)) {
      const text = stickyMatch(NAME, source, position);
      tokens.push({ kind: 'name', text, position });
      index += text.length;
    } else {
      const symbol = SYMBOLS.find((candidate) => source.startsWith(candidate, position));
      if (symbol === undefined) {
        const hint = char === '=' ? " (use '==' to compare)" : '';
        throw new ExpressionError(`unexpected character '${char}' at ${position}${hint}`, position);
      }
      tokens.push({ kind: 'symbol', text: symbol, position });
      index += symbol.length;
    }
  }
  tokens.push({ kind: 'end', text: '', position: source.length });
  return tokens;
}

function stickyMatch(pattern: RegExp, source: string, position: number): string {
  pattern.lastIndex = position;
  return pattern.exec(source)?.[0] ?? '';
}

function readString(source: string, start: number): { value: string; end: number } {
  const quote = source[start];
  let value = '';
  let index = start + 1;
  while (index < source.length) {
    const char = source[index] as string;
    if (char === quote) {
      return { value, end: index + 1 };
    }
    if (char !== '\\') {
      value += char;
      index += 1;
      continue;
    }
    const next = source[index + 1];
    if (next === undefined) {
      break;
    }
    if (next === 'u') {
      const hex = source.slice(index + 2, index + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
        throw new ExpressionError(`invalid escape '\\u${hex}' at ${index}`, index);
      }
      value += String.fromCharCode(parseInt(hex, 16));
      index += 6;
      continue;
    }
    const escaped = ESCAPES.get(next);
    if (escaped === undefined) {
      throw new ExpressionError(`unknown escape '\\${next}' at ${index}`, index);
    }
    value += escaped;
    index += 2;
  }
  throw new ExpressionError(`unterminated string at ${start}`, start);
}

function isSymbol(token: Token, text: string): boolean {
  return token.kind === 'symbol' && token.text === text;
}

function isWord(token: Token | undefined, text: string): boolean {
  return token?.kind === 'name' && token.text === text;
}

function unexpected(token: Token): ExpressionError {
  return token.kind === 'end'
    ? new ExpressionError('unexpected end of expression', token.position)
    : new ExpressionError(`unexpected token '${token.text}' at ${token.position}`, token.position);
}

function expected(what: string, token: Token): ExpressionError {
  return token.kind === 'end'
    ? new ExpressionError(`expected ${what} at end`, token.position)
    : new ExpressionError(
        `expected ${what}, found '${token.text}' at ${token.position}`,
        token.position,
      );
}

/** Recursive descent over the grammar in the order of precedence, loosest first. */
class Parser {
  private index = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): Expression {
    const expression = this.parseOr();
    const token = this.peek();
    if (token.kind !== 'end') {
      throw unexpected(token);
    }
    return expression;
  }

  private peek(ahead = 0): Token {
    const last = this.tokens[this.tokens.length - 1] as Token;
    return this.tokens[this.index + ahead] ?? last;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') {
      this.index += 1;
    }
    return token;
  }

  private accept(word: string, symbol: string): boolean {
    const token = this.peek();
    if (isWord(token, word) || isSymbol(token, symbol)) {
      this.index += 1;
      return true;
    }
    return false;
  }

  private expectSymbol(text: string): void {
    const token = this.next();
    if (!isSymbol(token, text)) {
      throw expected(`'${text}'`, token);
    }
  }

  private enter(token: Token): void {
    this.depth += 1;
    if (this.depth > MAX_EXPRESSION_DEPTH) {
      throw new ExpressionError(
        `expression nested too deeply (more than ${MAX_EXPRESSION_DEPTH} levels) at ${token.position}`,
        token.position,
      );
    }
  }

  private parseOr(): Expression {
    const operands = [this.parseAnd()];
    while (this.accept('or', '||')) {
      operands.push(this.parseAnd());
    }
    return operands.length === 1
      ? (operands[0] as Expression)
      : { kind: 'logical', operator: 'or', operands };
  }

  private parseAnd(): Expression {
    const operands = [this.parseNot()];
    while (this.accept('and', '&&')) {
      operands.push(this.parseNot());
    }
    return operands.length === 1
      ? (operands[0] as Expression)
      : { kind: 'logical', operator: 'and', operands };
  }

  private parseNot(): Expression {
    const token = this.peek();
    if (!(isWord(token, 'not') || isSymbol(token, '!'))) {
      return this.parseComparison();
    }
    this.index += 1;
    this.enter(token);
    const operand = this.parseNot();
    this.depth -= 1;
    return { kind: 'not', operand };
  }

  private parseComparison(): Expression {
    const left = this.parseAdditive();
    const operator = this.comparisonOperator();
    return operator === undefined
      ? left
      : { kind: 'compare', operator, left, right: this.parseAdditive() };
  }

  private comparisonOperator(): ComparisonOperator | undefined {
    const token = this.peek();
    if (token.kind === 'symbol' && COMPARISONS.has(token.text)) {
      this.index += 1;
      return token.text as ComparisonOperator;
    }
    if (isWord(token, 'in')) {
      this.index += 1;
      return 'in';
    }
    if (isWord(token, 'not') && isWord(this.peek(1), 'in')) {
      this.index += 2;
      return 'not in';
    }
    return undefined;
  }

  private parseAdditive(): Expression {
    let left = this.parsePrimary();
    for (;;) {
      const token = this.peek();
      if (!(isSymbol(token, '+') || isSymbol(token, '-'))) {
        return left;
      }
      this.index += 1;
      const operator = token.text as '+' | '-';
      left = { kind: 'arithmetic', operator, left, right: this.parsePrimary() };
    }
  }

  private parsePrimary(): Expression {
    const token = this.next();
    switch (token.kind) {
      case 'end':
        throw new ExpressionError('expected an expression at end', token.position);
      case 'number':
      case 'string':
        return { kind: 'literal', value: token.value };
      case 'name':
        if (CONSTANTS.has(token.text)) {
          return { kind: 'literal', value: CONSTANTS.get(token.text) ?? null };
        }
        if (KEYWORDS.has(token.text)) {
          throw unexpected(token);
        }
        return this.parsePath(token.text);
      case 'symbol':
        return this.parseSymbolPrimary(token);
    }
  }

  private parseSymbolPrimary(token: Token): Expression {
    if (token.text === '(') {
      this.enter(token);
      const inner = this.parseOr();
      this.expectSymbol(')');
      this.depth -= 1;
      return inner;
    }
    if (token.text === '[') {
      this.enter(token);
      const items = this.parseListItems();
      this.depth -= 1;
      return { kind: 'list', items };
    }
    const number = this.peek();
    if (token.text === '-' && number.kind === 'number') {
      this.index += 1;
      return { kind: 'literal', value: -number.value };
    }
    throw unexpected(token);
  }

  /** After `[`: items separated by commas, a trailing comma allowed, up to `]`. */
  private parseListItems(): Expression[] {
    const items: Expression[] = [];
    while (!isSymbol(this.peek(), ']')) {
      items.push(this.parseOr());
      const separator = this.next();
      if (isSymbol(separator, ']')) {
        return items;
      }
      if (!isSymbol(separator, ',')) {
        throw expected("',' or ']'", separator);
      }
    }
    this.index += 1;
    return items;
  }

  private parsePath(first: string): Expression {
    const path = [first];
    for (;;) {
      const token = this.peek();
      if (isSymbol(token, '.')) {
        this.index += 1;
        const name = this.next();
        if (name.kind !== 'name') {
          throw expected("a name after '.'", name);
        }
        path.push(name.text);
      } else if (isSymbol(token, '[')) {
        this.index += 1;
        path.push(this.parseIndex());
        this.expectSymbol(']');
      } else {
        return { kind: 'path', path };
      }
    }
  }

  /** Inside `[…]` after a path: a string key or an integer index (negative counts from the end). */
  private parseIndex(): string {
    const token = this.next();
    if (token.kind === 'string') {
      return token.value;
    }
    const negative = isSymbol(token, '-');
    const number = negative ? this.next() : token;
    if (number.kind === 'number' && Number.isSafeInteger(number.value)) {
      return String(negative ? -number.value : number.value);
    }
    throw expected('an integer or a string index', number);
  }
}

/** Every identifier path the expression reads, each once, in order of first appearance. */
export function variablesOf(expression: Expression): string[][] {
  const seen = new Set<string>();
  const paths: string[][] = [];
  const visit = (node: Expression): void => {
    if (node.kind === 'path') {
      const key = JSON.stringify(node.path);
      if (!seen.has(key)) {
        seen.add(key);
        paths.push([...node.path]);
      }
    }
    childrenOf(node).forEach(visit);
  };
  visit(expression);
  return paths;
}

function childrenOf(expression: Expression): Expression[] {
  switch (expression.kind) {
    case 'literal':
    case 'path':
      return [];
    case 'list':
      return expression.items;
    case 'not':
      return [expression.operand];
    case 'logical':
      return expression.operands;
    case 'compare':
    case 'arithmetic':
      return [expression.left, expression.right];
  }
}
