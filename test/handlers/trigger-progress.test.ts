/**
 * While the execution runs, the pipeline's summary says where it is, and says so plainly when it waits for
 * a person's approval. Reading the history is best effort: without it the action is followed all the same.
 */
import { DescribeExecutionCommand, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { STATE_MACHINE_ARN } from '../fakes';
import { JOB_ID, TriggerWorld, jobEvent } from './trigger-support';
import { executionNameFor } from '../../src/shared/naming';

const EXECUTION_ARN = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${executionNameFor(JOB_ID)}`;
const continuation = () => jobEvent({ continuationToken: JSON.stringify({ executionArn: EXECUTION_ARN }) });

function running(world: TriggerWorld): void {
  world.sfn.mock.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, status: 'RUNNING' } as any);
}

test('GIVEN an execution waiting for approval WHEN CodePipeline polls THEN the summary says a person must decide', async () => {
  const world = new TriggerWorld();
  running(world);
  world.sfn.mock.on(GetExecutionHistoryCommand).resolves({
    events: [
      { type: 'TaskSubmitted', id: 42, timestamp: new Date() },
      { type: 'TaskStateEntered', id: 41, timestamp: new Date(), stateEnteredEventDetails: { name: 'Wait For Approval' } },
    ],
  } as any);

  expect(await world.run(continuation())).toBe('RUNNING');

  const summary = world.codepipeline.lastSuccess.executionDetails!.summary!;
  expect(summary).toMatch(/waiting for a person's approval/);
  expect(summary).toContain(EXECUTION_ARN);
  expect(world.sfn.mock.commandCalls(GetExecutionHistoryCommand)[0].args[0].input).toMatchObject({ executionArn: EXECUTION_ARN, reverseOrder: true });
});

test('GIVEN an execution polling the stack update THEN the summary names the state', async () => {
  const world = new TriggerWorld();
  running(world);
  world.sfn.mock.on(GetExecutionHistoryCommand).resolves({
    events: [{ type: 'WaitStateEntered', id: 9, timestamp: new Date(), stateEnteredEventDetails: { name: 'Wait Stack Update' } }],
  } as any);

  await world.run(continuation());

  expect(world.codepipeline.lastSuccess.executionDetails!.summary).toMatch(/^Deployment running: Wait Stack Update\. https:/);
});

test('GIVEN the history cannot be read (AccessDenied) THEN the action goes on with a plain summary', async () => {
  const world = new TriggerWorld();
  running(world);
  world.sfn.mock.on(GetExecutionHistoryCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));

  expect(await world.run(continuation())).toBe('RUNNING');

  expect(world.codepipeline.failures).toHaveLength(0);
  expect(world.codepipeline.lastSuccess.executionDetails!.summary).toMatch(/^Deployment running\. https:/);
  expect(JSON.parse(world.codepipeline.lastSuccess.continuationToken!)).toEqual({ executionArn: EXECUTION_ARN });
});
