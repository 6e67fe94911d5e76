/**
 * The safety policy: a pure function of a policy document and the `Changes` of DescribeChangeSet.
 * The default policy's table is written out below independently of the implementation and checked on every
 * combination of Action x Replacement x PolicyAction.
 */
import { evaluateChange, evaluateChanges } from '../../src/policy/evaluate';
import type { ChangeInput } from '../../src/policy/evaluate';
import type { PolicyDocument, RulesDocument, Verdict } from '../../src/shared/policy-document';

const ACTIONS = ['Add', 'Modify', 'Remove', 'Import', 'Dynamic', 'SyncWithActual', 'Teleport', undefined] as const;
const REPLACEMENTS = ['True', 'False', 'Conditional', undefined, 'Maybe'] as const;
const POLICY_ACTIONS = [undefined, 'Delete', 'Retain', 'Snapshot', 'ReplaceAndDelete', 'ReplaceAndRetain', 'ReplaceAndSnapshot', 'Obliterate'] as const;

const KNOWN_ACTIONS: readonly string[] = ['Add', 'Modify', 'Remove', 'Import', 'Dynamic', 'SyncWithActual'];
const KNOWN_REPLACEMENTS: readonly string[] = ['True', 'False', 'Conditional'];
const KNOWN_POLICY_ACTIONS: readonly string[] = ['Delete', 'Retain', 'Snapshot', 'ReplaceAndDelete', 'ReplaceAndRetain', 'ReplaceAndSnapshot'];

type Combo = { action?: string; replacement?: string; policyAction?: string };

/**
 * The default policy's table: it denies Remove, Modify with Replacement True or Conditional, Dynamic,
 * any PolicyAction (they delete, retain, snapshot or replace), and every value it does not recognise. A
 * SyncWithActual (metadata only) is allowed, unless it claims a replacement or a policy action.
 * `replaceable` models allowReplacementOfTypes / allowReplacementOfIds matching the resource: replacement
 * (Modify True / Conditional, and the ReplaceAnd* policy actions) is then allowed, nothing else.
 * Returns the verdict and the rule that must be reported.
 */
function defaultPolicyTable(c: Combo, replaceable: boolean): [Verdict, string] {
  if (c.action === undefined || !KNOWN_ACTIONS.includes(c.action)) return ['DENY', 'unrecognised-value'];
  if (c.replacement !== undefined && !KNOWN_REPLACEMENTS.includes(c.replacement)) return ['DENY', 'unrecognised-value'];
  if (c.action === 'Modify' && c.replacement === undefined) return ['DENY', 'unrecognised-value'];
  if (c.policyAction !== undefined && !KNOWN_POLICY_ACTIONS.includes(c.policyAction)) return ['DENY', 'unrecognised-value'];
  // The most specific reason first: a removal is reported as a deletion, whatever its PolicyAction.
  if (c.action === 'Remove') return ['DENY', 'no-deletion'];
  if (c.action === 'Dynamic') return ['DENY', 'no-dynamic-change'];
  const replacing = c.action === 'Modify' || (c.action === 'SyncWithActual' && c.replacement !== undefined);
  if (replacing && c.replacement !== 'False' && !replaceable) {
    return ['DENY', c.replacement === 'True' ? 'no-replacement' : 'no-conditional-replacement'];
  }
  if (c.policyAction !== undefined && !(replaceable && c.policyAction.startsWith('ReplaceAnd'))) return ['DENY', 'no-destructive-policy-action'];
  switch (c.action) {
    case 'Add': return ['ALLOW', 'add-is-safe'];
    case 'Import': return ['ALLOW', 'import-is-safe'];
    case 'SyncWithActual': return ['ALLOW', 'sync-with-actual-changes-metadata-only'];
    default:
      return c.replacement === 'False' ? ['ALLOW', 'in-place-modify-is-safe'] : ['ALLOW', 'replacement-allowed-by-policy'];
  }
}

function resourceChange(c: Combo, logicalId = 'Resource1', resourceType = 'AWS::S3::Bucket'): ChangeInput {
  return {
    Type: 'Resource',
    ResourceChange: {
      LogicalResourceId: logicalId,
      ResourceType: resourceType,
      ...(c.action !== undefined ? { Action: c.action } : {}),
      ...(c.replacement !== undefined ? { Replacement: c.replacement } : {}),
      ...(c.policyAction !== undefined ? { PolicyAction: c.policyAction } : {}),
    },
  };
}

