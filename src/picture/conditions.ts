/**
 * Writes a Choice rule's condition in short readable form for an edge label:
 * `$.operation.outcome == "SUCCEEDED"`, `$.count >= 3`, `not present $.x`, `and($.a == "x", $.b != null)`.
 * JSONPath rules (Variable + comparison operator, And, Or, Not) and JSONata rules (Condition) are read;
 * anything else is shown as `(condition)` rather than guessed.
 */

const COMPARISONS: Record<string, string> = {
  Equals: '==',
  LessThan: '<',
  GreaterThan: '>',
  LessThanEquals: '<=',
  GreaterThanEquals: '>=',
};
const KINDS = ['String', 'Numeric', 'Boolean', 'Timestamp'];

/** The condition of one Choice rule (its Next is not part of it). */
export function describeCondition(rule: Record<string, unknown>): string {
  if (typeof rule.Condition === 'string') return jsonata(rule.Condition);
  if (Array.isArray(rule.And)) return `and(${rule.And.map((r) => describeCondition(asRule(r))).join(', ')})`;
  if (Array.isArray(rule.Or)) return `or(${rule.Or.map((r) => describeCondition(asRule(r))).join(', ')})`;
  if (rule.Not !== undefined) return negate(asRule(rule.Not));
  const variable = typeof rule.Variable === 'string' ? rule.Variable : '(value)';
  for (const [key, value] of Object.entries(rule)) {
    const test = typeTest(key, value, variable);
    if (test) return test;
    for (const kind of KINDS) {
      for (const [name, operator] of Object.entries(COMPARISONS)) {
        if (key === `${kind}${name}`) return `${variable} ${operator} ${literal(value)}`;
        if (key === `${kind}${name}Path`) return `${variable} ${operator} ${String(value)}`;
      }
    }
    if (key === 'StringMatches') return `${variable} matches ${literal(value)}`;
  }
  return '(condition)';
}

function negate(rule: Record<string, unknown>): string {
  const variable = typeof rule.Variable === 'string' ? rule.Variable : '(value)';
  if (typeof rule.IsPresent === 'boolean') return typeTest('IsPresent', !rule.IsPresent, variable)!;
  if (typeof rule.IsNull === 'boolean') return typeTest('IsNull', !rule.IsNull, variable)!;
  const inner = describeCondition(rule);
  const equality = /^(\S+) == (.+)$/.exec(inner);
  if (equality) return `${equality[1]} != ${equality[2]}`;
  return `not(${inner})`;
}

function typeTest(key: string, value: unknown, variable: string): string | undefined {
  if (typeof value !== 'boolean') return undefined;
  switch (key) {
    case 'IsPresent': return value ? `present ${variable}` : `not present ${variable}`;
    case 'IsNull': return value ? `${variable} == null` : `${variable} != null`;
    case 'IsString': return `${variable} is ${value ? '' : 'not '}a string`;
    case 'IsNumeric': return `${variable} is ${value ? '' : 'not '}a number`;
    case 'IsBoolean': return `${variable} is ${value ? '' : 'not '}a boolean`;
    case 'IsTimestamp': return `${variable} is ${value ? '' : 'not '}a timestamp`;
    default: return undefined;
  }
}

function literal(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function jsonata(condition: string): string {
  const match = /^\{%\s*([\s\S]*?)\s*%\}$/.exec(condition.trim());
  return (match ? match[1] : condition).replace(/\s+/g, ' ');
}

function asRule(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? value as Record<string, unknown> : {};
}

/**
 * Breaks a label into lines of at most `width` characters: one line per operand of an outermost
 * and(...)/or(...)/not(...) (indented by two spaces), then at spaces; a word longer than the width stays whole.
 */
export function wrapLabel(text: string, width = 52): string[] {
  if (text.length <= width) return [text];
  const parts = splitTopLevel(text);
  const lines: string[] = [];
  parts.forEach((part, i) => {
    // The operands of and(...)/or(...)/not(...) go one to a line, indented under the operator.
    const indent = i > 0 && parts.length > 1 ? '  ' : '';
    const trimmed = part.trimStart();
    if (i === 0) lines.push(...wrapWords(trimmed, width));
    else if (trimmed.length + indent.length <= width) lines.push(indent + trimmed);
    else lines.push(...wrapWords(trimmed, width - indent.length).map((l) => indent + l));
  });
  return lines;
}

/** Splits after each comma (and after the opening parenthesis) of an outermost and(...)/or(...)/not(...). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' && text[i - 1] !== '\\') quoted = !quoted;
    if (quoted) continue;
    if (c === '(') {
      depth++;
      if (depth === 1) {
        parts.push(text.slice(start, i + 1));
        start = i + 1;
      }
    } else if (c === ')') {
      depth--;
    } else if (c === ',' && depth === 1) {
      parts.push(text.slice(start, i + 1));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.filter((p) => p.length > 0);
}

function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + 1 + word.length <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}
