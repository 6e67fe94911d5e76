/**
 * Permission broadening on DescribeChangeSet payloads with property values (BeforeContext / AfterContext, as
 * the CloudFormation API reference shows them): what widens, what narrows, what cannot be seen.
 */
import { doc, modify } from './permission-changes';
import { RuleVerdict, SafetyPolicy } from '../../src';
import type { ChangeInput } from '../../src/policy/evaluate';
import { evaluateChange } from '../../src/policy/evaluate';
import { permissionBroadening } from '../../src/policy/permissions';
import { validatePolicyDocument } from '../../src/shared/validate-document';

const statement = (Action: string | string[], Resource: string | string[] = '*', more: Record<string, unknown> = {}) =>
  ({ Effect: 'Allow', Action, Resource, ...more });

function add(type: string, properties?: Record<string, unknown>): ChangeInput {
  return {
    Type: 'Resource',
    ResourceChange: { Action: 'Add', LogicalResourceId: 'New', ResourceType: type, ...(properties ? { AfterContext: JSON.stringify({ Properties: properties }) } : {}) },
  } as unknown as ChangeInput;
}
const role = (policies: unknown[], more: Record<string, unknown> = {}) => ({
  AssumeRolePolicyDocument: doc({ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }),
  Policies: [{ PolicyName: 'app', PolicyDocument: doc(...policies) }],
  ...more,
});
const sg = (...SecurityGroupIngress: unknown[]) => ({ GroupDescription: 'app', SecurityGroupIngress });
const ssh = { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIp: '0.0.0.0/0' };
const https = { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '10.0.0.0/8' };

