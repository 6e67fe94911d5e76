/**
 * The end of an update is the stack's, never the previous update's: while DescribeStacks still shows the stack as
 * it was before ExecuteChangeSet, the change set's ExecutionStatus decides. Still to come, the workflow waits; the
 * execution failed (EXECUTE_FAILED) with the stack unchanged, the update failed: never "succeeded" on the old
 * UPDATE_COMPLETE.
 */
import { CloudFormationClient, DescribeChangeSetCommand, DescribeStackEventsCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { ExecutionStatus } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { Deployment, OperationResult } from '../../src/shared/contract';
import { runTask } from '../../src/workflow/tasks';

const cfn = mockClient(CloudFormationClient);
afterEach(() => cfn.reset());
afterAll(() => cfn.restore());

const BEFORE = new Date('2026-12-01T10:00:00Z');
const deployment = {
  stackName: 'prod-app',
  changeSetName: 'sfn-deploy-job1',
  jobId: 'job1',
  pollIntervalSeconds: 5,
  startedAt: Date.now(),
  deadline: Date.now() + 3_600_000,
  policy: { type: 'denyDestructive' },
  onUnsafe: { type: 'fail' },
} as unknown as Deployment;
const deps = { cloudformation: new CloudFormationClient({}), s3: new S3Client({}), region: 'eu-west-1' };
/** The update was started after the stack last changed (BEFORE). */
const operation = { expectedStatus: 'UPDATE_COMPLETE', waitSeconds: 5, updatedBefore: BEFORE.getTime() };

function poll(): Promise<OperationResult> {
  return runTask({ task: 'pollStack', state: { deployment, operation } }, deps) as Promise<OperationResult>;
}

beforeEach(() => {
  // DescribeStacks shows the stack as it was: the previous update's end, not changed since.
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [{ StackName: 'prod-app', StackStatus: 'UPDATE_COMPLETE', CreationTime: BEFORE, LastUpdatedTime: BEFORE, StackStatusReason: 'an old reason' }],
  });
  cfn.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
});

test('GIVEN the change set\'s execution failed and the stack is unchanged WHEN polled THEN the update failed, saying so', async () => {
  cfn.on(DescribeChangeSetCommand).resolves({ ExecutionStatus: 'EXECUTE_FAILED', Status: 'CREATE_COMPLETE', StatusReason: 'Role is invalid or cannot be assumed' });

  const result = await poll();

  // The change set's own reason is the cause; the stack's old reason is not shown as this update's.
  expect(result.outcome).toBe('FAILED');
  expect(result.reason).toBe('The change set\'s execution failed (EXECUTE_FAILED: Role is invalid or cannot be assumed); ' +
    'stack prod-app showed no change when read (UPDATE_COMPLETE)');
});

test('GIVEN the change set\'s execution failed without a reason WHEN polled THEN the update failed all the same', async () => {
  cfn.on(DescribeChangeSetCommand).resolves({ ExecutionStatus: 'EXECUTE_FAILED', Status: 'CREATE_COMPLETE' });
  await expect(poll()).resolves.toMatchObject({
    outcome: 'FAILED', reason: 'The change set\'s execution failed (EXECUTE_FAILED); stack prod-app showed no change when read (UPDATE_COMPLETE)',
  });
});

test.each<ExecutionStatus | undefined>(['EXECUTE_IN_PROGRESS', 'AVAILABLE', undefined])('GIVEN the change set\'s execution is %s WHEN polled THEN the update is still to come: the workflow waits', async (executionStatus) => {
  cfn.on(DescribeChangeSetCommand).resolves({ ExecutionStatus: executionStatus, Status: 'CREATE_COMPLETE' });
  await expect(poll()).resolves.toMatchObject({ outcome: 'IN_PROGRESS', status: 'UPDATE_COMPLETE' });
});

test('GIVEN the change set is gone WHEN polled THEN the update is still to come: the workflow waits', async () => {
  cfn.on(DescribeChangeSetCommand).rejects(Object.assign(new Error('ChangeSet [sfn-deploy-job1] does not exist'), { name: 'ChangeSetNotFoundException' }));
  await expect(poll()).resolves.toMatchObject({ outcome: 'IN_PROGRESS' });
});

test('GIVEN the change set\'s execution completed WHEN polled THEN the stack\'s UPDATE_COMPLETE is this update\'s end', async () => {
  cfn.on(DescribeChangeSetCommand).resolves({ ExecutionStatus: 'EXECUTE_COMPLETE', Status: 'CREATE_COMPLETE' });
  await expect(poll()).resolves.toMatchObject({ outcome: 'SUCCEEDED' });
});

test('GIVEN the stack changed after the update started WHEN polled THEN its status decides, without reading the change set', async () => {
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [{ StackName: 'prod-app', StackStatus: 'UPDATE_COMPLETE', CreationTime: BEFORE, LastUpdatedTime: new Date(BEFORE.getTime() + 60_000) }],
  });
  await expect(poll()).resolves.toMatchObject({ outcome: 'SUCCEEDED' });
  expect(cfn.commandCalls(DescribeChangeSetCommand)).toHaveLength(0);
});
