/**
 * The safety policy evaluation: a pure function of a policy document and the changes of a change set
 * (the `Changes` of `DescribeChangeSet`). Used by the task handler and by the offline checks alike.
 * It fails closed: a value it does not recognise is denied.
 */
import { propertyOfPath } from './change-input';
import type { ChangeDetailInput, ChangeInput } from './change-input';
import { globMatches } from './glob';
import { permissionBroadening } from './permissions';
import type { PolicyDocument, RuleDocument, Verdict } from '../shared/policy-document';
import { CHANGE_ACTIONS, CRITERION_KEYS, DRIFT_STATUSES, POLICY_ACTIONS, REPLACEMENTS, RULE_CRITERIA, criteriaOf } from '../shared/policy-vocabulary';

export type { ChangeDetailInput, ChangeInput } from './change-input';

/** The resource type of a nested stack: a change to it is a change to every resource inside. */
export const NESTED_STACK_TYPE = 'AWS::CloudFormation::Stack';

/**
 * What the caller knows about a change beyond its own fields: for a nested stack, whether its own change set
 * was read and inspected. A Modify of a nested stack is judged by what is inside it; until the caller says it
 * read that, the change is not allowed (fail closed).
 */
export interface ChangeContext {
  /** `true` when the nested stack's change set was read and its changes are judged too; else why it was not. */
  readonly nestedChangeSet?: true | string;
}

/** The verdict on one change, with the rule that decided it. */
export interface ChangeVerdict {
  readonly logicalId: string;
  readonly resourceType: string;
  readonly action: string;
  readonly replacement?: string;
  readonly policyAction?: string;
  readonly verdict: Verdict;
  readonly rule: string;
}

export interface PolicyResult {
  /** DENY if any change is denied, else REQUIRE_APPROVAL if any needs approval, else ALLOW. */
  readonly verdict: Verdict;
  readonly changes: ChangeVerdict[];
}

/** Rule names reported to the user. */
export const RULES = {
  add: 'add-is-safe',
  syncWithActual: 'sync-with-actual-changes-metadata-only',
  import: 'import-is-safe',
  inPlace: 'in-place-modify-is-safe',
  noDeletion: 'no-deletion',
  noReplacement: 'no-replacement',
  noConditionalReplacement: 'no-conditional-replacement',
  noDynamic: 'no-dynamic-change',
  noDestructivePolicyAction: 'no-destructive-policy-action',
  replacementAllowed: 'replacement-allowed-by-policy',
  allowAll: 'allow-all',
  unrecognised: 'unrecognised-value',
  defaultVerdict: 'default-verdict',
  functionDecides: 'policy-function',
  nestedNotInspected: 'nested-stack-not-inspected',
  permissionBroadening: 'permission-broadening',
  ruleWithoutCriteria: 'rule-without-criteria',
} as const;

export function evaluateChanges(
  policy: PolicyDocument, changes: readonly ChangeInput[], contexts: readonly (ChangeContext | undefined)[] = [],
): PolicyResult {
  const results = changes.map((change, i) => evaluateChange(policy, change, contexts[i]));
  return { verdict: combine(results.map((r) => r.verdict)), changes: results };
}

export function combine(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes('DENY')) return 'DENY';
  if (verdicts.includes('REQUIRE_APPROVAL')) return 'REQUIRE_APPROVAL';
  return 'ALLOW';
}

/**
 * The change with every `null` field read as absent: some SDKs and tools write `"PolicyAction": null` for a
 * field CloudFormation left out, and that means "no policy action", not an unknown value.
 */
export function withoutNulls(change: ChangeInput): ChangeInput {
  if (change === null || typeof change !== 'object') return change;
  const rc = change.ResourceChange;
  const clean = (o: object) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null));
  return {
    ...clean(change),
    ...(rc !== null && typeof rc === 'object' ? { ResourceChange: clean(rc) } : {}),
  } as ChangeInput;
}

/** What a verdict reports about a change: its resource and the values the policy reads. */
export function describeChange(change: ChangeInput): Omit<ChangeVerdict, 'verdict' | 'rule'> {
  const rc = withoutNulls(change)?.ResourceChange ?? {};
  return {
    logicalId: rc.LogicalResourceId ?? '(unknown)',
    resourceType: rc.ResourceType ?? '(unknown)',
    action: rc.Action ?? '(none)',
    ...(rc.Replacement !== undefined ? { replacement: rc.Replacement } : {}),
    ...(rc.PolicyAction !== undefined ? { policyAction: rc.PolicyAction } : {}),
  };
}

