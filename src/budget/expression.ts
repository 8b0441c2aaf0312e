// Absolute budgets: `<path> <op> <value>`, e.g. `tenant.latencyMs.p99 < 500`.
//   op    := < | <= | > | >= | == | !=
//   value := a number (500, 0.05, 1e3), a percentage (5% is 0.05), true or false
import { parsePathPrefix, type MetricPath, type Parsed } from './path.js';

export const OPERATORS = ['<=', '>=', '==', '!=', '<', '>'] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Expression {
  readonly text: string;
  readonly path: MetricPath;
  readonly op: Operator;
  readonly value: number | boolean;
}

const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?%?$/;

/** A percentage such as `15%` as a fraction (0.15); undefined when it is not one. */
export function parsePercent(text: string): number | undefined {
  const m = /^\s*(\d+(\.\d+)?)\s*%\s*$/.exec(text);
  return m?.[1] === undefined ? undefined : Number(m[1]) / 100;
}

export function parseExpression(text: string): Parsed<Expression> {
  const trimmed = text.trim();
  const path = parsePathPrefix(trimmed);
  if (!path.ok) return path;
  const rest = trimmed.slice(path.value.end).trimStart();
  const op = OPERATORS.find((o) => rest.startsWith(o));
  if (op === undefined) {
    const found = rest === '' ? 'nothing' : `"${rest}"`;
    return {
      ok: false,
      message: `expected an operator (${OPERATORS.join(' ')}) after "${path.value.path.text}", found ${found}`,
    };
  }
  const literal = rest.slice(op.length).trim();
  let value: number | boolean;
  if (literal === 'true' || literal === 'false') {
    if (op !== '==' && op !== '!=') {
      return {
        ok: false,
        message: `true and false can only be compared with == or != (got ${op})`,
      };
    }
    value = literal === 'true';
  } else if (NUMBER.test(literal)) {
    value = literal.endsWith('%') ? Number(literal.slice(0, -1)) / 100 : Number(literal);
  } else {
    const found = literal === '' ? 'nothing' : `"${literal}"`;
    return {
      ok: false,
      message: `expected a number, a percentage or true/false after "${op}", found ${found}`,
    };
  }
  return { ok: true, value: { text: trimmed, path: path.value.path, op, value } };
}

/** Whether `observed op limit` holds. A boolean compared with a number, or null, never holds. */
export function holds(observed: number | boolean | null, op: Operator, limit: number | boolean) {
  if (observed === null || typeof observed !== typeof limit) return false;
  switch (op) {
    case '<':
      return observed < limit;
    case '<=':
      return observed <= limit;
    case '>':
      return observed > limit;
    case '>=':
      return observed >= limit;
    case '==':
      return observed === limit;
    case '!=':
      return observed !== limit;
  }
}