const COMBOS: Combo[] = ACTIONS.flatMap((action) =>
  REPLACEMENTS.flatMap((replacement) => POLICY_ACTIONS.map((policyAction) => ({ action, replacement, policyAction }))));
const show = (v: string | undefined) => (v === undefined ? '(missing)' : v);

describe('denyDestructive on every Action x Replacement x PolicyAction', () => {
  test('the matrix covers 8 actions x 5 replacements x 8 policy actions', () => {
    expect(COMBOS).toHaveLength(320);
  });

  test.each(COMBOS.map((c) => [show(c.action), show(c.replacement), show(c.policyAction), defaultPolicyTable(c, false)[0], c] as const))(
    'Action %s, Replacement %s, PolicyAction %s: %s', (_a, _r, _p, _verdict, combo) => {
      // GIVEN a change set change with those values, and the default policy
      const policy: PolicyDocument = { type: 'denyDestructive' };

      // WHEN the policy evaluates it
      const result = evaluateChange(policy, resourceChange(combo));

      // THEN the verdict and the reported rule are those of the default policy's table
      const [verdict, rule] = defaultPolicyTable(combo, false);
      expect(result.verdict).toBe(verdict);
      expect(result.rule.startsWith(rule)).toBe(true);
    });

  test.each(COMBOS.map((c) => [show(c.action), show(c.replacement), show(c.policyAction), defaultPolicyTable(c, true)[0], c] as const))(
    'replacement allowed for the type (allowReplacementOfTypes): Action %s, Replacement %s, PolicyAction %s: %s',
    (_a, _r, _p, _verdict, combo) => {
      // GIVEN a policy that allows replacing this resource type
      const policy: PolicyDocument = { type: 'denyDestructive', allowReplacementOfTypes: ['AWS::S3::*'] };

      // WHEN it evaluates the change
      const result = evaluateChange(policy, resourceChange(combo));

      // THEN only replacement is unlocked: deletion, dynamic changes and unknown values stay denied
      const [verdict, rule] = defaultPolicyTable(combo, true);
      expect(result.verdict).toBe(verdict);
      expect(result.rule.startsWith(rule)).toBe(true);
    });

  test('the verdict reports what it decided on', () => {
    const result = evaluateChange({ type: 'denyDestructive' }, resourceChange({ action: 'Modify', replacement: 'True', policyAction: 'ReplaceAndDelete' }, 'Table', 'AWS::DynamoDB::Table'));
    expect(result).toEqual({
      logicalId: 'Table',
      resourceType: 'AWS::DynamoDB::Table',
      action: 'Modify',
      replacement: 'True',
      policyAction: 'ReplaceAndDelete',
      verdict: 'DENY',
      rule: 'no-replacement',
    });
  });
});

