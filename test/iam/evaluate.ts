/**
 * A small evaluator of identity-based IAM policies, for tests: what a role's own policies allow, as the IAM
 * User Guide's policy evaluation logic documents it, for one account and no permissions boundary, session
 * policy, resource policy or SCP (none of this library's roles has one).
 *
 * - "Determining whether a request is allowed or denied within an account": an explicit deny in any statement
 *   wins; otherwise an allow in any statement allows; otherwise the request is implicitly denied.
 * - Action / NotAction: "case insensitive", `*` and `?` wildcards (IAM JSON policy elements: Action, NotAction).
 * - Resource / NotResource: ARNs, `*` and `?` wildcards in any segment; case sensitive (Resource, NotResource).
 * - Condition: every operator block must be true, every key within a block must be true, any one of a key's
 *   values may match ("Creating a condition with multiple keys or values"). Key names are case insensitive;
 *   values are compared as the operator says (Condition operators). A key missing from the request makes a
 *   condition false, except for the negated operators (StringNotEquals, StringNotLike, ArnNotEquals, ArnNotLike),
 *   which are then true, `...IfExists` (true when the key is missing) and `Null`.
 *
 * It knows the operators this library's templates use and a few of their kin; any other operator, a policy
 * variable, or a multivalued request key given to a single-valued operator fails the test rather than guess.
 */

/** One statement of an identity policy, as in the policy document. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny' | string;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** A value of the request context: a string, a boolean, or a list for a multivalued key. */
export type ContextValue = string | boolean | readonly string[];

/** What a principal asks for: an action on a resource ARN, with the request's context keys. */
export interface AccessRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, ContextValue | undefined>;
}

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

export interface Evaluation {
  readonly decision: Decision;
  /** The statements that decided: the denying ones, or else the allowing ones. */
  readonly by: readonly PolicyStatement[];
}

/** The decision of the policies' statements on the request. */
export function evaluate(statements: readonly PolicyStatement[], request: AccessRequest): Evaluation {
  const applying = statements.filter((s) => applies(s, request));
  const denies = applying.filter((s) => effectOf(s) === 'Deny');
  if (denies.length > 0) return { decision: 'ExplicitDeny', by: denies };
  const allows = applying.filter((s) => effectOf(s) === 'Allow');
  return allows.length > 0 ? { decision: 'Allow', by: allows } : { decision: 'ImplicitDeny', by: [] };
}

function effectOf(s: PolicyStatement): 'Allow' | 'Deny' {
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new Error(`Effect must be Allow or Deny, got ${JSON.stringify(s.Effect)}`);
  return s.Effect;
}

/** Whether the statement speaks of this request: its action, its resource and all its conditions. */
export function applies(s: PolicyStatement, request: AccessRequest): boolean {
  return matchesAction(s, request.action) && matchesResource(s, request.resource) && conditionsHold(s.Condition, request.context ?? {});
}

function listOf(value: string | readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
}

function matchesAction(s: PolicyStatement, action: string): boolean {
  if ((s.Action === undefined) === (s.NotAction === undefined)) throw new Error('a statement has exactly one of Action and NotAction');
  const matches = (pattern: string) => wildcardMatch(pattern.toLowerCase(), action.toLowerCase());
  return s.Action !== undefined ? listOf(s.Action).some(matches) : !listOf(s.NotAction).some(matches);
}

function matchesResource(s: PolicyStatement, resource: string): boolean {
  if ((s.Resource === undefined) === (s.NotResource === undefined)) throw new Error('a statement has exactly one of Resource and NotResource');
  const matches = (pattern: string) => arnMatches(pattern, resource);
  return s.Resource !== undefined ? listOf(s.Resource).some(matches) : !listOf(s.NotResource).some(matches);
}

/** `*` any run of characters (none too), `?` any one character; everything else literally. */
export function wildcardMatch(pattern: string, value: string): boolean {
  if (pattern.includes('${')) throw new Error(`policy variables are not modelled: ${pattern}`);
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 's').test(value);
}

