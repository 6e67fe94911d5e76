/**
 * An execution that times out, and a pipeline action stopped and abandoned (issue item 4: continuation invocations, errors and retries).
 *
 * - The trigger reports an execution that TIMED_OUT (or was ABORTED) as a failure with the error and a link.
 * - Every polling task carries the action's deadline (the action's `timeout`): a stack or change set
 *   that is still in progress at that time fails the deployment with a reason that says so, well before the
 *   state machine's own execution timeout (23 hours) and CodePipeline's.
 * - Polling loops stay far below Step Functions' 25,000-event history limit for the longest timeout.
 * - Stop and abandon: CodePipeline stops invoking the trigger for the action; the execution is not told and
 *   runs to its own end (success, failure or its deadline).
 */
import { DescribeChangeSetCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { PutJobFailureResultCommand, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import { intercept } from './support';
import { DEFAULTS } from '../../src/shared/contract';
import type { Deployment } from '../../src/shared/contract';
import { executionNameFor } from '../../src/shared/naming';
import { runTrigger } from '../../src/trigger/trigger';
import { pollSeconds } from '../../src/workflow/stack-status';
import {
  S, STACK_NAME, continuationJobId, createPipelineWorld, createWorld, deploymentFor, invokeTrigger, issueJob, issueJobFor, jobEvent, runWorkflow,
} from '../executions/harness';
import type { PipelineWorld } from '../executions/harness';
import { STATE_MACHINE_ARN, TRIGGER_FUNCTION_NAME, resourceChange } from '../fakes';
import { JOB_ID, TriggerWorld, jobEvent as handlerJobEvent } from '../handlers/trigger-support';

const SAFE = [resourceChange('Modify', 'Queue', 'AWS::SQS::Queue', 'False')];

describe('the trigger reports an execution that timed out or was stopped', () => {
  const executionArn = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${executionNameFor(JOB_ID)}`;

  test.each([
    ['TIMED_OUT', 'States.Timeout', undefined, /^Deployment timed out \(States\.Timeout\): no cause reported\. Execution: https:\/\//],
    ['TIMED_OUT', 'States.Timeout', 'The execution exceeded its TimeoutSeconds of 82800', /^Deployment timed out \(States\.Timeout\): The execution exceeded its TimeoutSeconds of 82800\. Execution: /],
    ['ABORTED', undefined, undefined, /^Deployment aborted: no cause reported\. Execution: /],
  ] as const)('GIVEN an execution %s (error %s, cause %s) WHEN CodePipeline polls THEN the job fails with a message that says so and links the execution',
    async (status, error, cause, message) => {
      // GIVEN
      const world = new TriggerWorld();
      world.sfn.add({ name: executionNameFor(JOB_ID), status, ...(error ? { error } : {}), ...(cause ? { cause } : {}) });

      // WHEN
      const outcome = await world.run(handlerJobEvent({ continuationToken: JSON.stringify({ executionArn }) }));

      // THEN
      expect(outcome).toBe('FAILED');
      const failure = world.codepipeline.lastFailure.failureDetails!;
      expect(failure).toMatchObject({ type: 'JobFailed', externalExecutionId: executionArn });
      expect(failure.message).toMatch(message);
      expect(failure.message!.endsWith(executionArn)).toBe(true);
      expect(world.codepipeline.successes).toHaveLength(0);
    });
});

describe('the action\'s deadline in the polling tasks', () => {
  const START = Date.UTC(2024, 4, 1, 12);

  /** A world whose clock moves on by `minutes` with each look at the stack or the change set. */
  function timedWorld(minutes: number) {
    const world = createWorld();
    let clock = START;
    const tick = async (_input: unknown, next: () => Promise<any>) => {
      clock += minutes * 60_000;
      return next();
    };
    const cfn = intercept(world.cfn.client).on(DescribeStacksCommand, tick).on(DescribeChangeSetCommand, tick);
    // An action with a one-hour timeout.
    const deployment: Deployment = { ...deploymentFor(), startedAt: START, deadline: START + 60 * 60_000 };
    issueJobFor(world, deployment);
    const deploy = () => runWorkflow({ deployment }, { ...world.deps, cloudformation: cfn.client, now: () => clock });
    return { world, deployment, deploy };
  }

  test('GIVEN an update that is still running at the deadline WHEN polled THEN the deployment fails with StackUpdateFailed "at the action\'s timeout"', async () => {
    // GIVEN
    const { world, deploy } = timedWorld(10);
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { changes: SAFE };
    world.cfn.onExecuteChangeSet = { inProgressPolls: 1_000 };

    // WHEN
    const run = await deploy();

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('StackUpdateFailed');
    expect(run.cause).toBe(`Stack ${STACK_NAME} is still UPDATE_IN_PROGRESS at the action's timeout; CloudFormation carries on, ` +
      'check the stack before running the pipeline again.');
    const polls = run.outputsOf(S.getStackUpdateStatus).map((o) => o.operation);
    expect(polls.slice(0, -1).every((p) => p.outcome === 'IN_PROGRESS')).toBe(true);
    expect(polls[polls.length - 1].outcome).toBe('FAILED');
    // Ten minutes a look: the change set took three looks and a fourth right before it was executed; the update
    // polls saw 50 and 60 minutes, then 70.
    expect(polls).toHaveLength(3);
    // The executed change set is CloudFormation's now: it is not deleted under a running update.
    expect(world.cfn.callsOf('DeleteChangeSet')).toHaveLength(0);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(1);
  });

  test('GIVEN a creation that is still running at the deadline WHEN polled THEN the deployment fails with StackCreationFailed "at the action\'s timeout"', async () => {
    const { world, deploy } = timedWorld(10);
    world.cfn.onCreateStack = { inProgressPolls: 1_000 };
    const run = await deploy();
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('StackCreationFailed');
    expect(run.cause).toContain(`Stack ${STACK_NAME} is still CREATE_IN_PROGRESS at the action's timeout`);
    expect(run.path.slice(-2)).toEqual([S.stackCreated, S.stackCreationFailed]);
  });

  test('GIVEN a change set still being created at the deadline WHEN polled THEN it is deleted, never executed, and the deployment fails with ChangeSetFailed "at the action\'s timeout"', async () => {
    // GIVEN
    const { world, deployment, deploy } = timedWorld(10);
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { pendingPolls: 1_000, changes: SAFE };

    // WHEN
    const run = await deploy();

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ChangeSetFailed');
    expect(run.cause).toBe(`Change set ${deployment.changeSetName} was still CREATE_IN_PROGRESS at the action's timeout.`);
    expect(run.path.slice(-3)).toEqual([S.changeSetCreated, S.deleteFailedChangeSet, S.changeSetFailed]);
    expect(world.cfn.changeSet(STACK_NAME, deployment.changeSetName)).toBeUndefined();
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
  });

  test('polling stays below Step Functions\' 25,000-event history limit for the longest timeout and the shortest poll interval', () => {
    // One poll is a Wait, a Task and a Choice state: at most 10 history events. All the polling loops of one
    // execution (waiting for another deployment, the change set, the update) share the one deadline.
    const EVENTS_PER_POLL = 10;
    let elapsed = 0;
    let polls = 0;
    while (elapsed <= DEFAULTS.maxTimeoutMinutes * 60_000) {
      const seconds = pollSeconds(1, elapsed);
      expect(seconds).toBeGreaterThanOrEqual(1);
      // Never more than a minute between two looks.
      expect(seconds).toBeLessThanOrEqual(60);
      elapsed += seconds * 1000;
      polls++;
    }
    // With room for the rest of the workflow and its retries.
    expect(polls * EVENTS_PER_POLL + 1_000).toBeLessThan(25_000);
  });
});

