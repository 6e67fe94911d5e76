/**
 * The promise against someone who tries to go around it, end to end (the real trigger, the synthesized state
 * machine run locally with the real task handler): a forged trigger invocation deploys nothing, and neither does
 * an execution that someone allowed states:StartExecution starts with an input of their own.
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { resourceChange } from '../fakes';
import {
  S, STACK_NAME, continuationJobId, createPipelineWorld, deploymentFor, invokeTrigger, issueJob, jobEvent, runPipelineAction,
} from './harness';
import type { PipelineWorld } from './harness';
import type { Deployment } from '../../src/shared/contract';
import { executionNameFor } from '../../src/shared/naming';

const JOB = '6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d';

/** The deployment the trigger starts for the job: what its first execution received. */
function plannedDeployment(world: PipelineWorld): Deployment {
  return JSON.parse(world.sfn.executions[0].input).deployment;
}

/** Starts an execution as someone allowed states:StartExecution on the shared state machine could. */
async function startExecutionAs(world: PipelineWorld, name: string, deployment: Deployment): Promise<void> {
  await world.sfn.client.send(new StartExecutionCommand({
    stateMachineArn: world.synthesized.stateMachineArn, name, input: JSON.stringify({ deployment }),
  }));
  await world.sfn.runPending();
}

describe('a forged trigger invocation', () => {
  test('GIVEN an event for a job CodePipeline never issued, asking for allowAll on the existing stack WHEN the trigger is invoked THEN no execution starts and CloudFormation is never called', async () => {
    // GIVEN: the stack exists; the removal would be refused by the action's policy.
    const world = createPipelineWorld();
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { changes: [resourceChange('Remove', 'Database', 'AWS::RDS::DBInstance')] };
    const forged = jobEvent(world, JOB) as any;
    forged['CodePipeline.job'].data.actionConfiguration.configuration.UserParameters =
      JSON.stringify({ stackName: STACK_NAME, templatePath: 'infra/app.json', policy: { type: 'allowAll' } });

    // WHEN
    await expect(invokeTrigger(world, forged)).rejects.toMatchObject({ name: 'JobNotConfirmed' });

    // THEN
    expect(world.sfn.startCalls).toEqual([]);
    expect(world.cfn.calls).toEqual([]);
    expect(world.codepipeline.answers).toEqual([]);
    expect(world.cfn.stack(STACK_NAME)?.status).toBe('UPDATE_COMPLETE');
  });
});

describe('an execution the trigger did not start', () => {
  test('GIVEN a real job in progress WHEN someone starts the execution the trigger would start, with allowAll, before the trigger THEN it is refused at its first state, nothing is deployed, and the job fails with the reason', async () => {
    // GIVEN: CodePipeline issued the job; its planned deployment (as the trigger would build it) is known.
    const world = createPipelineWorld();
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { changes: [resourceChange('Remove', 'Database', 'AWS::RDS::DBInstance')] };
    const start = Date.now();
    issueJob(world, JOB, start);
    const planned = deploymentFor(JOB, world.synthesized, start);

    // WHEN: the execution is started under the trigger's name for the job, with the policy turned off.
    await startExecutionAs(world, executionNameFor(JOB), { ...planned, policy: { type: 'allowAll' } });
    const action = await runPipelineAction(world, JOB);

    // THEN: the run stopped at the first state; CloudFormation saw no call at all.
    const [forgedRun] = world.runs;
    expect(forgedRun.path).toEqual([S.confirmJob, S.deploymentErrored]);
    expect(forgedRun.error).toBe('UnconfirmedDeployment');
    expect(world.cfn.calls).toEqual([]);
    // The trigger followed the execution of that name and fails the job with its reason.
    expect(action.final.kind).toBe('failure');
    expect(action.final.input.failureDetails.message).toMatch(/UnconfirmedDeployment.*differs from what pipeline job .* asks for \(/);
  });

  test('GIVEN a real job WHEN an execution is started under another name with the job\'s own deployment THEN it is refused: only the trigger\'s execution for the job deploys', async () => {
    const world = createPipelineWorld();
    issueJob(world, JOB);
    await invokeTrigger(world, jobEvent(world, JOB));
    const planned = plannedDeployment(world);

    await startExecutionAs(world, 'my-own-run', planned);

    const forgedRun = world.runs.find((r) => r.error === 'UnconfirmedDeployment');
    expect(forgedRun?.path).toEqual([S.confirmJob, S.deploymentErrored]);
    expect(forgedRun?.cause).toMatch(/execution my-own-run was not started by the trigger/);
  });

  test('GIVEN a deployment for a job CodePipeline never issued WHEN an execution is started for it THEN it is refused before any CloudFormation call', async () => {
    const world = createPipelineWorld();
    const deployment: Deployment = {
      ...deploymentFor(JOB), policy: { type: 'allowAll' }, changeSetName: 'sfn-deploy-x', includeNestedStacks: false,
    };

    await startExecutionAs(world, executionNameFor(JOB), deployment);

    expect(world.runs[0]).toMatchObject({ status: 'FAILED', error: 'JobNotConfirmed' });
    expect(world.cfn.calls).toEqual([]);
  });
});

describe('a continuation job of a running action', () => {
  test('GIVEN an action whose execution runs and CodePipeline\'s continuation job for it WHEN someone starts the execution the continuation job\'s id would name (cp-<continuation job id>) THEN it is refused at its first state and deploys nothing', async () => {
    // GIVEN: the trigger started the action's execution; CodePipeline issued the continuation job that follows it.
    const world = createPipelineWorld();
    const start = Date.now();
    issueJob(world, JOB, start);
    await invokeTrigger(world, jobEvent(world, JOB));
    const continuation = continuationJobId(JOB, 1);
    world.codepipeline.continuation(JOB, continuation);

    // WHEN: a second execution is started for the continuation job, with exactly what that job's configuration asks for.
    await startExecutionAs(world, executionNameFor(continuation), deploymentFor(continuation, world.synthesized, start));

    // THEN: the action's own execution deployed the stack once; the second stopped at its first state.
    const twin = world.runs.find((r) => r.executionArn.endsWith(`:${executionNameFor(continuation)}`))!;
    expect(twin.path).toEqual([S.confirmJob, S.deploymentErrored]);
    expect(twin.error).toBe('UnconfirmedDeployment');
    expect(twin.cause).toMatch(/is a continuation job of action execution .*: a continuation job follows it and starts none/);
    expect(world.runs.find((r) => r !== twin)?.status).toBe('SUCCEEDED');
    expect(world.cfn.callsOf('CreateStack').map((c) => c.input.StackName)).toEqual([STACK_NAME]);
  });

  test('GIVEN an action whose execution runs WHEN the trigger is invoked for its continuation job THEN it follows that execution and starts none', async () => {
    const world = createPipelineWorld();
    issueJob(world, JOB);
    await invokeTrigger(world, jobEvent(world, JOB));
    const continuation = continuationJobId(JOB, 1);
    world.codepipeline.continuation(JOB, continuation);

    // WHEN: CodePipeline's continuation job (the event without its token: the trigger reads CodePipeline's).
    const outcome = await invokeTrigger(world, jobEvent(world, continuation));

    // THEN
    expect(outcome).toBe('RUNNING');
    expect(world.sfn.startCalls.map((c) => c.name)).toEqual([executionNameFor(JOB)]);
  });
});