describe('values the policy does not recognise are denied (fail closed)', () => {
  test.each<[string, ChangeInput]>([
    ['an unknown change Type', { Type: 'HookInvocation' as any, ResourceChange: { Action: 'Add', LogicalResourceId: 'A', ResourceType: 'AWS::SQS::Queue' } }],
    ['a missing change Type', { ResourceChange: { Action: 'Add', LogicalResourceId: 'A', ResourceType: 'AWS::SQS::Queue' } }],
    ['a change without ResourceChange', { Type: 'Resource' }],
    ['a change without logical id', { Type: 'Resource', ResourceChange: { Action: 'Add', ResourceType: 'AWS::SQS::Queue' } }],
    ['a change without resource type', { Type: 'Resource', ResourceChange: { Action: 'Add', LogicalResourceId: 'A' } }],
  ])('%s is denied by denyDestructive and by a rules policy whose rule and default allow everything', (_what, change) => {
    const rules: RulesDocument = { type: 'rules', rules: [{ verdict: 'ALLOW', logicalIds: ['*'] }], defaultVerdict: 'ALLOW' };
    for (const policy of [{ type: 'denyDestructive' } as PolicyDocument, rules]) {
      const result = evaluateChange(policy, change);
      expect(result.verdict).toBe('DENY');
      expect(result.rule).toMatch(/^unrecognised-value: /);
    }
  });

  test('the denial names the unknown value', () => {
    expect(evaluateChange({ type: 'denyDestructive' }, { Type: 'HookInvocation' as any }).rule).toBe('unrecognised-value: change type "HookInvocation"');
    expect(evaluateChange({ type: 'denyDestructive' }, resourceChange({ action: 'Teleport' })).rule).toBe('unrecognised-value: action "Teleport"');
    expect(evaluateChange({ type: 'denyDestructive' }, resourceChange({ action: 'Modify' })).rule).toBe('unrecognised-value: replacement undefined');
    expect(evaluateChange({ type: 'denyDestructive' }, resourceChange({ action: 'Add', policyAction: 'Obliterate' })).rule)
      .toBe('unrecognised-value: policy action "Obliterate"');
  });

  test('an unknown policy type denies everything', () => {
    const result = evaluateChanges({ type: 'yolo' } as any, [resourceChange({ action: 'Add' })]);
    expect(result.verdict).toBe('DENY');
    expect(result.changes[0].rule).toContain('policy type "yolo"');
  });

  test('missing fields are reported as such, not as "undefined"', () => {
    const result = evaluateChange({ type: 'denyDestructive' }, { Type: 'Resource', ResourceChange: {} });
    expect(result).toMatchObject({ logicalId: '(unknown)', resourceType: '(unknown)', action: '(none)', verdict: 'DENY' });
  });
});

describe('denyDestructive: allowReplacementOfTypes / allowReplacementOfIds globs', () => {
  const replace = (logicalId: string, type: string, replacement = 'True') =>
    resourceChange({ action: 'Modify', replacement }, logicalId, type);

  test.each<[string[], string, Verdict]>([
    [['AWS::Lambda::*'], 'AWS::Lambda::Version', 'ALLOW'],
    [['AWS::Lambda::*'], 'AWS::Lambda::Function', 'ALLOW'],
    [['AWS::Lambda::*'], 'AWS::LambdaX::Function', 'DENY'],
    [['AWS::Lambda::*'], 'AWS::S3::Bucket', 'DENY'],
    [['AWS::Lambda::Version'], 'AWS::Lambda::VersionX', 'DENY'],
    [['AWS::*::Version'], 'AWS::Lambda::Version', 'ALLOW'],
    [['Custom::(Thing)'], 'Custom::(Thing)', 'ALLOW'],
    [['Custom::(Thing)'], 'Custom::Thing', 'DENY'],
    [['AWS.EC2.Instance'], 'AWSXEC2XInstance', 'DENY'],
    [['*'], 'AWS::RDS::DBInstance', 'ALLOW'],
  ])('allowReplacementOfTypes %j and a replaced %s: %s', (types, type, verdict) => {
    const result = evaluateChange({ type: 'denyDestructive', allowReplacementOfTypes: types }, replace('R', type));
    expect(result.verdict).toBe(verdict);
    if (verdict === 'ALLOW') expect(result.rule).toBe('replacement-allowed-by-policy');
  });

  test.each<[string[], string, Verdict]>([
    [['Cache?'], 'Cache1', 'ALLOW'],
    [['Cache?'], 'Cache12', 'DENY'],
    [['Cache?'], 'Cache', 'DENY'],
    [['Worker*'], 'WorkerFleet', 'ALLOW'],
    [['Worker*'], 'MyWorkerFleet', 'DENY'],
    [['*Version*'], 'FnCurrentVersion1A2B3C', 'ALLOW'],
  ])('allowReplacementOfIds %j and a replaced %s: %s', (ids, logicalId, verdict) => {
    expect(evaluateChange({ type: 'denyDestructive', allowReplacementOfIds: ids }, replace(logicalId, 'AWS::EC2::Instance', 'Conditional')).verdict).toBe(verdict);
  });

  test('allowing replacement never allows deletion, dynamic changes or deleting policy actions', () => {
    const policy: PolicyDocument = { type: 'denyDestructive', allowReplacementOfTypes: ['*'], allowReplacementOfIds: ['*'] };
    const denied = [
      resourceChange({ action: 'Remove' }),
      resourceChange({ action: 'Remove', policyAction: 'ReplaceAndDelete' }),
      resourceChange({ action: 'Dynamic' }),
      resourceChange({ action: 'Modify', replacement: 'True', policyAction: 'Delete' }),
    ];
    expect(evaluateChanges(policy, denied).changes.map((c) => c.verdict)).toEqual(['DENY', 'DENY', 'DENY', 'DENY']);
  });
});