describe('what widens permissions', () => {
  test.each<[string, ChangeInput, RegExp]>([
    ['a statement added to an inline role policy', modify('AWS::IAM::Role', role([statement('s3:GetObject')]), role([statement('s3:GetObject'), statement('s3:DeleteObject', 'arn:aws:s3:::data/*')]), ['Policies']),
      /Policies allows more: Allow Action s3:DeleteObject Resource arn:aws:s3:::data\/\*/],
    ['an action added to a statement', modify('AWS::IAM::Policy', { PolicyDocument: doc(statement('sqs:SendMessage')) }, { PolicyDocument: doc(statement(['sqs:SendMessage', 'sqs:PurgeQueue'])) }, ['PolicyDocument']),
      /PolicyDocument allows more: Allow Action sqs:SendMessage,sqs:PurgeQueue/],
    ['a bucket policy opened to everyone', modify('AWS::S3::BucketPolicy',
      { PolicyDocument: doc(statement('s3:GetObject', 'arn:aws:s3:::b/*', { Principal: { AWS: 'arn:aws:iam::111111111111:root' } })) },
      { PolicyDocument: doc(statement('s3:GetObject', 'arn:aws:s3:::b/*', { Principal: '*' })) }, ['PolicyDocument']), /Principal \*/],
    ['a trust policy that lets another account assume the role', modify('AWS::IAM::Role', role([]),
      { ...role([]), AssumeRolePolicyDocument: doc({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:root' }, Action: 'sts:AssumeRole' }) }, ['AssumeRolePolicyDocument']),
    /AssumeRolePolicyDocument allows more/],
    ['a deny statement taken away', modify('AWS::KMS::Key',
      { KeyPolicy: doc(statement('kms:*'), { Effect: 'Deny', Action: 'kms:ScheduleKeyDeletion', Resource: '*', Principal: '*' }) },
      { KeyPolicy: doc(statement('kms:*')) }, ['KeyPolicy']), /KeyPolicy denies less: Deny Action kms:ScheduleKeyDeletion/],
    ['a managed policy attached', modify('AWS::IAM::Role', role([]), role([], { ManagedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] }), ['ManagedPolicyArns']),
      /ManagedPolicyArns adds arn:aws:iam::aws:policy\/AdministratorAccess/],
    ['an inline ingress rule added', modify('AWS::EC2::SecurityGroup', sg(https), sg(https, ssh), ['SecurityGroupIngress']),
      /SecurityGroupIngress adds the rule tcp port 22 with 0\.0\.0\.0\/0/],
    ['an ingress rule of its own', add('AWS::EC2::SecurityGroupIngress', { GroupId: 'sg-1', ...ssh }), /new AWS::EC2::SecurityGroupIngress grants permissions/],
    ['a new managed policy', add('AWS::IAM::ManagedPolicy', { PolicyDocument: doc(statement('s3:*')) }), /new AWS::IAM::ManagedPolicy grants permissions/],
    ['a new role, values not given', add('AWS::IAM::Role'), /new AWS::IAM::Role grants permissions/],
    ['a Lambda permission changed', modify('AWS::Lambda::Permission', { Principal: 'events.amazonaws.com' }, { Principal: '*' }, ['Principal']), /changes a permission resource/],
    ['a policy document changed, values not given', modify('AWS::IAM::Policy', {}, {}, ['PolicyDocument'], false), /changes PolicyDocument, whose values CloudFormation did not give/],
    ['a policy document known only after the change', modify('AWS::IAM::Policy', { PolicyDocument: doc(statement('s3:GetObject')) }, { PolicyDocument: '{{changeSet:KNOWN_AFTER_APPLY}}' }, ['PolicyDocument']),
      /changes PolicyDocument, whose statements cannot be read/],
    ['a statement given as text', modify('AWS::KMS::Key', { KeyPolicy: doc(statement('kms:Decrypt')) }, { KeyPolicy: { Statement: ['Allow everything'] } }, ['KeyPolicy']), /statements cannot be read/],
    ['egress rules removed (EC2 restores the allow-all default)', modify('AWS::EC2::SecurityGroup', { SecurityGroupEgress: [https] }, {}, ['SecurityGroupEgress']),
      /SecurityGroupEgress loses its rules: EC2 restores the default that allows all outbound traffic/],
    ['a new security group without egress rules (the allow-all default)', add('AWS::EC2::SecurityGroup', { GroupDescription: 'empty' }), /new AWS::EC2::SecurityGroup grants permissions/],
    ['a detail that does not say its attribute', {
      Type: 'Resource',
      ResourceChange: {
        Action: 'Modify',
        LogicalResourceId: 'P',
        ResourceType: 'AWS::IAM::Policy',
        Replacement: 'False',
        Details: [{ Target: { Name: 'PolicyDocument' } }],
        BeforeContext: JSON.stringify({ Properties: { PolicyDocument: doc(statement('s3:GetObject')) } }),
        AfterContext: JSON.stringify({ Properties: { PolicyDocument: doc(statement('*')) } }),
      },
    } as unknown as ChangeInput, /PolicyDocument allows more: Allow Action \*/],
    ['a new role whose context has no Properties', { Type: 'Resource', ResourceChange: { Action: 'Add', LogicalResourceId: 'R', ResourceType: 'AWS::IAM::Role', AfterContext: '{}' } } as unknown as ChangeInput,
      /new AWS::IAM::Role grants permissions/],
    ['a principal widened from AWS accounts to a service', modify('AWS::SNS::TopicPolicy',
      { PolicyDocument: doc(statement('sns:Publish', '*', { Principal: { AWS: '*' } })) },
      { PolicyDocument: doc(statement('sns:Publish', '*', { Principal: { AWS: '*', Service: 'events.amazonaws.com' } })) }, ['PolicyDocument']), /allows more/],
  ])('%s', (_what, change, reason) => {
    expect(permissionBroadening(change)).toMatch(reason);
  });
});

describe('what does not widen them', () => {
  test.each<[string, ChangeInput]>([
    ['a statement removed', modify('AWS::IAM::Role', role([statement('s3:GetObject'), statement('s3:PutObject')]), role([statement('s3:GetObject')]), ['Policies'])],
    ['an action removed from a statement', modify('AWS::IAM::Policy', { PolicyDocument: doc(statement(['s3:GetObject', 's3:PutObject'])) }, { PolicyDocument: doc(statement('s3:GetObject')) }, ['PolicyDocument'])],
    ['statements reordered, lists in another order', modify('AWS::IAM::Policy', { PolicyDocument: doc(statement(['a:B', 'a:A']), statement('c:D')) }, { PolicyDocument: doc(statement('c:D'), statement(['a:A', 'a:B'])) }, ['PolicyDocument'])],
    ['a deny statement added', modify('AWS::S3::BucketPolicy', { PolicyDocument: doc(statement('s3:GetObject')) }, { PolicyDocument: doc(statement('s3:GetObject'), { Effect: 'Deny', Action: 's3:*', Resource: '*', Principal: '*' }) }, ['PolicyDocument'])],
    ['an ingress rule removed', modify('AWS::EC2::SecurityGroup', sg(https, ssh), sg(https), ['SecurityGroupIngress'])],
    ['an unrelated property of a role', modify('AWS::IAM::Role', role([statement('s3:GetObject')], { Description: 'old' }), role([statement('s3:GetObject')], { Description: 'new' }), ['Description'], false)],
    ['a resource that grants nothing', modify('AWS::SQS::Queue', { VisibilityTimeout: 30 }, { VisibilityTimeout: 60 }, ['VisibilityTimeout'])],
    ['a removed role', { Type: 'Resource', ResourceChange: { Action: 'Remove', LogicalResourceId: 'Old', ResourceType: 'AWS::IAM::Role', PolicyAction: 'Delete' } }],
  ])('%s', (_what, change) => {
    expect(permissionBroadening(change)).toBeUndefined();
  });
});

const page = (...changes: ChangeInput[]) => [{ Status: 'CREATE_COMPLETE', Changes: changes }];

test('GIVEN a new nested stack whose own change set was not read THEN it counts as widening; read, it is judged by what is inside', () => {
  const nested: ChangeInput = { Type: 'Resource', ResourceChange: { Action: 'Add', LogicalResourceId: 'Data', ResourceType: 'AWS::CloudFormation::Stack' } };
  const policy = { type: 'denyDestructive' as const, broadeningVerdict: 'DENY' as const };
  expect(evaluateChange(policy, nested, { nestedChangeSet: 'nested stacks are not inspected' }))
    .toMatchObject({ verdict: 'DENY', rule: 'permission-broadening: a new nested stack whose own change set was not read' });
  expect(evaluateChange(policy, nested, { nestedChangeSet: true })).toMatchObject({ verdict: 'ALLOW', rule: 'add-is-safe' });
});

describe('denyDestructiveChanges({ permissionBroadeningVerdict })', () => {
  const askWhenWider = SafetyPolicy.denyDestructiveChanges({ permissionBroadeningVerdict: RuleVerdict.REQUIRE_APPROVAL });
  const added = modify('AWS::IAM::Role', role([statement('s3:GetObject')]), role([statement('s3:GetObject'), statement('iam:PassRole')]), ['Policies']);
  const removed = modify('AWS::IAM::Role', role([statement('s3:GetObject'), statement('iam:PassRole')]), role([statement('s3:GetObject')]), ['Policies']);
  const opened = modify('AWS::EC2::SecurityGroup', sg(https), sg(https, ssh), ['SecurityGroupIngress']);
  const unrelated = modify('AWS::Lambda::Function', { MemorySize: 128 }, { MemorySize: 256 }, ['MemorySize']);

  test('an added statement or an opened ingress rule needs approval, naming it; a removed statement or an unrelated change is allowed', () => {
    const result = askWhenWider.evaluateChangeSet(page(added, opened, removed, unrelated));
    expect(result.changes.map((c) => [c.verdict, c.rule])).toEqual([
      ['REQUIRE_APPROVAL', 'permission-broadening: Policies allows more: Allow Action iam:PassRole Resource *'],
      ['REQUIRE_APPROVAL', 'permission-broadening: SecurityGroupIngress adds the rule tcp port 22 with 0.0.0.0/0'],
      ['ALLOW', 'in-place-modify-is-safe'],
      ['ALLOW', 'in-place-modify-is-safe'],
    ]);
    expect(result.verdict).toBe('REQUIRE_APPROVAL');
  });

  test('without the option, widened permissions are judged like any other change (the default is unchanged)', () => {
    expect(SafetyPolicy.denyDestructiveChanges().evaluateChangeSet(page(added, opened)).verdict).toBe('ALLOW');
  });

  test('a destructive change stays refused by its own rule, widening or not', () => {
    const replaced = { Type: 'Resource', ResourceChange: { ...added.ResourceChange, Replacement: 'True' } } as ChangeInput;
    expect(askWhenWider.evaluateChangeSet(page(replaced)).changes[0]).toMatchObject({ verdict: 'DENY', rule: 'no-replacement' });
  });

  test('DENY refuses widening; ALLOW is refused as meaningless; a document may say the same', () => {
    expect(SafetyPolicy.denyDestructiveChanges({ permissionBroadeningVerdict: RuleVerdict.DENY }).evaluateChangeSet(page(opened)).verdict).toBe('DENY');
    expect(() => SafetyPolicy.denyDestructiveChanges({ permissionBroadeningVerdict: RuleVerdict.ALLOW }))
      .toThrow('SafetyPolicy.denyDestructiveChanges: permissionBroadeningVerdict ALLOW is what leaving it out does; give DENY or REQUIRE_APPROVAL');
    expect(validatePolicyDocument({ type: 'denyDestructive', broadeningVerdict: 'REQUIRE_APPROVAL' })).toEqual([]);
    expect(validatePolicyDocument({ type: 'denyDestructive', broadeningVerdict: 'ALLOW' })).toEqual(['broadeningVerdict must be DENY or REQUIRE_APPROVAL']);
  });
});

describe('the rule criterion broadensPermissions', () => {
  const policy = SafetyPolicy.fromRules([
    { verdict: RuleVerdict.REQUIRE_APPROVAL, broadensPermissions: true, description: 'wider permissions' },
    { verdict: RuleVerdict.ALLOW, broadensPermissions: false, resourceTypes: ['AWS::IAM::*', 'AWS::EC2::*'] },
  ]);

  test('true matches a widening change and names it; false matches the others', () => {
    const wider = modify('AWS::EC2::SecurityGroup', sg(https), sg(https, ssh), ['SecurityGroupIngress']);
    const narrower = modify('AWS::EC2::SecurityGroup', sg(https, ssh), sg(https), ['SecurityGroupIngress']);
    expect(policy.evaluateChangeSet(page(wider, narrower)).changes.map((c) => [c.verdict, c.rule])).toEqual([
      ['REQUIRE_APPROVAL', 'wider permissions (permission-broadening: SecurityGroupIngress adds the rule tcp port 22 with 0.0.0.0/0)'],
      ['ALLOW', 'rule #2'],
    ]);
  });

  test('it takes true or false, at synth and in a document', () => {
    expect(() => SafetyPolicy.fromRules([{ verdict: RuleVerdict.DENY, broadensPermissions: 'yes' as unknown as boolean }]))
      .toThrow('SafetyPolicy.fromRules: rule #1 broadensPermissions: give true or false, or leave it out');
    expect(validatePolicyDocument({ type: 'rules', rules: [{ verdict: 'DENY', broadensPermissions: 1 }] }))
      .toEqual(['rule #1: broadensPermissions must be true or false']);
  });
});
