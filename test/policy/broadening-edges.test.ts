/**
 * Permission broadening at its edges: the parts of an IAM statement that limit it (Condition, NotAction,
 * NotResource, NotPrincipal) taken away widen it; a wildcard covers what it names; a deny that denies less widens.
 */
import { doc, modify } from './permission-changes';
import type { ChangeInput } from '../../src/policy/evaluate';
import { permissionBroadening } from '../../src/policy/permissions';

const allow = (more: Record<string, unknown>) => ({ Effect: 'Allow', ...more });
const deny = (more: Record<string, unknown>) => ({ Effect: 'Deny', ...more });

/** A Modify of a bucket policy (or `type`'s `property`) from one document to another, with property values. */
function policyChange(before: unknown, after: unknown, type = 'AWS::S3::BucketPolicy', property = 'PolicyDocument'): ChangeInput {
  return modify(type, { [property]: before }, { [property]: after }, [property]);
}

const ORG_ONLY = { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } };
const READ = { Action: 's3:GetObject', Resource: 'arn:aws:s3:::data/*', Principal: '*' };

describe('a limit taken away widens', () => {
  test.each<[string, ChangeInput, RegExp]>([
    ['a Condition removed from an allow statement (the bucket readable by everyone, not only the organization)',
      policyChange(doc(allow({ ...READ, Condition: ORG_ONLY })), doc(allow(READ))), /PolicyDocument allows more: Allow Action s3:GetObject/],
    ['a Condition loosened (another organization too)',
      policyChange(doc(allow({ ...READ, Condition: ORG_ONLY })), doc(allow({ ...READ, Condition: { StringEquals: { 'aws:PrincipalOrgID': ['o-a1b2c3d4e5', 'o-zzzzzzzzzz'] } } }))),
      /allows more/],
    ['an action taken out of NotAction (everything but iam:* and s3:*, then everything but iam:*)',
      policyChange(doc(allow({ NotAction: ['iam:*', 's3:*'], Resource: '*' })), doc(allow({ NotAction: 'iam:*', Resource: '*' })),
        'AWS::IAM::ManagedPolicy'), /PolicyDocument allows more: Allow NotAction iam:\*/],
    ['a resource taken out of NotResource',
      policyChange(doc(allow({ Action: 's3:*', NotResource: ['arn:aws:s3:::secrets/*', 'arn:aws:s3:::keys/*'] })),
        doc(allow({ Action: 's3:*', NotResource: 'arn:aws:s3:::secrets/*' })), 'AWS::IAM::ManagedPolicy'), /allows more/],
    ['a Condition added to a deny statement (it denied every insecure request; now only those from outside the organization)',
      policyChange(doc(allow(READ), deny({ Action: 's3:*', Resource: '*', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })),
        doc(allow(READ), deny({ Action: 's3:*', Resource: '*', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' }, StringNotEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } } }))),
      /PolicyDocument denies less: Deny Action s3:\*/],
    ['a deny narrowed to fewer actions',
      policyChange(doc(allow(READ), deny({ Action: ['s3:DeleteObject', 's3:PutBucketPolicy'], Resource: '*', Principal: '*' })),
        doc(allow(READ), deny({ Action: 's3:DeleteObject', Resource: '*', Principal: '*' }))), /PolicyDocument denies less: Deny Action s3:DeleteObject,s3:PutBucketPolicy .*is gone/],
    ['a NotPrincipal taken away from a deny (it denied everyone but the admin role; now only the admin role)',
      policyChange(doc(deny({ Action: 's3:*', Resource: '*', NotPrincipal: { AWS: 'arn:aws:iam::111111111111:role/admin' } })),
        doc(deny({ Action: 's3:*', Resource: '*', Principal: { AWS: 'arn:aws:iam::111111111111:role/admin' } }))), /denies less/],
  ])('%s', (_what, change, reason) => {
    expect(permissionBroadening(change)).toMatch(reason);
  });
});

describe('what covers what it names does not widen', () => {
  test.each<[string, ChangeInput]>([
    ['an action narrowed from "*" to one', policyChange(doc(allow({ Action: '*', Resource: 'arn:aws:s3:::data/*', Principal: '*' })), doc(allow(READ)))],
    ['a resource narrowed from "*" to one', policyChange(doc(allow({ ...READ, Resource: '*' })), doc(allow(READ)))],
    ['a principal narrowed from everyone to one account', policyChange(doc(allow(READ)), doc(allow({ ...READ, Principal: { AWS: 'arn:aws:iam::111111111111:root' } })))],
    ['the same Condition, its keys in another order',
      policyChange(doc(allow({ ...READ, Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5', 'aws:PrincipalTag/team': 'data' } } })),
        doc(allow({ ...READ, Condition: { StringEquals: { 'aws:PrincipalTag/team': 'data', 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } } })))],
    ['a deny widened to more actions', policyChange(doc(allow(READ), deny({ Action: 's3:DeleteObject', Resource: '*', Principal: '*' })),
      doc(allow(READ), deny({ Action: ['s3:DeleteObject', 's3:PutBucketPolicy'], Resource: '*', Principal: '*' })))],
  ])('%s', (_what, change) => {
    expect(permissionBroadening(change)).toBeUndefined();
  });
});

describe('new resources', () => {
  test('GIVEN a new user with a permissions boundary only WHEN judged THEN it grants nothing; with a policy it does', () => {
    const add = (Properties: Record<string, unknown>) => ({
      Type: 'Resource', ResourceChange: { Action: 'Add', LogicalResourceId: 'U', ResourceType: 'AWS::IAM::User', AfterContext: JSON.stringify({ Properties }) },
    } as unknown as ChangeInput);
    expect(permissionBroadening(add({ PermissionsBoundary: 'arn:aws:iam::111111111111:policy/boundary' }))).toBeUndefined();
    expect(permissionBroadening(add({ PermissionsBoundary: 'arn:aws:iam::111111111111:policy/boundary', ManagedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] })))
      .toBe('new AWS::IAM::User grants permissions');
  });
});
