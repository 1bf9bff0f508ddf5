import {
  evaluateExpression,
  isTruthy,
  kindOf,
  type EvaluationOptions,
} from '../../shared/flows/evaluation';
import {
  type Expression,
  ExpressionError,
  MAX_EXPRESSION_DEPTH,
  MAX_EXPRESSION_LENGTH,
  parseExpression,
  variablesOf,
} from '../../shared/flows/expression';

const scope: Record<string, unknown> = {
  score: 0.85,
  status: 'approved',
  retries: 1,
  attempts: 3,
  review: { verdict: 'ok', notes: ['short', 'clear'] },
  flag: true,
  count: 0,
  label: 'b',
  items: [10, 20, 30],
  a: { 'b c': 'spaced' },
  empty: [],
  nothing: {},
  text: 'hello world',
};

const run = (
  source: string,
  values: Record<string, unknown> = scope,
  options?: EvaluationOptions,
): unknown => evaluateExpression(parseExpression(source), values, options);

/** The message of the error evaluating `source` throws. */
function evaluationError(
  source: string,
  values: Record<string, unknown> = scope,
  options?: EvaluationOptions,
): string {
  try {
    run(source, values, options);
  } catch (error) {
    if (error instanceof ExpressionError) return error.message;
    throw error;
  }
  throw new Error(`expected '${source}' to fail`);
}

function parseError(source: string): ExpressionError {
  try {
    parseExpression(source);
  } catch (error) {
    if (error instanceof ExpressionError) {
      return error;
    }
    throw error;
  }
  throw new Error(`expected '${source}' not to parse`);
}

