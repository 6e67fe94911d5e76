import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { checkChangeSet } from './check';
import type { PolicyDocument, RuleDocument } from './policy-document';

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

/**
 * One rule of a rule-based safety policy. Every criterion given must match the change; a rule with no
 * criteria matches every change.
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
   * A name for the rule, shown in the pipeline when it decides a change.
   * @default - `rule #N`, N being the rule's position from 1
   */
  readonly description?: string;
}

/** Options of `SafetyPolicy.denyDestructiveChanges()`. */
export interface DenyDestructiveChangesOptions {
  /**
   * What a destructive change gets. REQUIRE_APPROVAL, with `UnsafeChangeAction.requireApproval()`, stops for
   * a person only when a change is destructive. Changes with values the library does not recognise are
   * always denied.
   * @default RuleVerdict.DENY
   */
  readonly destructiveChangeVerdict?: RuleVerdict;
  /**
   * Resource type globs whose replacement is allowed (for example `AWS::Lambda::Version`).
   * Removals stay denied.
   * @default - no replacement is allowed
   */
  readonly allowReplacementOfResourceTypes?: string[];
  /**
   * Logical id globs whose replacement is allowed. Removals stay denied.
   * @default - no replacement is allowed
   */
  readonly allowReplacementOfLogicalIds?: string[];
}

/** The verdict on one change of a change set. */
export interface ChangeEvaluation {
  /** The resource's logical id. */
  readonly logicalId: string;
  /** The resource type. */
  readonly resourceType: string;
  /** The change action (Add, Modify, Remove, Import, Dynamic). */
  readonly action: string;
  /**
   * The change's Replacement value.
   * @default - none (only Modify changes carry one)
   */
  readonly replacement?: string;
  /**
   * The change's PolicyAction value.
   * @default - none
   */
  readonly policyAction?: string;
  /** The verdict. */
  readonly verdict: RuleVerdict;
  /** The rule that decided it. */
  readonly rule: string;
  /**
   * The logical ids of the nested stacks around the resource, outermost first.
   * @default - none: the resource is in the root stack
   */
  readonly nestedStackPath?: string[];
}

/** The verdict of a safety policy on a whole change set. */
export interface ChangeSetEvaluation {
  /**
   * DENY if any change is denied or the description is incomplete, else REQUIRE_APPROVAL if any change needs
   * approval, else ALLOW.
   */
  readonly verdict: RuleVerdict;
  /** One verdict per change, nested stacks' changes included. */
  readonly changes: ChangeEvaluation[];
  /**
   * What the evaluation could not see: a change set not complete, pages missing or given twice, a description
   * CloudFormation marks as incomplete. Empty when the description is complete; otherwise the verdict is DENY.
   */
  readonly incomplete: string[];
}

/** Options of `SafetyPolicy.fromRules()`. */
export interface FromRulesOptions {
  /**
   * The verdict for a change that no rule matches.
   * @default RuleVerdict.DENY
   */
  readonly defaultVerdict?: RuleVerdict;
}

/**
 * Decides, for every change of a change set, whether it may be executed.
 *
 * Whatever the policy, a change with a value the library does not recognise (an unknown change type,
 * action, replacement or policy action) is denied: the policies fail closed.
 *
 * @example
 * // the default: no deletion, no replacement, no dynamic change
 * const byDefault = SafetyPolicy.denyDestructiveChanges();
 *
 * // rules: the first rule that matches decides; unmatched changes are denied
 * const allowVersions: SafetyRule = { verdict: RuleVerdict.ALLOW, resourceTypes: ['AWS::Lambda::Version'] };
 * const askForIam: SafetyRule = { verdict: RuleVerdict.REQUIRE_APPROVAL, resourceTypes: ['AWS::IAM::*'] };
 * const denyRemovals: SafetyRule = { verdict: RuleVerdict.DENY, actions: [ChangeAction.REMOVE] };
 * const denyReplacements: SafetyRule = { verdict: RuleVerdict.DENY, replacements: [Replacement.TRUE, Replacement.CONDITIONAL] };
 * const allowTheRest: SafetyRule = { verdict: RuleVerdict.ALLOW };
 * const rules = SafetyPolicy.fromRules([allowVersions, askForIam, denyRemovals, denyReplacements, allowTheRest]);
 */