/**
 * ARN matching as ArnLike documents it: the six colon-separated parts (`arn`, partition, service, region,
 * account, resource) each matched on its own, with wildcards; the resource part keeps its colons and slashes.
 * `*` alone matches every resource.
 */
export function arnMatches(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  const [p, a] = [arnParts(pattern), arnParts(arn)];
  if (!p || !a) return wildcardMatch(pattern, arn);
  return p.every((part, i) => wildcardMatch(part, a[i]));
}

function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6) return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

type Comparison = (policyValue: string, requestValue: string) => boolean;

const STRING: Record<string, Comparison> = {
  StringEquals: (p, r) => p === r,
  StringEqualsIgnoreCase: (p, r) => p.toLowerCase() === r.toLowerCase(),
  StringLike: (p, r) => wildcardMatch(p, r),
  ArnEquals: (p, r) => arnMatches(p, r),
  ArnLike: (p, r) => arnMatches(p, r),
};

const NEGATED: Record<string, string> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
};

function conditionsHold(condition: PolicyStatement['Condition'], context: Record<string, ContextValue | undefined>): boolean {
  if (condition === undefined) return true;
  // Condition key names are not case sensitive.
  const lower = new Map(Object.entries(context).filter(([, v]) => v !== undefined).map(([k, v]) => [k.toLowerCase(), v as ContextValue]));
  return Object.entries(condition).every(([operator, keys]) =>
    Object.entries(keys).every(([key, values]) => operatorHolds(operator, lower.get(key.toLowerCase()), policyValues(values))));
}

function policyValues(values: unknown): string[] {
  const list = Array.isArray(values) ? values : [values];
  return list.map((v) => {
    if (typeof v === 'string') return v;
    if (typeof v === 'boolean' || typeof v === 'number') return String(v);
    throw new Error(`a condition value must be text, got ${JSON.stringify(v)}`);
  });
}

function operatorHolds(operator: string, value: ContextValue | undefined, policy: string[]): boolean {
  const set = /^(ForAllValues|ForAnyValue):(.+)$/.exec(operator);
  if (set) return setOperatorHolds(set[1], set[2], value, policy);
  if (operator.endsWith('IfExists')) {
    const base = operator.slice(0, -'IfExists'.length);
    if (base === 'Null') throw new Error('Null has no IfExists form');
    return value === undefined ? true : operatorHolds(base, value, policy);
  }
  if (operator === 'Null') {
    if (policy.length !== 1 || !/^(true|false)$/.test(policy[0])) throw new Error(`Null takes "true" or "false", got ${JSON.stringify(policy)}`);
    return (value === undefined) === (policy[0] === 'true');
  }
  if (operator === 'Bool') {
    if (value === undefined) return false;
    return policy.some((p) => p.toLowerCase() === String(single(operator, value)).toLowerCase());
  }
  if (NEGATED[operator]) {
    // Negated operators are true when the key is missing, and when no policy value matches.
    if (value === undefined) return true;
    return !operatorHolds(NEGATED[operator], value, policy);
  }
  const compare = STRING[operator];
  if (!compare) throw new Error(`condition operator ${operator} is not modelled`);
  if (value === undefined) return false;
  const text = single(operator, value);
  return policy.some((p) => compare(p, String(text)));
}

function single(operator: string, value: ContextValue): string | boolean {
  if (Array.isArray(value)) throw new Error(`${operator} is single-valued; a multivalued key needs ForAllValues or ForAnyValue`);
  return value as string | boolean;
}

/** ForAllValues: every value of the request matches a policy value (true for no values); ForAnyValue: at least one does. */
function setOperatorHolds(qualifier: string, operator: string, value: ContextValue | undefined, policy: string[]): boolean {
  const compare = STRING[operator];
  if (!compare) throw new Error(`condition operator ${qualifier}:${operator} is not modelled`);
  const values = value === undefined ? [] : Array.isArray(value) ? value : [String(value)];
  const matches = (v: string) => policy.some((p) => compare(p, v));
  return qualifier === 'ForAllValues' ? values.every(matches) : values.some(matches);
}