describe('parseExpression and evaluateExpression', () => {
  it.each([
    ['score >= 0.8', true],
    ['score >= 0.9', false],
    ['status == "approved" and retries < 3', true],
    ['status == "approved" and retries < 1', false],
    ["review.verdict == 'ok' or not (attempts > 2)", true],
    ["review.verdict == 'bad' or not (attempts > 2)", false],
    ['flag', true],
    ['count != null', true],
    ['missing != null', false],
    ['label in ["a", "b"]', true],
    ['label in ["a", "c"]', false],
    ['flag && retries < 3', true],
    ['!flag || count == 0', true],
    ['!(flag)', false],
    ['items[0] == 10 and items[-1] == 30', true],
    ['a["b c"] == "spaced"', true],
    ['review["verdict"] == "ok"', true],
    ['items.length == 3', true],
    ['retries + 1 == 2', true],
    ['attempts - retries - 1 == 1', true],
    ['"ab" + "cd" == "abcd"', true],
    ['score > -1', true],
    ['"short" in review.notes', true],
    ['"world" in text', true],
    ['"verdict" in review', true],
    ['"ok" in review', false],
  ])('%s → %p', (source, expected) => {
    expect(run(source)).toBe(expected);
  });

  it('gives `and` precedence over `or`', () => {
    expect(parseExpression('a or b and c')).toEqual({
      kind: 'logical',
      operator: 'or',
      operands: [
        { kind: 'path', path: ['a'] },
        {
          kind: 'logical',
          operator: 'and',
          operands: [
            { kind: 'path', path: ['b'] },
            { kind: 'path', path: ['c'] },
          ],
        },
      ],
    });
    expect(run('a or b and c', { a: true, b: false, c: false })).toBe(true);
    expect(run('(a or b) and c', { a: true, b: false, c: false })).toBe(false);
    expect(run('not a == b', { a: 1, b: 2 })).toBe(true);
    expect(run('1 + 2 == 3')).toBe(true);
  });

  it('supports not in', () => {
    expect(run('label not in ["a", "c"]')).toBe(true);
    expect(run('label not in ["a", "b"]')).toBe(false);
    expect(run('"x" not in text')).toBe(true);
    expect(parseExpression('a not in b')).toMatchObject({ kind: 'compare', operator: 'not in' });
  });

  it('decodes string escapes', () => {
    expect(run(String.raw`"say \"hi\"" == 'say "hi"'`)).toBe(true);
    expect(run(String.raw`'it\'s' == "it's"`)).toBe(true);
    expect(run(String.raw`"a\\b"`)).toBe('a\\b');
    expect(run(String.raw`"line\nbreak\t\u00e9"`)).toBe('line\nbreak\té');
  });

  it('accepts Python and JSON spellings of the constants', () => {
    expect(run('True')).toBe(true);
    expect(run('False')).toBe(false);
    expect(run('None')).toBeNull();
    expect(run('true == True and false == False and null == None')).toBe(true);
    expect(run('missing == None')).toBe(true);
  });

  it('evaluates unknown paths to null', () => {
    expect(run('missing')).toBeNull();
    expect(run('review.missing.deeper')).toBeNull();
    expect(run('items[7]')).toBeNull();
    expect(run('status.length')).toBeNull();
    expect(run('x', { x: undefined })).toBeNull();
  });

  it('compares values of the same kind, and anything with null for equality', () => {
    expect(run('null == 0')).toBe(false);
    expect(run('"" == null')).toBe(false);
    expect(run('missing != null')).toBe(false);
    expect(run('review != None')).toBe(true);
    expect(run('"apple" < "banana"')).toBe(true);
    expect(run('"b" >= "a" and 2 > 1.5')).toBe(true);
    expect(run('1 in ["1"]')).toBe(false);
    expect(run('null in [null]')).toBe(true);
    expect(run('[1, [2]] == [1, [2]]')).toBe(true);
    expect(run('[1, "2"] == [1, 2]')).toBe(false);
    expect(run('x == y', { x: { a: [1] }, y: { a: [1] } })).toBe(true);
  });

  it.each([
    [
      '1 == "1"',
      `compares a number (1) with a string ("1"): '==' needs two values of the same kind, or null`,
    ],
    [
      '0 != false',
      `compares a number (0) with a boolean (false): '!=' needs two values of the same kind, or null`,
    ],
    [
      'review == "ok"',
      `compares an object ('review') with a string ("ok"): '==' needs two values of the same kind, or null`,
    ],
    [
      'items == 3',
      `compares a list ('items') with a number (3): '==' needs two values of the same kind, or null`,
    ],
    [
      '"2" < 10',
      `compares a string ("2") with a number (10): '<' needs two numbers or two strings`,
    ],
    [
      'review >= 0.8',
      `compares an object ('review') with a number (0.8): '>=' needs two numbers or two strings`,
    ],
    [
      'missing > 1',
      `compares null ('missing') with a number (1): '>' needs two numbers or two strings`,
    ],
    [
      'flag <= true',
      `compares a boolean ('flag') with a boolean (true): '<=' needs two numbers or two strings`,
    ],
    ['items > [1]', `compares a list ('items') with a list: '>' needs two numbers or two strings`],
    [
      'retries + 1 > label',
      `compares a number with a string ('label'): '>' needs two numbers or two strings`,
    ],
    [
      '1 in text',
      `looks for a number (1) in a string ('text'): 'in' needs a list on its right, or a string in a string or an object`,
    ],
    [
      '"a" not in count',
      `looks for a string ("a") in a number ('count'): 'not in' needs a list on its right, or a string in a string or an object`,
    ],
    [
      '1 in review',
      `looks for a number (1) in an object ('review'): 'in' needs a list on its right, or a string in a string or an object`,
    ],
    [
      '"x" in missing',
      `looks for a string ("x") in null ('missing'): 'in' needs a list on its right, or a string in a string or an object`,
    ],
    [
      '1 + "1" == 2',
      `computes a number (1) + a string ("1"): '+' needs two numbers or two strings`,
    ],
    ['label - 1 == 0', `computes a string ('label') - a number (1): '-' needs two numbers`],
    ['"ab" - "b" == "a"', `computes a string ("ab") - a string ("b"): '-' needs two numbers`],
  ])('refuses %s: it %s', (source, message) => {
    expect(evaluationError(source)).toBe(message);
  });

  it('names variables as the caller describes them, and cuts long literals', () => {
    const describe = (path: readonly string[]) => `step '${path[0]}'`;
    expect(evaluationError('score >= 0.8', { score: { output: 'x' } }, { describe })).toBe(
      `compares an object (step 'score') with a number (0.8): '>=' needs two numbers or two strings`,
    );
    expect(evaluationError(`count == "${'x'.repeat(100)}"`)).toContain(
      `a string ("${'x'.repeat(38)}…)`,
    );
  });

  it('is evaluated lazily: a mismatch in a branch not taken is no error', () => {
    expect(run('flag or review > 1')).toBe(true);
    expect(run('count == 1 and review > 1')).toBe(false);
    expect(() => run('count == 0 and review > 1')).toThrow(ExpressionError);
  });

  it('evaluates mismatched kinds as false (sums as null) when lenient, as runs before the check did', () => {
    const lenient: EvaluationOptions = { kinds: 'lenient' };
    expect(run('1 == "1"', scope, lenient)).toBe(false);
    expect(run('0 != false', scope, lenient)).toBe(true);
    expect(run('"2" < 10', scope, lenient)).toBe(false);
    expect(run('"2" >= 10', scope, lenient)).toBe(false);
    expect(run('review >= 0.8', scope, lenient)).toBe(false);
    expect(run('missing > 1', scope, lenient)).toBe(false);
    expect(run('1 in text', scope, lenient)).toBe(false);
    expect(run('1 + "1"', scope, lenient)).toBeNull();
    expect(run('score >= 0.8', scope, lenient)).toBe(true);
  });

  it('tells the kind of every JSON value', () => {
    expect([null, undefined, true, 1.5, 'x', [1], { a: 1 }].map(kindOf)).toEqual([
      'null',
      'null',
      'boolean',
      'number',
      'string',
      'list',
      'object',
    ]);
  });

  it('returns booleans from and/or and short-circuits them', () => {
    expect(run('retries and label')).toBe(true);
    expect(run('count or empty')).toBe(false);
    expect(run('empty or nothing or ""')).toBe(false);
    const trap = {
      yes: true,
      no: false,
      get boom(): boolean {
        throw new Error('evaluated');
      },
    };
    expect(run('yes or boom', trap)).toBe(true);
    expect(run('no and boom', trap)).toBe(false);
    expect(() => run('no or boom', trap)).toThrow('evaluated');
  });

  it('reports errors with positions', () => {
    const cases: [string, string, number][] = [
      ['score >=', 'expected an expression at end', 8],
      ['(a', "expected ')' at end", 2],
      ['"abc', 'unterminated string at 0', 0],
      ['x == "abc', 'unterminated string at 5', 5],
      ['a ===  b', "unexpected character '=' at 4 (use '==' to compare)", 4],
      ['1 +', 'expected an expression at end', 3],
      ['a..b', "expected a name after '.', found '.' at 2", 2],
      ['@', "unexpected character '@' at 0", 0],
      ['score >= )', "unexpected token ')' at 9", 9],
      ['a b', "unexpected token 'b' at 2", 2],
      ['a < b < c', "unexpected token '<' at 6", 6],
      ['and', "unexpected token 'and' at 0", 0],
      ['', 'expected an expression at end', 0],
      ['[1, 2', "expected ',' or ']' at end", 5],
      ['items[1.5]', "expected an integer or a string index, found '1.5' at 6", 6],
      [String.raw`"\q"`, "unknown escape '\\q' at 1", 1],
    ];
    for (const [source, message, position] of cases) {
      const error = parseError(source);
      expect({ source, message: error.message, position: error.position }).toEqual({
        source,
        message,
        position,
      });
    }
  });

  it('limits length and nesting depth', () => {
    expect(parseError('a'.repeat(MAX_EXPRESSION_LENGTH + 1)).message).toMatch(/too long/);
    const nested = (levels: number): string => '('.repeat(levels) + 'a' + ')'.repeat(levels);
    expect(run(nested(MAX_EXPRESSION_DEPTH), { a: 1 })).toBe(1);
    expect(parseError(nested(MAX_EXPRESSION_DEPTH + 1)).message).toMatch(/nested too deeply/);
    expect(parseError('not '.repeat(MAX_EXPRESSION_DEPTH + 1) + 'a').message).toMatch(
      /nested too deeply/,
    );
  });
});

