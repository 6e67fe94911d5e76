/** Runtime validation of policy documents that arrive as JSON (UserParameters, input files, the CLI). */
import { shownKey } from './json';
import { STRATEGY_TYPES, strategyOf } from './policy-document';
import { CRITERION_KEYS, NO_CRITERIA, RULE_CRITERIA, RULE_KEYS, VERDICTS, criteriaOf } from './policy-vocabulary';

export function validatePolicyDocument(doc: unknown): string[] {
  const d = doc as Record<string, any>;
  if (!d || typeof d !== 'object' || Array.isArray(d)) return ['must be an object'];
  switch (d.type) {
    case 'allowAll':
      return unknownKeys(d, ['type']);
    case 'function':
      return [
        ...unknownKeys(d, ['type', 'functionArn']),
        ...(typeof d.functionArn === 'string' && /^arn:aws[a-z-]*:lambda:/.test(d.functionArn) ? [] : ['functionArn must be a Lambda function ARN']),
      ];
    case 'denyDestructive':
      return [
        ...unknownKeys(d, ['type', 'destructiveVerdict', 'allowReplacementOfTypes', 'allowReplacementOfIds', 'broadeningVerdict']),
        ...(d.destructiveVerdict === undefined || ['DENY', 'REQUIRE_APPROVAL'].includes(d.destructiveVerdict)
          ? [] : ['destructiveVerdict must be DENY or REQUIRE_APPROVAL']),
        ...(d.broadeningVerdict === undefined || ['DENY', 'REQUIRE_APPROVAL'].includes(d.broadeningVerdict)
          ? [] : ['broadeningVerdict must be DENY or REQUIRE_APPROVAL']),
        ...stringList(d.allowReplacementOfTypes, 'allowReplacementOfTypes'),
        ...stringList(d.allowReplacementOfIds, 'allowReplacementOfIds'),
      ];
    case 'rules':
      return rulesDocumentProblems(d);
    default:
      return [`unknown policy type ${JSON.stringify(d.type)} (known: denyDestructive, rules, allowAll, function)`];
  }
}

/** The problems of a `rules` document: its keys, its default verdict, and each rule's. */
function rulesDocumentProblems(d: Record<string, any>): string[] {
  const problems = unknownKeys(d, ['type', 'rules', 'defaultVerdict']);
  if (d.defaultVerdict !== undefined && !VERDICTS.includes(d.defaultVerdict)) {
    problems.push(`defaultVerdict must be one of ${VERDICTS.join(', ')} (or left out: DENY)`);
  }
  if (!Array.isArray(d.rules) || d.rules.length === 0) return [...problems, 'rules must be a non-empty list'];
  d.rules.forEach((rule: Record<string, any>, i: number) => {
    const at = `rule #${i + 1}`;
    if (!rule || typeof rule !== 'object') return problems.push(`${at} must be an object`);
    problems.push(...unknownKeys(rule, RULE_KEYS).map((p) => `${at}: ${p}`));
    if (!VERDICTS.includes(rule.verdict)) problems.push(`${at}: verdict must be one of ${VERDICTS.join(', ')}`);
    if (criteriaOf(rule).length === 0) problems.push(`${at} ${NO_CRITERIA}`);
    for (const key of CRITERION_KEYS) {
      const criterion = RULE_CRITERIA[key];
      if (criterion.kind === 'broadening') {
        if (rule[key] !== undefined && typeof rule[key] !== 'boolean') problems.push(`${at}: ${key} must be true or false`);
        continue;
      }
      problems.push(...(criterion.kind === 'values'
        ? enumList(rule[key], criterion.values, `${at}: ${key}`)
        : stringList(rule[key], `${at}: ${key}`)));
    }
    return undefined;
  });
  return problems;
}

/** A strategy's document: its type, then each field of it that the strategy's table entry checks (`STRATEGIES`). */
export function validateUnsafeDocument(doc: unknown): string[] {
  const d = doc as Record<string, any>;
  if (!d || typeof d !== 'object') return ['must be an object'];
  const strategy = strategyOf(d.type);
  if (!strategy) return [`unknown on-unsafe type ${JSON.stringify(d.type)} (known: ${STRATEGY_TYPES.join(', ')})`];
  const fields = Object.entries(strategy.fields);
  return [
    ...unknownKeys(d, ['type', ...fields.map(([key]) => key)]),
    ...fields.flatMap(([key, field]) => {
      const problem = d[key] === undefined && field.optional ? undefined : field.check(d[key]);
      return problem ? [`${key} ${problem}`] : [];
    }),
  ];
}

/**
 * Keys the document does not take, with the ones it does (sorted): a typo shows its correction. A key that is not a
 * plain name is shown quoted and cut short (shownKey): it cannot start a line of its own in the message.
 */
function unknownKeys(obj: Record<string, unknown>, known: readonly string[]): string[] {
  const unknown = Object.keys(obj).filter((k) => !known.includes(k));
  return unknown.length > 0 ? [`unknown keys ${unknown.map(shownKey).join(', ')} (known: ${[...known].sort().join(', ')})`] : [];
}

function stringList(value: unknown, what: string): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && v.length > 0)
    ? [] : [`${what} must be a non-empty list of non-empty strings`];
}

function enumList(value: unknown, allowed: readonly string[], what: string): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) && value.length > 0 && value.every((v) => allowed.includes(v))
    ? [] : [`${what} must be a non-empty list of ${allowed.join(', ')}`];
}
