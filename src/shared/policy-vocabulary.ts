/**
 * The policy vocabulary, defined once: the verdicts, the values of a CloudFormation change that policies
 * read, the criteria a rule may have, the default policy, and the limits of the unsafe-change strategies.
 * The public enums and `SafetyRule`, the documents' types, the validators (synth time and run time) and the
 * evaluator all read from here: a new rule criterion is one field of `SafetyRule`, one entry of
 * `RULE_CRITERIA`, and nothing else unless it matches in a new way.
 */

/** The verdict of a safety rule. */
export enum RuleVerdict {
  /** The change may be executed. */
  ALLOW = 'ALLOW',
  /** The change set is rejected. */
  DENY = 'DENY',
  /** The change needs a person's approval; with `UnsafeChangeAction.fail()` it is rejected like DENY. */
  REQUIRE_APPROVAL = 'REQUIRE_APPROVAL',
}

/** The `Action` of a CloudFormation resource change. */
export enum ChangeAction {
  ADD = 'Add',
  MODIFY = 'Modify',
  REMOVE = 'Remove',
  IMPORT = 'Import',
  DYNAMIC = 'Dynamic',
  /**
   * In a drift-aware change set: the resource is not changed, only CloudFormation's record of it (its drift
   * status) is brought in line with the template.
   */
  SYNC_WITH_ACTUAL = 'SyncWithActual',
}

/** The `Replacement` of a CloudFormation resource change. */
export enum Replacement {
  TRUE = 'True',
  FALSE = 'False',
  CONDITIONAL = 'Conditional',
}

/** The `PolicyAction` of a CloudFormation resource change (what its DeletionPolicy makes happen). */
export enum PolicyAction {
  DELETE = 'Delete',
  RETAIN = 'Retain',
  SNAPSHOT = 'Snapshot',
  REPLACE_AND_DELETE = 'ReplaceAndDelete',
  REPLACE_AND_RETAIN = 'ReplaceAndRetain',
  REPLACE_AND_SNAPSHOT = 'ReplaceAndSnapshot',
}

/** How a resource differs from its template before the change (`ResourceDriftStatus`, drift-aware change sets only). */
export enum DriftStatus {
  /** The resource matches its template. */
  IN_SYNC = 'IN_SYNC',
  /** Properties were changed outside CloudFormation: the change set reverts them. */
  MODIFIED = 'MODIFIED',
  /** The resource was deleted outside CloudFormation: the change set creates it again. */
  DELETED = 'DELETED',
  NOT_CHECKED = 'NOT_CHECKED',
  /** CloudFormation could not tell. */
  UNKNOWN = 'UNKNOWN',
  /** The resource type does not support comparing with its actual state. */
  UNSUPPORTED = 'UNSUPPORTED',
}

/**
 * One rule of a rule-based safety policy. Every criterion given must match the change. A rule gives at
 * least one criterion: a rule with none would match every change, so it is refused (what no rule matches
 * gets the policy's `defaultVerdict`).
 */
export interface SafetyRule {
  /** What happens to a change this rule matches. */
  readonly verdict: RuleVerdict;
  /**
   * Change actions the rule matches.
   * @default - any action
   */
  readonly actions?: ChangeAction[];
  /**
   * Replacement values the rule matches (only Modify changes carry one).
   * @default - any replacement value
   */
  readonly replacements?: Replacement[];
  /**
   * Deletion-policy actions the rule matches.
   * @default - any policy action, including none
   */
  readonly policyActions?: PolicyAction[];
  /**
   * Resource type globs (`*` any run of characters, `?` one character), for example `AWS::IAM::*`.
   * @default - any resource type
   */
  readonly resourceTypes?: string[];
  /**
   * Logical id globs.
   * @default - any logical id
   */
  readonly logicalIds?: string[];
  /**
   * Property globs, for Modify changes, matched against the name of each property the change touches (for
   * example `DBInstanceClass`; for a change of another attribute than Properties, its name: `Tags`,
   * `Metadata`, `UpdatePolicy`...) and against its path when CloudFormation gives one
   * (`/Properties/Tags/0/Value`). A rule that ALLOWs matches only a change whose every property matches (the
   * change stays within them); a rule that DENIES or asks for approval matches a change that touches any of
   * them. Additions and removals list no properties: they match only rules without this criterion.
   * @default - any properties
   */
  readonly properties?: string[];
  /**
   * Drift statuses the rule matches (drift-aware change sets, `revertDrift: true`, give each change one):
   * `[DriftStatus.MODIFIED, DriftStatus.DELETED]` matches a change that reverts changes made outside
   * CloudFormation.
   * @default - any drift status, including none
   */
  readonly driftStatuses?: DriftStatus[];
  /**
   * `true` matches a change that widens permissions (an IAM statement that allows more, a deny taken away, a
   * managed policy or member attached, a permissions boundary changed, a Lambda permission, a security-group
   * rule added, a new resource that grants any of these); `false` matches every other change. The verdict
   * names the widened statement or rule.
   * @default - any change, whether it widens permissions or not
   */
  readonly broadensPermissions?: boolean;
  /**
   * A name for the rule, shown in the pipeline when it decides a change.
   * @default - `rule #N`, N being the rule's position from 1
   */
  readonly description?: string;
}

