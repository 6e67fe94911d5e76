/**
 * The default safety policy on real change set shapes: a destructive change is never executed;
 * the change set is deleted and the execution fails naming each offending resource and the rule.
 */
import type { Change } from '@aws-sdk/client-cloudformation';
import { resourceChange } from '../fakes';
import { S, STACK_NAME, createWorld, deploy, deploymentFor } from './harness';

const SAFE_CHANGE = resourceChange('Modify', 'Queue', 'AWS::SQS::Queue', 'False');

async function deployChangeSet(changes: Change[], pageSize?: number) {
  const world = createWorld();
  world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
  world.cfn.onCreateChangeSet = { changes, ...(pageSize ? { pageSize } : {}) };
  const deployment = deploymentFor();
  const run = await deploy(world, deployment);
  return { world, deployment, run };
}

describe('a change set the default policy refuses', () => {
  test.each([
    ['a Remove', resourceChange('Remove', 'Database', 'AWS::RDS::DBInstance'), 'Database (AWS::RDS::DBInstance): Remove refused by no-deletion'],
    [
      'a Modify with Replacement True', resourceChange('Modify', 'Database', 'AWS::RDS::DBInstance', 'True'),
      'Database (AWS::RDS::DBInstance): Modify, replacement True refused by no-replacement',
    ],
    [
      'a Modify with Replacement Conditional', resourceChange('Modify', 'Database', 'AWS::RDS::DBInstance', 'Conditional'),
      'Database (AWS::RDS::DBInstance): Modify, replacement Conditional refused by no-conditional-replacement',
    ],
  ])('GIVEN a change set with %s WHEN inspected THEN it is deleted, never executed, and the execution fails with UnsafeChangeSet naming the resource and rule',
    async (_what, unsafe, line) => {
      // GIVEN / WHEN
      const { world, deployment, run } = await deployChangeSet([SAFE_CHANGE, unsafe]);

      // THEN
      expect(run.status).toBe('FAILED');
      expect(run.error).toBe('UnsafeChangeSet');
      expect(run.cause).toContain(line);
      expect(run.cause).toContain('1 of 2 changes is not allowed');
      expect(run.cause).not.toContain('Queue'); // the safe change is not blamed
      expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
      const deletes = world.cfn.callsOf('DeleteChangeSet');
      expect(deletes).toHaveLength(1);
      expect(deletes[0].input).toMatchObject({ StackName: STACK_NAME, ChangeSetName: deployment.changeSetName });
      expect(world.cfn.changeSet(STACK_NAME, deployment.changeSetName)).toBeUndefined();
      expect(run.path.slice(-5)).toEqual([S.inspectChangeSet, S.safeToUpdate, S.deleteUnsafeChangeSet, S.deployToNewStack, S.deploymentRejected]);
      expect(world.cfn.stack(STACK_NAME)?.status).toBe('UPDATE_COMPLETE');
    });

  test('GIVEN a Remove on the second page of DescribeChangeSet WHEN inspected THEN every page is read and the Remove is caught', async () => {
    // GIVEN: two changes a page; the Remove is the fourth change.
    const changes = [
      resourceChange('Add', 'Alarm', 'AWS::CloudWatch::Alarm'),
      SAFE_CHANGE,
      resourceChange('Add', 'Dashboard', 'AWS::CloudWatch::Dashboard'),
      resourceChange('Remove', 'Bucket', 'AWS::S3::Bucket'),
    ];

    // WHEN
    const { world, run } = await deployChangeSet(changes, 2);

    // THEN
    expect(world.cfn.callsOf('DescribeChangeSet').filter((c) => c.input.NextToken === 'page-2')).toHaveLength(1);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('UnsafeChangeSet');
    expect(run.cause).toContain('Bucket (AWS::S3::Bucket): Remove refused by no-deletion');
    expect(run.cause).toContain('1 of 4 changes is not allowed');
    expect(run.outputsOf(S.inspectChangeSet)[0].inspection).toMatchObject({
      verdict: 'DENY', changeCount: 4, violationCount: 1, counts: { Add: 2, Modify: 1, Remove: 1 },
    });
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(world.cfn.callsOf('DeleteChangeSet')).toHaveLength(1);
  });

  test('GIVEN a change set with more changes than the state may hold WHEN inspected THEN every violation is counted and the state payload stays small', async () => {
    // GIVEN: 400 Removes over 4 pages.
    const changes = Array.from({ length: 400 }, (_, i) => resourceChange('Remove', `Topic${i}`, 'AWS::SNS::Topic'));

    // WHEN (the harness fails the run if a state's payload goes over 256 KB)
    const { world, run } = await deployChangeSet(changes, 100);

    // THEN
    expect(run.error).toBe('UnsafeChangeSet');
    const { inspection } = run.outputsOf(S.inspectChangeSet)[0];
    expect(inspection.violationCount).toBe(400);
    expect(inspection.violations.length).toBeLessThan(400);
    expect(Buffer.byteLength(JSON.stringify(inspection))).toBeLessThan(32 * 1024);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
  });
});