describe('a pipeline action stopped and abandoned', () => {
  const JOB = '44444444-dddd-4ddd-8ddd-000000000004';

  /**
   * An action whose first job the trigger answered with a continuation token, and the continuation job CodePipeline
   * created for it (`closed`, which the test then closes or abandons), not yet invoked.
   */
  async function actionWithContinuation(): Promise<{ world: PipelineWorld; token: string; closed: string }> {
    const world = createPipelineWorld();
    issueJob(world, JOB);
    await invokeTrigger(world, jobEvent(world, JOB));
    const token = world.codepipeline.answers[0].input.continuationToken;
    const closed = continuationJobId(JOB, 1);
    world.codepipeline.continuation(JOB, closed);
    return { world, token, closed };
  }

  test('GIVEN a running action WHEN the pipeline execution is stopped and abandoned THEN the trigger is not invoked again, and the execution still runs to its end: the stack is updated', async () => {
    // GIVEN: the action started its execution and answered the first continuation job.
    const world = createPipelineWorld();
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { changes: SAFE };
    issueJob(world, JOB);
    expect(await invokeTrigger(world, jobEvent(world, JOB))).toBe('STARTED');
    const token = world.codepipeline.answers[0].input.continuationToken;
    world.codepipeline.continuation(JOB, continuationJobId(JOB, 1));
    expect(await invokeTrigger(world, jobEvent(world, continuationJobId(JOB, 1), token))).toBe('RUNNING');

    // WHEN: stop and abandon. CodePipeline creates no further continuation job; nothing stops the execution.
    await world.sfn.runPending();

    // THEN
    const [execution] = world.sfn.executions;
    expect(execution.status).toBe('SUCCEEDED');
    expect(world.cfn.writes().map((c) => c.op)).toEqual(['CreateChangeSet', 'ExecuteChangeSet']);
    expect(world.cfn.stack(STACK_NAME)?.status).toBe('UPDATE_COMPLETE');
    expect(world.codepipeline.answers.map((a) => a.jobId)).toEqual([JOB, continuationJobId(JOB, 1)]);
  });

  test('GIVEN an invocation of the abandoned action still in flight WHEN it answers a job CodePipeline closed THEN the refusal (InvalidJobStateException) is logged, not thrown', async () => {
    // GIVEN: the action runs; CodePipeline closed the continuation job when the pipeline was abandoned.
    const { world, token, closed } = await actionWithContinuation();
    await world.sfn.runPending();
    // The invocation has confirmed the job with CodePipeline; CodePipeline closes it before the answer arrives.
    const racing = intercept(world.codepipeline.client).on(PutJobSuccessResultCommand, async (_input, next) => {
      await world.codepipeline.client.send(new PutJobFailureResultCommand({
        jobId: closed, failureDetails: { type: 'JobFailed', message: 'Abandoned: the pipeline execution was stopped' },
      }));
      return next();
    });

    // WHEN
    const outcome = runTrigger(jobEvent(world, closed, token), {
      codepipeline: racing.client,
      sfn: world.sfn.client,
      s3: world.s3.client,
      stateMachineArn: world.synthesized.stateMachineArn,
      functionName: TRIGGER_FUNCTION_NAME,
      log: (m) => world.log.push(m),
    });

    // THEN
    await expect(outcome).resolves.toBe('ALREADY_ANSWERED');
    expect(world.log.join('\n')).toMatch(/already answered/);
    expect(world.codepipeline.answers.filter((a) => a.jobId === closed)).toHaveLength(1);
  });

  test('GIVEN a continuation job CodePipeline already closed (the action was abandoned) WHEN an invocation for it arrives THEN it is refused without an answer or any other call', async () => {
    const { world, token, closed } = await actionWithContinuation();
    world.codepipeline.setStatus(closed, 'Abandoned');

    await expect(invokeTrigger(world, jobEvent(world, closed, token))).rejects.toMatchObject({
      name: 'JobNotConfirmed', message: expect.stringContaining('is Abandoned, not in progress'),
    });
    expect(world.codepipeline.answers.map((a) => a.jobId)).toEqual([JOB]);
  });

  test('GIVEN an abandoned action whose deadline has passed WHEN its execution reaches a safe change set THEN it is deleted, never executed: no change set runs after the deadline', async () => {
    // GIVEN: an action that started a minute more than its timeout ago (its deadline has passed), then abandoned.
    const world = createPipelineWorld();
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { pendingPolls: 0, changes: SAFE };
    issueJob(world, JOB, Date.now() - (DEFAULTS.timeoutMinutes + 1) * 60_000);
    await invokeTrigger(world, jobEvent(world, JOB));

    // WHEN
    await world.sfn.runPending();

    // THEN
    const [execution] = world.sfn.executions;
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DeadlinePassed');
    expect(execution.cause).toContain('is deleted, not executed');
    expect(world.cfn.writes().map((c) => c.op)).toEqual(['CreateChangeSet', 'DeleteChangeSet']);
    expect(world.cfn.stack(STACK_NAME)?.status).toBe('UPDATE_COMPLETE');
    expect(world.codepipeline.answers).toHaveLength(1);
  });
});
