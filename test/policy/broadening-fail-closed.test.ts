/**
 * Permission broadening where CloudFormation tells less than usual: a change it calls Dynamic (its values are
 * resolved only when the change set runs) is read like a Modify, and a document it cannot read before the change is
 * not taken as empty (it may have denied what the new one no longer denies): both widen, fail closed.
 */
import { doc, modify } from './permission-changes';
import type { ChangeInput } from '../../src/policy/evaluate';
import { permissionBroadening } from '../../src/policy/permissions';

/** The same change as `modify` gives, with CloudFormation's Action Dynamic instead of Modify. */
function dynamic(change: ChangeInput): ChangeInput {
  return { ...change, ResourceChange: { ...change.ResourceChange, Action: 'Dynamic' } } as ChangeInput;
}

const READ = { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::data/*', Principal: '*' };

describe('GIVEN a change CloudFormation calls Dynamic', () => {
  test('WHEN it adds an allow statement to a bucket policy THEN it widens permissions, as a Modify would', () => {
    const change = dynamic(modify('AWS::S3::BucketPolicy', { PolicyDocument: doc(READ) },
      { PolicyDocument: doc(READ, { Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::data/*', Principal: '*' }) }, ['PolicyDocument']));
    expect(permissionBroadening(change)).toMatch(/PolicyDocument allows more: Allow Action s3:PutObject/);
  });

  test('WHEN it changes a Lambda permission THEN it widens permissions', () => {
    const change = dynamic(modify('AWS::Lambda::Permission', { Principal: 'events.amazonaws.com' }, { Principal: '*' }, ['Principal']));
    expect(permissionBroadening(change)).toMatch(/changes a permission resource/);
  });

  test('WHEN it changes nothing that grants THEN it does not widen (the same statements)', () => {
    const change = dynamic(modify('AWS::S3::BucketPolicy', { PolicyDocument: doc(READ) }, { PolicyDocument: doc(READ) }, ['PolicyDocument']));
    expect(permissionBroadening(change)).toBeUndefined();
  });
});

describe('GIVEN a policy document that cannot be read before the change', () => {
  test('WHEN the document after it holds only a deny THEN it widens: what the old one denied is unknown', () => {
    // Before: text that is not a policy document (a value CloudFormation gives unresolved); after: one deny left.
    const change = modify('AWS::KMS::Key', { KeyPolicy: 'not a policy document' },
      { KeyPolicy: doc({ Effect: 'Deny', Action: 'kms:ScheduleKeyDeletion', Resource: '*', Principal: '*' }) }, ['KeyPolicy']);
    expect(permissionBroadening(change)).toMatch(/changes KeyPolicy, whose statements cannot be read/);
  });

  test('WHEN inline policies before cannot be read and after hold none THEN it widens', () => {
    const change = modify('AWS::IAM::Role', { Policies: [{ PolicyName: 'p', PolicyDocument: '{{changeSet:KNOWN_AFTER_APPLY}}' }] },
      { Policies: [] }, ['Policies']);
    expect(permissionBroadening(change)).toMatch(/changes Policies, whose statements cannot be read/);
  });
});
