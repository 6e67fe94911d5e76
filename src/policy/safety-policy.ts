import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { PolicyBinding } from './binding';
import { checkChangeSet } from './check';
import type { PolicyDocument, RuleDocument } from '../shared/policy-document';
import { CRITERION_KEYS, MAX_GLOB_LENGTH, NO_CRITERIA, RULE_CRITERIA, RULE_KEYS, RuleVerdict, VERDICTS, criteriaOf } from '../shared/policy-vocabulary';
import type { SafetyRule } from '../shared/policy-vocabulary';

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
  /**
   * What a change that widens permissions gets, when it is not destructive: REQUIRE_APPROVAL (with
   * `UnsafeChangeAction.requireApproval()`) asks a person, DENY refuses. Widening means an IAM statement that
   * allows more (identity, inline, trust and resource policies of S3, SQS, SNS and KMS), a deny taken away, a
   * managed policy or member attached, a permissions boundary changed, a Lambda permission, a security-group
   * rule added, or a new resource that grants any of these; the verdict names the widened statement or rule.
   * Where CloudFormation does not give the values, a change to such a property counts as widening.
   * @default - permission changes are judged like any other change
   */
  readonly permissionBroadeningVerdict?: RuleVerdict;
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
   * For a change that is not allowed: what it does to its properties, one line each
   * (`DBInstanceClass: db.t3.micro -> db.r6g.large`), from the values `describe-change-set
   * --include-property-values` gives; secrets masked.
   * @default - none: the change is allowed, or its description has no property values
   */
  readonly properties?: string[];
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
 * // what no rule matches gets defaultVerdict (DENY unless said otherwise); a rule without criteria is refused
 * const rules = SafetyPolicy.fromRules([allowVersions, askForIam, denyRemovals, denyReplacements],
 *   { defaultVerdict: RuleVerdict.ALLOW });
 */
export class SafetyPolicy {
  /**
   * Deny deletions, replacements (True and Conditional), dynamic changes and every change whose
   * deletion policy deletes, retains, snapshots or replaces a resource. Allow additions, imports and
   * in-place modifications.
   */
  public static denyDestructiveChanges(options: DenyDestructiveChangesOptions = {}): SafetyPolicy {
    const types = validateGlobs(options.allowReplacementOfResourceTypes, `${DENY_DESTRUCTIVE}: allowReplacementOfResourceTypes`);
    const ids = validateGlobs(options.allowReplacementOfLogicalIds, `${DENY_DESTRUCTIVE}: allowReplacementOfLogicalIds`);
    const verdict = options.destructiveChangeVerdict;
    if (verdict !== undefined) checkValue(verdict, VERDICTS, `${DENY_DESTRUCTIVE}: destructiveChangeVerdict`);
    if (verdict === RuleVerdict.ALLOW) {
      throw new Error(`${DENY_DESTRUCTIVE}: destructiveChangeVerdict ALLOW would allow every change; use SafetyPolicy.allowAll() if that is what you want`);
    }
    const broadening = options.permissionBroadeningVerdict;
    if (broadening !== undefined) checkValue(broadening, VERDICTS, `${DENY_DESTRUCTIVE}: permissionBroadeningVerdict`);
    if (broadening === RuleVerdict.ALLOW) {
      throw new Error(`${DENY_DESTRUCTIVE}: permissionBroadeningVerdict ALLOW is what leaving it out does; give DENY or REQUIRE_APPROVAL`);
    }
    const asks = verdict === RuleVerdict.REQUIRE_APPROVAL || broadening === RuleVerdict.REQUIRE_APPROVAL;
    return new SafetyPolicy({
      type: 'denyDestructive',
      ...(verdict === RuleVerdict.REQUIRE_APPROVAL ? { destructiveVerdict: 'REQUIRE_APPROVAL' as const } : {}),
      ...(types ? { allowReplacementOfTypes: types } : {}),
      ...(ids ? { allowReplacementOfIds: ids } : {}),
      ...(broadening ? { broadeningVerdict: broadening } : {}),
    }, asks);
  }

  /**
   * Rules as data, evaluated in order for each change: the first rule that matches decides; a change that
   * no rule matches gets `defaultVerdict` (DENY unless said otherwise). Every rule gives at least one
   * criterion: a rule without any would match every change, and is refused (in Python, build each rule as a
   * `SafetyRule`, not a dict: a dict loses the keys jsii does not know, such as `resource_types`).
   */
  public static fromRules(rules: SafetyRule[], options: FromRulesOptions = {}): SafetyPolicy {
    if (!Array.isArray(rules) || rules.length === 0) {
      throw new Error('SafetyPolicy.fromRules: give at least one rule (or use SafetyPolicy.allowAll())');
    }
    const document = {
      type: 'rules' as const,
      rules: rules.map((rule, i) => validateRule(rule, i)),
      defaultVerdict: checkValue(options.defaultVerdict ?? RuleVerdict.DENY, VERDICTS, 'SafetyPolicy.fromRules: defaultVerdict'),
    };
    const asks = [document.defaultVerdict, ...document.rules.map((r) => r.verdict)].includes(RuleVerdict.REQUIRE_APPROVAL);
    return new SafetyPolicy(document, asks);
  }

  /** Allow every change (the change set is still created and reported, then executed). */
  public static allowAll(): SafetyPolicy {
    return new SafetyPolicy({ type: 'allowAll' }, false);
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
    return new SafetyPolicy({ type: 'function', functionArn: policyFunction.functionArn }, true,
      (taskFunction) => policyFunction.grantInvoke(taskFunction));
  }