describe('variablesOf', () => {
  it('lists every path once, in order', () => {
    const expression = parseExpression(
      'score >= 0.8 and review.verdict == "ok" or score in [limit, items[0], a["b c"]]',
    );
    expect(variablesOf(expression)).toEqual([
      ['score'],
      ['review', 'verdict'],
      ['limit'],
      ['items', '0'],
      ['a', 'b c'],
    ]);
    expect(variablesOf(parseExpression('1 == True'))).toEqual([]);
  });
});

describe('the syntax tree', () => {
  it('survives a JSON round trip', () => {
    for (const source of [
      "review.verdict == 'ok' or not (attempts > 2)",
      'label in ["a", "b"] && !(count != null) || items[-1] - 5 > 20',
      'None == missing and "x" + label == "xb"',
    ]) {
      const ast = parseExpression(source);
      const copy = JSON.parse(JSON.stringify(ast)) as Expression;
      expect(copy).toEqual(ast);
      expect(evaluateExpression(copy, scope)).toEqual(evaluateExpression(ast, scope));
    }
  });

  it('rejects an unknown node kind', () => {
    const bogus = { kind: 'call', name: 'eval' } as unknown as Expression;
    expect(() => evaluateExpression(bogus, scope)).toThrow(ExpressionError);
  });
});

describe('safety', () => {
  it('never reads through prototypes', () => {
    expect(run('constructor.name', { x: 1 })).toBeNull();
    expect(run('review.constructor.name')).toBeNull();
    expect(run('review.__proto__')).toBeNull();
    expect(run('review["constructor"]')).toBeNull();
    expect(run('items.prototype')).toBeNull();
    expect(run('toString', {})).toBeNull();
    expect(run('review.hasOwnProperty')).toBeNull();
    expect(run('"toString" in review')).toBe(false);
    const withOwn = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    expect(run('__proto__.polluted', withOwn)).toBeNull();
  });
});

describe('isTruthy', () => {
  it('follows Python for empty collections', () => {
    expect([[], {}, '', 0, null, undefined, false, NaN].map(isTruthy)).toEqual(
      Array<boolean>(8).fill(false),
    );
    expect([[0], { a: 0 }, 'x', -1, true, Object.create(null) as object].map(isTruthy)).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
    ]);
  });
});