export function evaluateChange(policy: PolicyDocument, raw: ChangeInput, context: ChangeContext = {}): ChangeVerdict {
  const change = withoutNulls(raw);
  const rc = change?.ResourceChange ?? {};
  const base = describeChange(change);
  const decide = (verdict: Verdict, rule: string): ChangeVerdict => ({ ...base, verdict, rule });

  if (policy?.type === 'allowAll') return decide('ALLOW', RULES.allowAll);

  const unrecognised = unrecognisedValue(change);
  if (unrecognised) return decide('DENY', `${RULES.unrecognised}: ${unrecognised}`);
  const uninspected = uninspectedNestedStack(change, context);
  if (uninspected) {
    // What is inside is unknown: destructive until shown otherwise.
    return decide(policy?.type === 'denyDestructive' ? policy.destructiveVerdict ?? 'DENY' : 'DENY', uninspected);
  }

  switch (policy?.type) {
    case 'denyDestructive': {
      const replaceable =
        matchesAny(policy.allowReplacementOfTypes, rc.ResourceType) || matchesAny(policy.allowReplacementOfIds, rc.LogicalResourceId);
      const [verdict, rule] = classifyDestructive(rc, replaceable);
      // A destructive change gets the policy's destructive verdict (DENY unless it asks for approval).
      if (verdict === 'DENY') return decide(policy.destructiveVerdict ?? 'DENY', rule);
      // Otherwise, with the option, a change that widens permissions gets the policy's verdict for that.
      const widening = policy.broadeningVerdict ? broadening(change, context) : undefined;
      if (widening) return decide(policy.broadeningVerdict!, `${RULES.permissionBroadening}: ${widening}`);
      return decide(verdict, rule);
    }
    case 'rules': {
      // A rule without criteria would match every change: never taken for a catch-all (validation refuses it first).
      const shapeless = policy.rules.findIndex((rule) => criteriaOf(rule ?? {}).length === 0);
      if (shapeless >= 0) return decide('DENY', `${RULES.ruleWithoutCriteria}: rule #${shapeless + 1}`);
      const index = policy.rules.findIndex((rule) => ruleMatches(rule, change, context));
      if (index < 0) return decide(policy.defaultVerdict ?? 'DENY', RULES.defaultVerdict);
      const rule = policy.rules[index];
      const name = rule.description ?? `rule #${index + 1}`;
      // A rule on widened permissions says which statement or rule widened them.
      const widening = rule.broadensPermissions === true ? broadening(change, context) : undefined;
      return decide(rule.verdict, widening ? `${name} (${RULES.permissionBroadening}: ${widening})` : name);
    }
    case 'function':
      // Only the deployed workflow can call the function (it applies the fail-closed check above first).
      throw new Error('a policy function (SafetyPolicy.fromFunction) is called by the deployed workflow; it cannot be evaluated offline');
    default:
      return decide('DENY', `${RULES.unrecognised}: policy type ${JSON.stringify((policy as { type?: unknown })?.type)}`);
  }
}

/**
 * The built-in rules of `SafetyPolicy.denyDestructiveChanges()`. The most specific reason is reported:
 * a removal is `no-deletion` even though CloudFormation also gives it a PolicyAction.
 */
function classifyDestructive(rc: NonNullable<ChangeInput['ResourceChange']>, replaceable: boolean): [Verdict, string] {
  if (rc.Action === 'Remove') return ['DENY', RULES.noDeletion];
  if (rc.Action === 'Dynamic') return ['DENY', RULES.noDynamic];
  // A change that changes nothing but CloudFormation's record cannot replace anything either: if it says so, it is not believed.
  const replacing = (rc.Action === 'Modify' || (rc.Action === 'SyncWithActual' && rc.Replacement !== undefined)) && rc.Replacement !== 'False';
  if (replacing && !replaceable) {
    return rc.Replacement === 'True' ? ['DENY', RULES.noReplacement] : ['DENY', RULES.noConditionalReplacement];
  }
  const policyAction = rc.PolicyAction;
  if (policyAction !== undefined && !(replaceable && policyAction.startsWith('ReplaceAnd'))) {
    return ['DENY', RULES.noDestructivePolicyAction];
  }
  switch (rc.Action) {
    case 'Add': return ['ALLOW', RULES.add];
    case 'Import': return ['ALLOW', RULES.import];
    case 'SyncWithActual': return ['ALLOW', RULES.syncWithActual];
    case 'Modify': return replacing ? ['ALLOW', RULES.replacementAllowed] : ['ALLOW', RULES.inPlace];
    default: return ['DENY', RULES.unrecognised];
  }
}

/**
 * The rule that refuses a Modify of a nested stack whose own change set was not inspected, or undefined: the
 * parent's change set shows such a change as a harmless `Modify` (`Replacement: False`) whatever happens inside.
 */
export function uninspectedNestedStack(raw: ChangeInput, context: ChangeContext = {}): string | undefined {
  const rc = withoutNulls(raw)?.ResourceChange;
  if (rc?.ResourceType !== NESTED_STACK_TYPE || rc.Action !== 'Modify' || context.nestedChangeSet === true) return undefined;
  return `${RULES.nestedNotInspected}: ${context.nestedChangeSet ?? 'its own change set was not read'}`;
}