  private constructor(
    private readonly document: PolicyDocument,
    private readonly canRequireApproval: boolean,
    private readonly grant?: (taskFunction: iam.IGrantable) => void,
  ) {}

  /**
   * Binds the policy to an action whose workflow runs `taskFunction`: what the action needs to know, and the
   * rights to grant.
   * @internal
   */
  public _bind(_scope: Construct, taskFunction: iam.IGrantable): PolicyBinding {
    return {
      document: this.documentOrError(),
      canRequireApproval: this.canRequireApproval,
      grantRights: () => this.grant?.(taskFunction),
    };
  }

  /**
   * Evaluates a change set offline, exactly as the deploy workflow does: give the JSON output of
   * `aws cloudformation describe-change-set`, and the same for the nested stacks' change sets (a nested stack
   * whose change set is not given is not allowed). A change set fetched page by page is one object per page,
   * each page after the first with `RequestNextToken`: the NextToken it was requested with (a page does not
   * say which page it is, so without it a missing first or middle page could not be told). An incomplete
   * description (a page missing or given twice, a change set not complete) is never allowed: see `incomplete`.
   *
   * Each page is a JSON object exactly as AWS returns it (`Status`, `Changes`, `NextToken`...). It is not a struct:
   * jsii struct fields are camelCase, and a struct would drop, in Python and Java, every key it does not name, so a
   * field CloudFormation adds later could not reach the evaluator, which refuses what it does not recognise.
   * @param describeChangeSetPages the pages of `describe-change-set`, each a JSON object (in Python a dict, in Java a Map)
   */
  public evaluateChangeSet(describeChangeSetPages: { [key: string]: any }[]): ChangeSetEvaluation {
    const result = checkChangeSet(this.documentOrError(), describeChangeSetPages);
    return {
      verdict: result.verdict as RuleVerdict,
      changes: result.changes.map(({ path, ...c }) => ({
        ...c, verdict: c.verdict as RuleVerdict, ...(path ? { nestedStackPath: path } : {}),
      })),
      incomplete: result.incomplete,
    };
  }

  /**
   * Only the static methods make policies (the constructor is private, so Python and Java cannot call it); an
   * object made any other way has no document and gets this error.
   */
  private documentOrError(): PolicyDocument {
    if (!this.document) {
      throw new Error('SafetyPolicy: use SafetyPolicy.denyDestructiveChanges(), SafetyPolicy.fromRules() or ' +
        'SafetyPolicy.allowAll(); a policy of your own is a list of rules given to fromRules(), not a subclass');
    }
    return this.document;
  }
}

/** Errors name the method they come from, as every validation error of the constructs does: `Class.method: ...`. */
const DENY_DESTRUCTIVE = 'SafetyPolicy.denyDestructiveChanges';

function validateRule(rule: SafetyRule, index: number): RuleDocument {
  const where = `SafetyPolicy.fromRules: rule #${index + 1}`;
  if (rule === null || typeof rule !== 'object') throw new Error(`${where} is not an object`);
  const given = rule as unknown as Record<string, unknown>;
  const unknown = Object.keys(given).filter((k) => !RULE_KEYS.includes(k) && given[k] !== undefined);
  if (unknown.length > 0) throw new Error(`${where} has unknown keys: ${unknown.join(', ')} (known: ${RULE_KEYS.join(', ')})`);
  const doc: Record<string, unknown> = { verdict: checkValue(rule.verdict, VERDICTS, `${where} verdict`) };
  for (const key of CRITERION_KEYS) {
    const value = given[key];
    if (value === undefined) continue;
    const criterion = RULE_CRITERIA[key];
    if (criterion.kind === 'broadening') {
      if (typeof value !== 'boolean') throw new Error(`${where} ${key}: give true or false, or leave it out`);
      doc[key] = value;
    } else if (criterion.kind === 'values') {
      doc[key] = checkValueList(value as string[], criterion.values, `${where} ${key}`);
    } else {
      doc[key] = validateGlobs(value as string[], `${where} ${key}`);
    }
  }
  if (rule.description !== undefined) doc.description = String(rule.description);
  if (criteriaOf(doc).length === 0) {
    const named = rule.description !== undefined ? `${where} (${JSON.stringify(String(rule.description))})` : where;
    throw new Error(`${named} ${NO_CRITERIA} (SafetyPolicy.fromRules(rules, { defaultVerdict })). ` +
      'In Python, a rule written as a dict loses every key jsii does not know (resource_types, or a misspelt key), ' +
      'which leaves it without criteria: build rules with SafetyRule(verdict=..., resource_types=[...]), and give what no ' +
      'rule matches as default_verdict=');
  }
  return doc as unknown as RuleDocument;
}

function checkValue<T extends string>(value: T, allowed: readonly string[], what: string): T {
  if (!allowed.includes(value)) {
    throw new Error(`${what}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  }
  return value;
}

function checkValueList<T extends string>(values: T[], allowed: readonly string[], what: string): T[] {
  if (!Array.isArray(values) || values.length === 0) throw new Error(`${what}: give a non-empty list or leave it out`);
  return values.map((v) => checkValue(v, allowed, what));
}

function validateGlobs(globs: string[] | undefined, what: string): string[] | undefined {
  if (globs === undefined) return undefined;
  if (!Array.isArray(globs) || globs.length === 0) throw new Error(`${what}: give a non-empty list of globs or leave it out`);
  for (const glob of globs) {
    if (typeof glob !== 'string' || glob.length === 0 || glob.length > MAX_GLOB_LENGTH) {
      throw new Error(`${what}: ${JSON.stringify(glob)} is not a glob of 1 to ${MAX_GLOB_LENGTH} characters`);
    }
  }
  return [...globs];
}