describe('rules policy: first match wins, then defaultVerdict', () => {
  // the example of SafetyPolicy.fromRules
  const policy: RulesDocument = {
    type: 'rules',
    rules: [
      { verdict: 'ALLOW', resourceTypes: ['AWS::Lambda::Version'] },
      { verdict: 'DENY', actions: ['Remove'] },
      { verdict: 'DENY', replacements: ['True', 'Conditional'], description: 'no-replacement-here' },
    ],
    defaultVerdict: 'ALLOW',
  };

  test.each<[string, ChangeInput, Verdict, string]>([
    ['removing a Lambda version matches rule #1 before the Remove rule', resourceChange({ action: 'Remove' }, 'V1', 'AWS::Lambda::Version'), 'ALLOW', 'rule #1'],
    ['removing a bucket matches rule #2', resourceChange({ action: 'Remove' }, 'B', 'AWS::S3::Bucket'), 'DENY', 'rule #2'],
    ['replacing a table matches rule #3 (its description is the rule name)', resourceChange({ action: 'Modify', replacement: 'True' }, 'T', 'AWS::DynamoDB::Table'), 'DENY', 'no-replacement-here'],
    ['modifying in place matches no rule: defaultVerdict', resourceChange({ action: 'Modify', replacement: 'False' }, 'T', 'AWS::DynamoDB::Table'), 'ALLOW', 'default-verdict'],
  ])('%s', (_what, change, verdict, rule) => {
    expect(evaluateChange(policy, change)).toMatchObject({ verdict, rule });
  });

  test.each<Verdict>(['DENY', 'REQUIRE_APPROVAL', 'ALLOW'])('a change no rule matches gets defaultVerdict %s', (defaultVerdict) => {
    const doc: RulesDocument = { type: 'rules', rules: [{ verdict: 'ALLOW', actions: ['Add'] }], defaultVerdict };
    expect(evaluateChange(doc, resourceChange({ action: 'Remove' }))).toMatchObject({ verdict: defaultVerdict, rule: 'default-verdict' });
  });

  test('every criterion of a rule must match (AND)', () => {
    const doc: RulesDocument = {
      type: 'rules', rules: [{ verdict: 'REQUIRE_APPROVAL', actions: ['Modify'], resourceTypes: ['AWS::IAM::*'], logicalIds: ['Admin*'] }], defaultVerdict: 'ALLOW',
    };
    const modify = { action: 'Modify', replacement: 'False' };
    expect(evaluateChange(doc, resourceChange(modify, 'AdminRole', 'AWS::IAM::Role')).verdict).toBe('REQUIRE_APPROVAL');
    expect(evaluateChange(doc, resourceChange(modify, 'ReaderRole', 'AWS::IAM::Role')).verdict).toBe('ALLOW');
    expect(evaluateChange(doc, resourceChange(modify, 'AdminBucket', 'AWS::S3::Bucket')).verdict).toBe('ALLOW');
    expect(evaluateChange(doc, resourceChange({ action: 'Add' }, 'AdminRole', 'AWS::IAM::Role')).verdict).toBe('ALLOW');
  });

  test('a replacements or policyActions criterion does not match a change that has no such value', () => {
    const doc: RulesDocument = {
      type: 'rules',
      rules: [
        { verdict: 'DENY', replacements: ['False'] },
        { verdict: 'DENY', policyActions: ['Retain'] },
      ],
      defaultVerdict: 'ALLOW',
    };
    expect(evaluateChange(doc, resourceChange({ action: 'Add' })).verdict).toBe('ALLOW');
    expect(evaluateChange(doc, resourceChange({ action: 'Remove', policyAction: 'Retain' }))).toMatchObject({ verdict: 'DENY', rule: 'rule #2' });
  });
});

