/**
 * Payloads captured from a real run, replayed after it ended (end to end: the real trigger, the synthesized state
 * machine run locally with the real task handler). The run's job is answered and its action execution over: the
 * trigger's event, as it was or with one field changed, answers and starts nothing; the workflow's input, as it
 * was or with one field changed, under the trigger's execution name or another, deploys nothing.
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { resourceChange } from '../fakes';
import { S, STACK_NAME, continuationJobId, createPipelineWorld, invokeTrigger, jobEvent, runPipelineAction } from './harness';
import type { PipelineWorld } from './harness';
import type { Deployment } from '../../src/shared/contract';
import { executionNameFor } from '../../src/shared/naming';

const JOB = '8c9d0e1f-2a3b-4c4d-9e5f-6a7b8c9d0e1f';

/** A run that deployed a safe change, ended; with what its trigger and its workflow received. */
async function endedRun(): Promise<{ world: PipelineWorld; event: any; input: { deployment: Deployment } }> {
  const world = createPipelineWorld();
  world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
  world.cfn.onCreateChangeSet = { changes: [resourceChange('Add', 'Queue', 'AWS::SQS::Queue')] };
  const action = await runPipelineAction(world, JOB);
  expect(action.final.kind).toBe('success');
  expect(world.runs).toHaveLength(1);
  // The next change would remove the database: the action's policy refuses it.
  world.cfn.onCreateChangeSet = { changes: [resourceChange('Remove', 'Database', 'AWS::RDS::DBInstance')] };
  return { world, event: jobEvent(world, JOB), input: JSON.parse(world.sfn.executions[0].input) };
}

/** What the run left: answers, starts, CloudFormation calls (a replay must add none, or only refusals). */
function counts(world: PipelineWorld) {
  return { answers: world.codepipeline.answers.length, starts: world.sfn.executions.length, cfn: world.cfn.calls.length };
}

describe('the trigger\'s event, replayed after the run ended', () => {
  test.each<[string, (event: any) => void]>([
    ['as it was', () => undefined],
    ['with allowAll in UserParameters', (event) => {
      const config = event['CodePipeline.job'].data.actionConfiguration.configuration;
      config.UserParameters = JSON.stringify({ ...JSON.parse(config.UserParameters), policy: { type: 'allowAll' } });
    }],
  ])('GIVEN the event %s WHEN the trigger is invoked THEN it is refused: nothing answered, nothing started', async (_what, change) => {
    const { world, event } = await endedRun();
    const before = counts(world);
    change(event);

    await expect(invokeTrigger(world, event)).rejects.toMatchObject({ name: 'JobNotConfirmed' });

    expect(counts(world)).toEqual(before);
  });
});

test('GIVEN the event of the action\'s first continuation job, with its token WHEN the trigger is invoked again THEN it is refused: nothing answered, nothing started', async () => {
  const { world } = await endedRun();
  const before = counts(world);
  const token = world.codepipeline.answers.find((a) => a.jobId === JOB)!.input.continuationToken!;

  await expect(invokeTrigger(world, jobEvent(world, continuationJobId(JOB, 1), token))).rejects.toMatchObject({ name: 'JobNotConfirmed' });

  expect(counts(world)).toEqual(before);
});

describe('the workflow\'s input, replayed after the run ended', () => {
  test.each<[string, (d: Deployment) => Deployment]>([
    ['as it was', (d) => d],
    ['with allowAll', (d) => ({ ...d, policy: { type: 'allowAll' } })],
    ['with a later deadline', (d) => ({ ...d, deadline: d.deadline + 3600_000 } as Deployment)],
  ])('GIVEN the input %s WHEN started under the trigger\'s name for the job THEN Step Functions refuses the name; under another name the first state refuses it: nothing deployed', async (_what, change) => {
    const { world, input } = await endedRun();
    const before = counts(world);
    const replay = (name: string) => world.sfn.client.send(new StartExecutionCommand({
      stateMachineArn: world.synthesized.stateMachineArn, name, input: JSON.stringify({ deployment: change(input.deployment) }),
    }));

    await expect(replay(executionNameFor(JOB))).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await replay(`${executionNameFor(JOB)}-again`);
    await world.sfn.runPending();

    const [, again] = world.runs;
    expect(again).toMatchObject({ status: 'FAILED', path: [S.confirmJob, S.deploymentErrored] });
    expect(['UnconfirmedDeployment', 'JobNotConfirmed']).toContain(again.error);
    expect(world.cfn.calls.length).toBe(before.cfn);
    expect(world.codepipeline.answers.length).toBe(before.answers);
  });
});
