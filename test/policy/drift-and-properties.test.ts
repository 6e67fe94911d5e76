/**
 * Drift-aware change sets (SyncWithActual, ResourceDriftStatus) and the rule criteria `driftStatuses` and
 * `properties`, on DescribeChangeSet shapes from the CloudFormation API reference.
 */
import { ChangeAction, DriftStatus, RuleVerdict, SafetyPolicy } from '../../src';
import { evaluateChange } from '../../src/policy/evaluate';
import type { ChangeInput } from '../../src/policy/evaluate';
import { validatePolicyDocument } from '../../src/shared/validate-document';

/** A Modify of an RDS instance whose Details name each property it changes. */
function modify(properties: string[], more: Record<string, unknown> = {}): ChangeInput {
  return {
    Type: 'Resource',
    ResourceChange: {
      Action: 'Modify',
      LogicalResourceId: 'Database',
      ResourceType: 'AWS::RDS::DBInstance',
      Replacement: 'False',
      Scope: ['Properties'],
      Details: properties.map((name) => ({
        Target: { Attribute: 'Properties', Name: name, RequiresRecreation: 'Never' }, Evaluation: 'Static', ChangeSource: 'DirectModification',
      })),
      ...more,
    },
  } as ChangeInput;
}

/** A drift-aware change set's change that only brings CloudFormation's record in line (the resource is not changed). */
const SYNC: ChangeInput = {
  Type: 'Resource',
  ResourceChange: {
    Action: 'SyncWithActual',
    LogicalResourceId: 'Queue',
    ResourceType: 'AWS::SQS::Queue',
    ResourceDriftStatus: 'MODIFIED',
    Scope: ['Properties'],
    Details: [{ Target: { Attribute: 'Properties', Name: 'VisibilityTimeout', AttributeChangeType: 'SyncWithActual', BeforeValueFrom: 'ACTUAL_STATE' } }],
  },
} as unknown as ChangeInput;

const page = (...changes: ChangeInput[]) => [{ Status: 'CREATE_COMPLETE', Changes: changes }];