describe('allowAll and the overall verdict', () => {
  test('allowAll allows every destructive change the default policy denies', () => {
    const changes = [
      resourceChange({ action: 'Remove', policyAction: 'Delete' }),
      resourceChange({ action: 'Modify', replacement: 'True', policyAction: 'ReplaceAndDelete' }),
      resourceChange({ action: 'Modify', replacement: 'Conditional' }),
      resourceChange({ action: 'Dynamic' }),
    ];
    expect(evaluateChanges({ type: 'denyDestructive' }, changes).verdict).toBe('DENY');
    const result = evaluateChanges({ type: 'allowAll' }, changes);
    expect(result.verdict).toBe('ALLOW');
    expect(result.changes.every((c) => c.verdict === 'ALLOW' && c.rule === 'allow-all')).toBe(true);
  });

  test('one denied change denies the change set; approval outranks allow; no change is ALLOW', () => {
    const doc: RulesDocument = {
      type: 'rules',
      rules: [{ verdict: 'DENY', actions: ['Remove'] }, { verdict: 'REQUIRE_APPROVAL', actions: ['Modify'] }],
      defaultVerdict: 'ALLOW',
    };
    const add = resourceChange({ action: 'Add' });
    const modify = resourceChange({ action: 'Modify', replacement: 'False' });
    const remove = resourceChange({ action: 'Remove' });
    expect(evaluateChanges(doc, []).verdict).toBe('ALLOW');
    expect(evaluateChanges(doc, [add]).verdict).toBe('ALLOW');
    expect(evaluateChanges(doc, [add, modify]).verdict).toBe('REQUIRE_APPROVAL');
    expect(evaluateChanges(doc, [modify, remove, add]).verdict).toBe('DENY');
    expect(evaluateChanges(doc, [modify, remove, add]).changes.map((c) => c.verdict)).toEqual(['REQUIRE_APPROVAL', 'DENY', 'ALLOW']);
  });

  test('GIVEN an explicit null where CloudFormation leaves a field out (PolicyAction on a plain Modify) THEN it is read as absent, not as an unknown value', () => {
    const change = { Type: 'Resource', ResourceChange: { Action: 'Modify', LogicalResourceId: 'Queue', ResourceType: 'AWS::SQS::Queue', Replacement: 'False', PolicyAction: null } };
    expect(evaluateChange({ type: 'denyDestructive' }, change as unknown as ChangeInput)).toMatchObject({ verdict: 'ALLOW', rule: 'in-place-modify-is-safe' });
    expect(evaluateChange({ type: 'denyDestructive' }, change as unknown as ChangeInput).policyAction).toBeUndefined();
    // A null Replacement on a Modify is a missing Replacement: still not known, still denied.
    const noReplacement = { Type: 'Resource', ResourceChange: { Action: 'Modify', LogicalResourceId: 'Q', ResourceType: 'AWS::SQS::Queue', Replacement: null } };
    expect(evaluateChange({ type: 'denyDestructive' }, noReplacement as unknown as ChangeInput)).toMatchObject({ verdict: 'DENY', rule: 'unrecognised-value: replacement undefined' });
  });

  test('GIVEN a rules document with a rule without criteria (not one validation let through) THEN every change is denied, naming the rule, never matched by it', () => {
    const doc = { type: 'rules', rules: [{ verdict: 'DENY', actions: ['Remove'] }, { verdict: 'ALLOW', description: 'everything' }], defaultVerdict: 'ALLOW' } as RulesDocument;
    for (const change of [resourceChange({ action: 'Add' }), resourceChange({ action: 'Remove' }), resourceChange({ action: 'Modify', replacement: 'True' })]) {
      expect(evaluateChange(doc, change)).toMatchObject({ verdict: 'DENY', rule: 'rule-without-criteria: rule #2' });
    }
    expect(evaluateChanges({ ...doc, rules: [null as never] }, [resourceChange({ action: 'Add' })]).verdict).toBe('DENY');
  });

  test('GIVEN a rules document without defaultVerdict THEN an unmatched change is denied', () => {
    const doc: RulesDocument = { type: 'rules', rules: [{ verdict: 'ALLOW', actions: ['Add'] }] };
    expect(evaluateChange(doc, resourceChange({ action: 'Modify', replacement: 'False' }))).toMatchObject({ verdict: 'DENY', rule: 'default-verdict' });
  });
});
