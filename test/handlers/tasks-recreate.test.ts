/** deleteRolledBackStack: deletes only a ROLLBACK_COMPLETE stack, only when the action opted in. */
import { CloudFormationClient, DeleteStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { Deployment, TaskName, WorkflowState } from '../../src/shared/contract';
import { statesRunning } from '../../src/shared/state-names';
import { runTask } from '../../src/workflow/tasks';
import { FakeExecutionHistory, STATE_MACHINE_ARN } from '../fakes';

const cfn = mockClient(CloudFormationClient);
afterEach(() => cfn.reset());
afterAll(() => cfn.restore());

const base = {
  stackName: 'prod-app',
  changeSetName: 'sfn-deploy-job1',
  jobId: 'job1',
  pollIntervalSeconds: 5,
  roleArn: 'arn:aws:iam::111111111111:role/cfn',
  startedAt: Date.now(),
  deadline: Date.now() + 3_600_000,
  policy: { type: 'denyDestructive' },
  onUnsafe: { type: 'fail' },
} as unknown as Deployment;
const deps = { cloudformation: new CloudFormationClient({}), s3: new S3Client({}), region: 'eu-west-1' };

/** Runs a task that writes as the execution's own call, from the state that runs it (its caller is checked). */
function runAsExecution(task: TaskName, state: WorkflowState): Promise<unknown> {
  const history = new FakeExecutionHistory();
  const executionArn = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:cp-job1`;
  history.current.set(executionArn, { executionArn, name: statesRunning(task)[0], input: state });
  return runTask({ task, state, executionId: executionArn }, { ...deps, sfn: history.client });
}

test('GIVEN ROLLBACK_COMPLETE and the option THEN checkStack says DELETE and deleteRolledBackStack deletes it with the service role', async () => {
  cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'prod-app', StackStatus: 'ROLLBACK_COMPLETE', CreationTime: new Date() }] });
  cfn.on(DeleteStackCommand).resolves({});
  const deployment = { ...base, recreateRolledBackStack: true };
  await expect(runTask({ task: 'checkStack', state: { deployment } }, deps)).resolves.toMatchObject({ next: 'DELETE' });
  await expect(runAsExecution('deleteRolledBackStack', { deployment }))
    .resolves.toMatchObject({ expectedStatus: 'DELETE_COMPLETE', outcome: 'IN_PROGRESS' });
  expect(cfn.commandCalls(DeleteStackCommand)[0].args[0].input).toMatchObject({ StackName: 'prod-app', RoleARN: base.roleArn });
});

test.each(['UPDATE_ROLLBACK_FAILED', 'UPDATE_COMPLETE', 'CREATE_IN_PROGRESS'])('a stack that is %s is never deleted, even with the option', async (status) => {
  cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'prod-app', StackStatus: status as any, CreationTime: new Date() }] });
  await expect(runAsExecution('deleteRolledBackStack', { deployment: { ...base, recreateRolledBackStack: true } }))
    .rejects.toThrow(`refusing to delete stack prod-app: it is ${status}, not ROLLBACK_COMPLETE`);
  expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0);
});

test('without the option the task refuses and checkStack reports the stack as blocked', async () => {
  cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'prod-app', StackStatus: 'ROLLBACK_COMPLETE', CreationTime: new Date() }] });
  await expect(runTask({ task: 'checkStack', state: { deployment: base } }, deps)).resolves.toMatchObject({ next: 'BLOCKED' });
  await expect(runAsExecution('deleteRolledBackStack', { deployment: base })).rejects.toMatchObject({ name: 'ConfigurationError' });
  expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0);
});

test('a deletion ends when the stack is no longer found by name', async () => {
  cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error('Stack with id prod-app does not exist'), { name: 'ValidationError' }));
  const state = { deployment: { ...base, recreateRolledBackStack: true }, operation: { expectedStatus: 'DELETE_COMPLETE', waitSeconds: 5 } };
  await expect(runTask({ task: 'pollStack', state }, deps)).resolves.toMatchObject({ status: 'DELETE_COMPLETE', outcome: 'SUCCEEDED' });
  // while an update is awaited, the same error is an error
  await expect(runTask({ task: 'pollStack', state: { ...state, operation: { expectedStatus: 'UPDATE_COMPLETE', waitSeconds: 5 } } }, deps))
    .rejects.toThrow(/does not exist/);
});