export class SafetyPolicy {
  /**
   * Deny deletions, replacements (True and Conditional), dynamic changes and every change whose
   * deletion policy deletes, retains, snapshots or replaces a resource. Allow additions, imports and
   * in-place modifications.
   */
  public static denyDestructiveChanges(options: DenyDestructiveChangesOptions = {}): SafetyPolicy {
    const types = validateGlobs(options.allowReplacementOfResourceTypes, 'allowReplacementOfResourceTypes');
    const ids = validateGlobs(options.allowReplacementOfLogicalIds, 'allowReplacementOfLogicalIds');
    const verdict = options.destructiveChangeVerdict;
    if (verdict !== undefined) checkEnum(verdict, RuleVerdict, 'denyDestructiveChanges: destructiveChangeVerdict');
    if (verdict === RuleVerdict.ALLOW) {
      throw new Error('denyDestructiveChanges: destructiveChangeVerdict ALLOW would allow every change; use SafetyPolicy.allowAll() if that is what you want');
    }
    return new SafetyPolicy({
      type: 'denyDestructive',
      ...(verdict === RuleVerdict.REQUIRE_APPROVAL ? { destructiveVerdict: 'REQUIRE_APPROVAL' as const } : {}),
      ...(types ? { allowReplacementOfTypes: types } : {}),
      ...(ids ? { allowReplacementOfIds: ids } : {}),
    });
  }

  /**
   * Rules as data, evaluated in order for each change: the first rule that matches decides; a change that
   * no rule matches gets `defaultVerdict` (DENY unless said otherwise).
   */
  public static fromRules(rules: SafetyRule[], options: FromRulesOptions = {}): SafetyPolicy {
    if (!Array.isArray(rules) || rules.length === 0) {
      throw new Error('SafetyPolicy.fromRules: give at least one rule (or use SafetyPolicy.allowAll())');
    }
    return new SafetyPolicy({
      type: 'rules',
      rules: rules.map((rule, i) => validateRule(rule, i)),
      defaultVerdict: checkEnum(options.defaultVerdict ?? RuleVerdict.DENY, RuleVerdict, 'defaultVerdict'),
    });
  }

  /** Allow every change (the change set is still created and reported, then executed). */
  public static allowAll(): SafetyPolicy {
    return new SafetyPolicy({ type: 'allowAll' });
  }

  /**
   * Your own Lambda function decides, in any runtime. It receives
   * `{ "stackName", "changeSetName", "changes": [ ...the Changes of DescribeChangeSet... ] }` and answers
   * `{ "verdict": "ALLOW" | "DENY" | "REQUIRE_APPROVAL", "reasons": [{ "logicalId", "verdict", "reason" }] }`.
   * An answer the workflow cannot read, or a verdict it does not know, counts as DENY; a function error
   * fails the deployment. Changes with values the library does not recognise are denied before the function
   * is asked. The workflow's task function is granted permission to invoke it.
   */
  public static fromFunction(policyFunction: lambda.IFunction): SafetyPolicy {
    return new SafetyPolicy({ type: 'function', functionArn: policyFunction.functionArn }, policyFunction);
  }

  private constructor(private readonly document: PolicyDocument, private readonly policyFunction?: lambda.IFunction) {}

  /** Whether the policy can ask for a person's approval. @internal */
  public _canRequireApproval(): boolean {
    const doc = this._render();
    switch (doc.type) {
      case 'function': return true;
      case 'rules': return doc.defaultVerdict === 'REQUIRE_APPROVAL' || doc.rules.some((r) => r.verdict === 'REQUIRE_APPROVAL');
      case 'denyDestructive': return doc.destructiveVerdict === 'REQUIRE_APPROVAL';
      default: return false;
    }
  }