/** Names the first value of a change that the policy does not know, or undefined. */
export function unrecognisedValue(raw: ChangeInput): string | undefined {
  const change = withoutNulls(raw);
  if (change?.Type !== 'Resource') return `change type ${JSON.stringify(change?.Type)}`;
  const rc = change.ResourceChange;
  if (!rc) return 'change without ResourceChange';
  if (!includes(CHANGE_ACTIONS, rc.Action)) return `action ${JSON.stringify(rc.Action)}`;
  if (rc.Action === 'Modify' && !includes(REPLACEMENTS, rc.Replacement)) {
    return `replacement ${JSON.stringify(rc.Replacement)}`;
  }
  if (rc.Replacement !== undefined && !includes(REPLACEMENTS, rc.Replacement)) {
    return `replacement ${JSON.stringify(rc.Replacement)}`;
  }
  if (rc.PolicyAction !== undefined && !includes(POLICY_ACTIONS, rc.PolicyAction)) {
    return `policy action ${JSON.stringify(rc.PolicyAction)}`;
  }
  if (rc.ResourceDriftStatus !== undefined && !includes(DRIFT_STATUSES, rc.ResourceDriftStatus)) {
    return `drift status ${JSON.stringify(rc.ResourceDriftStatus)}`;
  }
  if (typeof rc.LogicalResourceId !== 'string' || typeof rc.ResourceType !== 'string') {
    return 'change without logical id or resource type';
  }
  return undefined;
}

/**
 * How the change widens permissions, or undefined. A new nested stack whose own change set was not read may
 * hold anything that grants: it counts as widening.
 */
function broadening(change: ChangeInput, context: ChangeContext): string | undefined {
  const rc = change.ResourceChange;
  if (rc?.ResourceType === NESTED_STACK_TYPE && rc.Action === 'Add' && context.nestedChangeSet !== true) {
    return 'a new nested stack whose own change set was not read';
  }
  return permissionBroadening(change);
}

/** Every criterion the rule gives matches the change: one of its values, one of its globs, its properties. */
function ruleMatches(rule: RuleDocument, change: ChangeInput, context: ChangeContext): boolean {
  const rc = change.ResourceChange ?? {};
  return CRITERION_KEYS.every((key) => {
    const wanted = rule[key];
    if (wanted === undefined) return true;
    const criterion = RULE_CRITERIA[key];
    if (criterion.kind === 'broadening') return (broadening(change, context) !== undefined) === wanted;
    const globs = wanted as readonly string[];
    switch (criterion.kind) {
      case 'values': return includes(globs, rc[criterion.field]);
      case 'globs': return matchesAny(globs, rc[criterion.field]);
      case 'properties': return propertiesMatch(globs, rc, rule.verdict);
    }
  });
}

/**
 * Fail closed either way. A rule that allows matches only an in-place Modify (no replacement) whose every
 * property matches: a property it cannot name, or a change it cannot see into, keeps the change out. A rule
 * that refuses or asks matches a Modify that touches any of them, or one whose properties it cannot name.
 */
function propertiesMatch(globs: readonly string[], rc: NonNullable<ChangeInput['ResourceChange']>, verdict: Verdict): boolean {
  if (rc.Action !== 'Modify' && rc.Action !== 'Dynamic') return false;
  const touched = Array.isArray(rc.Details) ? rc.Details.map((detail) => namesOf(detail)) : [];
  const matches = (names: string[]) => names.some((name) => matchesAny(globs, name));
  if (verdict === 'ALLOW') {
    return rc.Action === 'Modify' && rc.Replacement === 'False' && touched.length > 0 && touched.every(matches);
  }
  return touched.length === 0 || touched.some((names) => names.length === 0 || matches(names));
}

/**
 * The names a detail goes by: its property's name (given, or read from its path `/Properties/DBInstanceClass/...`,
 * as CloudFormation gives it with property values), its path, and for another attribute than Properties the
 * attribute's name (`Tags`, `Metadata`...).
 */
function namesOf(detail: ChangeDetailInput): string[] {
  const target = detail?.Target;
  if (!target) return [];
  const fromPath = propertyOfPath(target.Path);
  const attribute = typeof target.Attribute === 'string' && !/^properties$/i.test(target.Attribute) ? target.Attribute : undefined;
  const names = [target.Name, fromPath, attribute, target.Path].filter((n): n is string => typeof n === 'string' && n.length > 0);
  return [...new Set(names)];
}

function matchesAny(globs: readonly string[] | undefined, value: string | undefined): boolean {
  return value !== undefined && (globs ?? []).some((glob) => globMatches(glob, value));
}

function includes(list: readonly string[], value: string | undefined): boolean {
  return value !== undefined && list.includes(value);
}