describe('drift-aware change sets', () => {
  test('GIVEN a SyncWithActual change THEN the default policy allows it under its own rule', () => {
    const result = SafetyPolicy.denyDestructiveChanges().evaluateChangeSet(page(SYNC));
    expect(result).toMatchObject({ verdict: 'ALLOW', changes: [{ logicalId: 'Queue', action: 'SyncWithActual', rule: 'sync-with-actual-changes-metadata-only' }] });
  });

  test('GIVEN a SyncWithActual change that also names a deletion policy action THEN it is denied like any other', () => {
    const change = { Type: 'Resource', ResourceChange: { ...SYNC.ResourceChange, PolicyAction: 'Delete' } } as ChangeInput;
    expect(evaluateChange({ type: 'denyDestructive' }, change)).toMatchObject({ verdict: 'DENY', rule: 'no-destructive-policy-action' });
  });

  test('GIVEN a drift status the library does not know THEN the change is denied, naming it', () => {
    const change = modify(['DBInstanceClass'], { ResourceDriftStatus: 'SIDEWAYS' });
    expect(evaluateChange({ type: 'denyDestructive' }, change)).toMatchObject({ verdict: 'DENY', rule: 'unrecognised-value: drift status "SIDEWAYS"' });
    expect(evaluateChange({ type: 'allowAll' }, change).verdict).toBe('ALLOW');
  });

  test('GIVEN a rule on driftStatuses THEN reverting drift asks a person while changes to resources in sync are allowed', () => {
    const policy = SafetyPolicy.fromRules([
      {
        verdict: RuleVerdict.REQUIRE_APPROVAL,
        driftStatuses: [DriftStatus.MODIFIED, DriftStatus.DELETED],
        actions: [ChangeAction.MODIFY, ChangeAction.ADD],
      },
    ], { defaultVerdict: RuleVerdict.ALLOW });
    const result = policy.evaluateChangeSet(page(
      modify(['AllocatedStorage'], { ResourceDriftStatus: 'MODIFIED', LogicalResourceId: 'Drifted' }),
      modify(['AllocatedStorage'], { ResourceDriftStatus: 'IN_SYNC', LogicalResourceId: 'InSync' }),
      modify(['AllocatedStorage'], { LogicalResourceId: 'NotDriftAware' }),
      SYNC,
    ));
    expect(result.changes.map((c) => [c.logicalId, c.verdict])).toEqual([
      ['Drifted', 'REQUIRE_APPROVAL'], ['InSync', 'ALLOW'], ['NotDriftAware', 'ALLOW'], ['Queue', 'ALLOW'],
    ]);
  });

  test('driftStatuses takes only the statuses CloudFormation gives, at synth and in a policy document', () => {
    expect(() => SafetyPolicy.fromRules([{ verdict: RuleVerdict.DENY, driftStatuses: ['SIDEWAYS' as DriftStatus] }]))
      .toThrow(/SafetyPolicy.fromRules: rule #1 driftStatuses: "SIDEWAYS" is not one of IN_SYNC, MODIFIED, DELETED, NOT_CHECKED, UNKNOWN, UNSUPPORTED/);
    expect(validatePolicyDocument({ type: 'rules', rules: [{ verdict: 'DENY', driftStatuses: ['SIDEWAYS'] }] }))
      .toEqual(['rule #1: driftStatuses must be a non-empty list of IN_SYNC, MODIFIED, DELETED, NOT_CHECKED, UNKNOWN, UNSUPPORTED']);
  });
});

describe('rules on the properties a change touches', () => {
  const askForInstanceClass = SafetyPolicy.fromRules([
    { verdict: RuleVerdict.REQUIRE_APPROVAL, resourceTypes: ['AWS::RDS::DBInstance'], properties: ['DBInstanceClass'] },
  ], { defaultVerdict: RuleVerdict.ALLOW });

  test.each<[string, string[], RuleVerdict]>([
    ['the instance class alone', ['DBInstanceClass'], RuleVerdict.REQUIRE_APPROVAL],
    ['the instance class among others', ['AllocatedStorage', 'DBInstanceClass'], RuleVerdict.REQUIRE_APPROVAL],
    ['other properties only', ['AllocatedStorage', 'BackupRetentionPeriod'], RuleVerdict.ALLOW],
  ])('GIVEN "any change to DBInstanceClass needs approval" WHEN a change touches %s THEN %s', (_what, properties, verdict) => {
    expect(askForInstanceClass.evaluateChangeSet(page(modify(properties))).verdict).toBe(verdict);
  });

  const allowTagsOnly = SafetyPolicy.fromRules([{ verdict: RuleVerdict.ALLOW, properties: ['Tags', 'Tags/*'] }]);

  test.each<[string, ChangeInput, RuleVerdict]>([
    ['only tags', modify(['Tags']), RuleVerdict.ALLOW],
    ['the Tags attribute (no property name)', modify([], { Details: [{ Target: { Attribute: 'Tags' } }] }), RuleVerdict.ALLOW],
    ['tags and the security groups', modify(['Tags', 'VPCSecurityGroups']), RuleVerdict.DENY],
    ['a property CloudFormation does not name', modify([], { Details: [{ Target: { Attribute: 'Properties' } }, { Target: { Attribute: 'Tags' } }] }), RuleVerdict.DENY],
    ['no details at all', modify([]), RuleVerdict.DENY],
    ['an addition (no properties listed)', { Type: 'Resource', ResourceChange: { Action: 'Add', LogicalResourceId: 'New', ResourceType: 'AWS::SQS::Queue' } }, RuleVerdict.DENY],
  ])('GIVEN "allow changes confined to tags" WHEN a change touches %s THEN %s (an ALLOW rule matches only a change that stays within its properties)', (_what, change, verdict) => {
    expect(allowTagsOnly.evaluateChangeSet(page(change)).verdict).toBe(verdict);
  });

  test('GIVEN a detail with only a path (as with property values) THEN its property name is read from the path', () => {
    const change = modify([], { Details: [{ Target: { Attribute: 'Properties', Path: '/Properties/DBInstanceClass', BeforeValue: 'db.t3.micro', AfterValue: 'db.r6g.large' } }] });
    expect(askForInstanceClass.evaluateChangeSet(page(change)).verdict).toBe('REQUIRE_APPROVAL');
  });

  test.each<[string, Record<string, unknown>]>([
    ['a detail that names nothing', { Details: [{ Target: { Attribute: 'Properties', RequiresRecreation: 'Conditionally' } }] }],
    ['no details', { Details: [] }],
    ['details left out', { Details: undefined }],
    ['a detail whose attribute is null, with a path', { Details: [{ Target: { Attribute: null, Path: '/Properties/DBInstanceClass' } }] }],
    ['a detail with a name and no attribute', { Details: [{ Target: { Name: 'DBInstanceClass' } }] }],
  ])('GIVEN "any change to DBInstanceClass needs approval" WHEN a Modify has %s THEN it needs approval (a refusing rule fails closed too)', (_what, more) => {
    expect(askForInstanceClass.evaluateChangeSet(page(modify([], more))).verdict).toBe(RuleVerdict.REQUIRE_APPROVAL);
  });

  test.each<[string, ChangeInput]>([
    ['a replacement', modify(['Tags'], { Replacement: 'True', PolicyAction: 'ReplaceAndDelete' })],
    ['a conditional replacement', modify(['Tags'], { Replacement: 'Conditional' })],
    ['a dynamic change', modify(['Tags'], { Action: 'Dynamic', Replacement: undefined })],
  ])('GIVEN "allow changes confined to tags" WHEN the tags change comes with %s THEN the rule does not allow it', (_what, change) => {
    expect(allowTagsOnly.evaluateChangeSet(page(change)).verdict).toBe(RuleVerdict.DENY);
  });

  test('GIVEN property paths (IncludePropertyValues) THEN a glob on the path matches too', () => {
    const change = modify([], { Details: [{ Target: { Attribute: 'Properties', Name: 'Tags', Path: '/Properties/Tags/0/Value' } }] });
    const denyTagValues = SafetyPolicy.fromRules([{ verdict: RuleVerdict.DENY, properties: ['/Properties/Tags/*/Value'] }], { defaultVerdict: RuleVerdict.ALLOW });
    expect(denyTagValues.evaluateChangeSet(page(change)).verdict).toBe('DENY');
  });

  test('properties takes a non-empty list of globs, at synth and in a policy document', () => {
    expect(() => SafetyPolicy.fromRules([{ verdict: RuleVerdict.DENY, properties: [] }]))
      .toThrow('SafetyPolicy.fromRules: rule #1 properties: give a non-empty list of globs or leave it out');
    expect(validatePolicyDocument({ type: 'rules', rules: [{ verdict: 'DENY', properties: [''] }] }))
      .toEqual(['rule #1: properties must be a non-empty list of non-empty strings']);
  });
});