  /** Grants what the policy needs to the workflow's task function. @internal */
  public _grant(taskFunction: iam.IGrantable): void {
    // Only a function policy needs a right: to invoke its function.
    this.policyFunction?.grantInvoke(taskFunction);
  }

  /**
   * Evaluates a change set offline, exactly as the deploy workflow does: give the JSON output of
   * `aws cloudformation describe-change-set`, one object per page, and the pages of the nested stacks' change
   * sets (a nested stack whose change set is not given is not allowed). An incomplete description is never
   * allowed: see `incomplete`.
   */
  public evaluateChangeSet(describeChangeSetPages: any[]): ChangeSetEvaluation {
    const result = checkChangeSet(this._render(), describeChangeSetPages);
    return {
      verdict: result.verdict as RuleVerdict,
      changes: result.changes.map(({ path, ...c }) => ({
        ...c, verdict: c.verdict as RuleVerdict, ...(path ? { nestedStackPath: path } : {}),
      })),
      incomplete: result.incomplete,
    };
  }

  /**
   * The policy's document. Only the static methods make policies (the constructor is private, so Python and
   * Java cannot call it); an object made any other way has no document and gets this error.
   * @internal
   */
  public _render(): PolicyDocument {
    if (!this.document) {
      throw new Error('SafetyPolicy: use SafetyPolicy.denyDestructiveChanges(), SafetyPolicy.fromRules() or ' +
        'SafetyPolicy.allowAll(); a policy of your own is a list of rules given to fromRules(), not a subclass');
    }
    return this.document;
  }
}

function validateRule(rule: SafetyRule, index: number): RuleDocument {
  const where = `SafetyPolicy.fromRules: rule #${index + 1}`;
  if (rule === null || typeof rule !== 'object') throw new Error(`${where} is not an object`);
  const known = ['verdict', 'actions', 'replacements', 'policyActions', 'resourceTypes', 'logicalIds', 'description'];
  const unknown = Object.keys(rule).filter((k) => !known.includes(k) && (rule as any)[k] !== undefined);
  if (unknown.length > 0) throw new Error(`${where} has unknown keys: ${unknown.join(', ')} (known: ${known.join(', ')})`);
  const doc: RuleDocument = {
    verdict: checkEnum(rule.verdict, RuleVerdict, `${where} verdict`),
    ...(rule.actions ? { actions: checkEnumList(rule.actions, ChangeAction, `${where} actions`) } : {}),
    ...(rule.replacements ? { replacements: checkEnumList(rule.replacements, Replacement, `${where} replacements`) } : {}),
    ...(rule.policyActions ? { policyActions: checkEnumList(rule.policyActions, PolicyAction, `${where} policyActions`) } : {}),
    ...(rule.resourceTypes ? { resourceTypes: validateGlobs(rule.resourceTypes, `${where} resourceTypes`) } : {}),
    ...(rule.logicalIds ? { logicalIds: validateGlobs(rule.logicalIds, `${where} logicalIds`) } : {}),
    ...(rule.description !== undefined ? { description: String(rule.description) } : {}),
  };
  return doc;
}

function checkEnum<T extends string>(value: T, enumObject: Record<string, string>, what: string): T {
  const allowed = Object.values(enumObject);
  if (!allowed.includes(value)) {
    throw new Error(`${what}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  }
  return value;
}

function checkEnumList<T extends string>(values: T[], enumObject: Record<string, string>, what: string): T[] {
  if (!Array.isArray(values) || values.length === 0) throw new Error(`${what}: give a non-empty list or leave it out`);
  return values.map((v) => checkEnum(v, enumObject, what));
}

function validateGlobs(globs: string[] | undefined, what: string): string[] | undefined {
  if (globs === undefined) return undefined;
  if (!Array.isArray(globs) || globs.length === 0) throw new Error(`${what}: give a non-empty list of globs or leave it out`);
  for (const glob of globs) {
    if (typeof glob !== 'string' || glob.length === 0 || glob.length > 256) {
      throw new Error(`${what}: ${JSON.stringify(glob)} is not a glob of 1 to 256 characters`);
    }
  }
  return [...globs];
}