/** What a policy says about one change, as the documents and the evaluator write it. */
export type Verdict = `${RuleVerdict}`;

export const VERDICTS: readonly Verdict[] = Object.values(RuleVerdict);
export const CHANGE_ACTIONS: readonly string[] = Object.values(ChangeAction);
export const REPLACEMENTS: readonly string[] = Object.values(Replacement);
export const POLICY_ACTIONS: readonly string[] = Object.values(PolicyAction);
export const DRIFT_STATUSES: readonly string[] = Object.values(DriftStatus);

/** The field of a CloudFormation `ResourceChange` that a rule criterion reads. */
export type ChangeField = 'Action' | 'Replacement' | 'PolicyAction' | 'ResourceType' | 'LogicalResourceId' | 'ResourceDriftStatus';

/**
 * How a criterion matches: `values`, one of a closed list of CloudFormation values (a change without the
 * field does not match); `globs`, glob patterns on free text; `properties`, globs on the properties a Modify
 * touches (its `Details`), confined for ALLOW and touched for the other verdicts; `broadening`, true or false:
 * whether the change widens permissions.
 */
export type Criterion =
  | { readonly kind: 'values'; readonly field: ChangeField; readonly values: readonly string[] }
  | { readonly kind: 'globs'; readonly field: ChangeField }
  | { readonly kind: 'properties' }
  | { readonly kind: 'broadening' };

/** Every criterion of `SafetyRule`, by its key there (and in the rules document). */
export const RULE_CRITERIA = {
  actions: { kind: 'values', field: 'Action', values: CHANGE_ACTIONS },
  replacements: { kind: 'values', field: 'Replacement', values: REPLACEMENTS },
  policyActions: { kind: 'values', field: 'PolicyAction', values: POLICY_ACTIONS },
  resourceTypes: { kind: 'globs', field: 'ResourceType' },
  logicalIds: { kind: 'globs', field: 'LogicalResourceId' },
  properties: { kind: 'properties' },
  driftStatuses: { kind: 'values', field: 'ResourceDriftStatus', values: DRIFT_STATUSES },
  broadensPermissions: { kind: 'broadening' },
} as const satisfies Record<Exclude<keyof SafetyRule, 'verdict' | 'description'>, Criterion>;

export type CriterionKey = keyof typeof RULE_CRITERIA;
export const CRITERION_KEYS = Object.keys(RULE_CRITERIA) as CriterionKey[];

/** Every key a rule may have. */
export const RULE_KEYS: readonly string[] = ['verdict', ...CRITERION_KEYS, 'description'];

/** The criteria a rule gives (an object of any shape: the validators call it before they know the rule is valid). */
export function criteriaOf(rule: object): CriterionKey[] {
  const given = rule as Record<string, unknown>;
  return CRITERION_KEYS.filter((key) => given[key] !== undefined);
}

/**
 * Why a rule without criteria is refused and what to do instead, in the same words at synth time, at run time
 * and offline: such a rule would match every change, so a misspelt or dropped key must not make one.
 */
export const NO_CRITERIA = 'has no criteria, so it would match every change: give it a criterion ' +
  `(${CRITERION_KEYS.join(', ')}), or, for the changes no rule matches, use defaultVerdict instead of a catch-all rule`;

/** The longest glob a rule or policy option may hold. */
export const MAX_GLOB_LENGTH = 256;

/** The default policy: `SafetyPolicy.denyDestructiveChanges()` with no options. */
export const DEFAULT_POLICY = { type: 'denyDestructive' } as const;

/** A blue/green stack name suffix: letters, digits and hyphens. */
export const STACK_SUFFIX_PATTERN = /^[A-Za-z0-9-]{1,40}$/;
export const STACK_SUFFIX_RULE = '1 to 40 letters, digits or hyphens';

/** How long an approval may wait, in seconds (Step Functions keeps a task token for a year; CodePipeline an action for 24 hours). */
export const APPROVAL_TIMEOUT_SECONDS = { min: 60, max: 20 * 3600 } as const;
