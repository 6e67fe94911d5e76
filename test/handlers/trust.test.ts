/**
 * The trust boundary: nothing that someone other than CodePipeline and the synthesized action writes decides a
 * deployment. The trigger takes only the job id from its event and asks CodePipeline about that job; the
 * workflow's first task asks again and refuses an execution whose input is not what the job asks for; the task
 * that executes a change set checks that its caller is the execution itself, at that state, before the deadline.
 */
import { CreateChangeSetCommand, CreateStackCommand, ExecuteChangeSetCommand } from '@aws-sdk/client-cloudformation';
import { PutJobFailureResultCommand, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import 'aws-sdk-client-mock-jest';
import { ACTION_START, ARTIFACT, T0, change, deployment } from './fixtures';
import { PIPELINE_NAME, STATE_MACHINE_ARN, awsError } from '../fakes';
import type { ActionStatus } from '../fakes';
import { EXECUTION_ARN, TaskWorld } from './task-support';
import { JOB_ID, TriggerWorld, issueJobOf, jobEvent } from './trigger-support';
import { DEFAULTS } from '../../src/shared/contract';
import type { Deployment, InspectionResult } from '../../src/shared/contract';
import { executionNameFor } from '../../src/shared/naming';
import { STATE_NAMES, forUnitStack } from '../../src/shared/state-names';

const USER_PARAMETERS = { stackName: 'sample-app', templatePath: 'cdk.out/SampleApp.template.json' };
const EXECUTION = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${executionNameFor(JOB_ID)}`;

describe('the trigger deploys only jobs that CodePipeline confirms', () => {
  function expectNothingDone(world: TriggerWorld) {
    expect(world.sfn.mock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(world.codepipeline.mock).not.toHaveReceivedCommand(PutJobSuccessResultCommand);
    expect(world.codepipeline.mock).not.toHaveReceivedCommand(PutJobFailureResultCommand);
    expect(world.sfn.executions.length).toBe(0);
  }

  test('GIVEN a forged event for a job CodePipeline never issued (with allowAll and another stack) WHEN the trigger is invoked THEN it is refused with JobNotConfirmed: no execution, no answer', async () => {
    // GIVEN: someone allowed to invoke the function writes a job event of their own.
    const world = new TriggerWorld();
    const forged = jobEvent({ userParameters: { stackName: 'prod-db', templatePath: 'evil.json', policy: { type: 'allowAll' } } });

    // WHEN
    const result = world.runForged(forged);

    // THEN
    await expect(result).rejects.toMatchObject({ name: 'JobNotConfirmed', message: expect.stringContaining(`CodePipeline has no job ${JOB_ID}`) });
    expectNothingDone(world);
    expect(world.logs.join('\n')).toMatch(/refused: JobNotConfirmed/);
  });

  test('GIVEN an event whose UserParameters and artifact differ from the job CodePipeline issued THEN CodePipeline\'s configuration and artifact are deployed, not the event\'s', async () => {
    // GIVEN: CodePipeline issued the job with the action's configuration; the event carries other settings.
    const world = new TriggerWorld();
    issueJobOf(world.codepipeline, jobEvent({ userParameters: USER_PARAMETERS }));
    const tampered = jobEvent({ userParameters: { stackName: 'prod-db', templatePath: 'evil.json', policy: { type: 'allowAll' } } });
    (tampered as any)['CodePipeline.job'].data.inputArtifacts[0].location.s3Location = { bucketName: 'attacker-bucket', objectKey: 'evil.zip' };

    // WHEN
    const outcome = await world.runForged(tampered);

    // THEN
    expect(outcome).toBe('STARTED');
    expect(world.startedInput().deployment).toMatchObject({
      stackName: 'sample-app',
      templatePath: USER_PARAMETERS.templatePath,
      policy: { type: 'denyDestructive' },
      artifact: ARTIFACT,
      startedAt: ACTION_START,
      deadline: ACTION_START + DEFAULTS.timeoutMinutes * 60_000,
    });
  });

  test('GIVEN a job CodePipeline gave another function THEN it is refused and never answered (it is not this function\'s to answer)', async () => {
    const world = new TriggerWorld();
    world.codepipeline.issue({ id: JOB_ID, userParameters: JSON.stringify(USER_PARAMETERS), artifact: ARTIFACT, functionName: 'someone-elses-function' });
    await expect(world.runForged(jobEvent())).rejects.toMatchObject({ name: 'JobNotConfirmed', message: expect.stringContaining('is for another function') });
    expectNothingDone(world);
  });

  test('GIVEN a job whose action execution already ended THEN it is refused and nothing is answered', async () => {
    const world = new TriggerWorld();
    issueJobOf(world.codepipeline, jobEvent());
    world.codepipeline.setStatus(JOB_ID, 'Abandoned');
    await expect(world.runForged(jobEvent())).rejects.toMatchObject({ name: 'JobNotConfirmed', message: expect.stringContaining('is Abandoned, not in progress') });
    expectNothingDone(world);
  });

  test('GIVEN a job of a pipeline this workflow does not serve (its functions may not list that pipeline\'s actions) THEN the job is failed with the reason and nothing starts', async () => {
    // GIVEN: another pipeline points a Lambda invoke action at this trigger with settings of its own.
    const world = new TriggerWorld();
    world.codepipeline.servedPipelines = [PIPELINE_NAME];
    world.codepipeline.issue({
      id: JOB_ID,
      pipelineName: 'foreign-pipeline',
      artifact: ARTIFACT,
      userParameters: JSON.stringify({ ...USER_PARAMETERS, policy: { type: 'allowAll' } }),
    });

    // WHEN
    const outcome = await world.runForged(jobEvent());

    // THEN: the job is addressed to this function, so it is answered, with the reason.
    expect(outcome).toBe('FAILED');
    expect(world.codepipeline.lastFailure.failureDetails!.message).toMatch(
      /^JobNotConfirmed: job .* belongs to pipeline foreign-pipeline, which this deploy workflow does not serve/);
    expect(world.sfn.mock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('GIVEN a job id that is not CodePipeline\'s shape (any text an invoker likes) THEN it is refused without asking anyone and without repeating it', async () => {
    const world = new TriggerWorld();
    const result = world.runForged(jobEvent({ id: `${'x'.repeat(5_000)}\nforged log line` }));
    await expect(result).rejects.toMatchObject({ name: 'ConfigurationError', message: 'the event is not a CodePipeline job: its job id is not one CodePipeline gives' });
    expect(world.codepipeline.mock.calls()).toHaveLength(0);
    expect(world.logs.join('\n')).not.toContain('forged log line');
  });

  test('GIVEN a continuation event whose token names another execution THEN the trigger follows the token CodePipeline holds', async () => {
    // GIVEN: CodePipeline holds the token the trigger gave it; the event carries another one.
    const world = new TriggerWorld();
    world.sfn.add({ name: executionNameFor(JOB_ID), status: 'RUNNING' });
    world.sfn.add({ name: 'someone-elses', status: 'SUCCEEDED', output: '{}' });
    issueJobOf(world.codepipeline, jobEvent({ continuationToken: JSON.stringify({ executionArn: EXECUTION }) }));
    const tampered = jobEvent({ continuationToken: JSON.stringify({ executionArn: `${EXECUTION.replace(/:[^:]+$/, '')}:someone-elses` }) });

    // WHEN
    const outcome = await world.runForged(tampered);

    // THEN: the job stays running on its own execution; it is not declared a success.
    expect(outcome).toBe('RUNNING');
    expect(JSON.parse(world.codepipeline.lastSuccess.continuationToken!)).toEqual({ executionArn: EXECUTION });
  });

  test('GIVEN a continuation token that names an execution of another state machine THEN the job fails: it was not written by this action', async () => {
    const world = new TriggerWorld();
    const other = 'arn:aws:states:eu-west-1:123456789012:execution:OtherMachine:cp-x';
    const outcome = await world.run(jobEvent({ continuationToken: JSON.stringify({ executionArn: other }) }));
    expect(outcome).toBe('FAILED');
    expect(world.codepipeline.lastFailure.failureDetails!.message).toMatch(/the continuation token names no execution of this deploy workflow/);
  });

  test('GIVEN CodePipeline refuses the final answer (OutputVariablesSizeExceededException) THEN the job is failed with CodePipeline\'s reason instead of left hanging', async () => {
    // GIVEN a succeeded execution whose answer CodePipeline refuses for its size
    const world = new TriggerWorld();
    world.sfn.add({ name: executionNameFor(JOB_ID), status: 'SUCCEEDED', output: JSON.stringify({ deployment: { stackName: 'sample-app' } }) });
    world.codepipeline.mock.on(PutJobSuccessResultCommand).rejects(
      awsError('OutputVariablesSizeExceededException', 'Exceeded the total size limit for all variables in the pipeline'));
    world.codepipeline.mock.on(PutJobFailureResultCommand).resolves({});

    // WHEN
    const outcome = await world.run(jobEvent({ continuationToken: JSON.stringify({ executionArn: EXECUTION }) }));

    // THEN
    expect(outcome).toBe('FAILED');
    expect(world.codepipeline.mock).toHaveReceivedCommandWith(PutJobFailureResultCommand, {
      jobId: JOB_ID,
      failureDetails: expect.objectContaining({
        message: expect.stringMatching(/^CodePipeline refused the action's result \(OutputVariablesSizeExceededException: Exceeded the total size limit/),
      }),
    });
  });
});

describe('the workflow\'s first task: an execution the trigger did not start deploys nothing', () => {
  /** A task world whose CodePipeline issued the job the default handler deployment is for. */
  function confirmedWorld(options: { userParameters?: Record<string, unknown>; status?: ActionStatus } = {}) {
    const world = new TaskWorld().artifact();
    const planned = deployment({ startedAt: ACTION_START, deadline: ACTION_START + DEFAULTS.timeoutMinutes * 60_000, includeNestedStacks: true });
    world.codepipeline.issue({
      id: planned.jobId,
      userParameters: JSON.stringify(options.userParameters ?? { stackName: 'sample-app', environmentName: 'prod', templatePath: planned.templatePath }),
      artifact: ARTIFACT,
    });
    if (options.status) world.codepipeline.setStatus(planned.jobId, options.status);
    return { world, planned };
  }
  const jobId = deployment().jobId;

  test('GIVEN the input the trigger built for a confirmed job THEN the task confirms it', async () => {
    const { world, planned } = confirmedWorld();
    const job = world.codepipeline.job(jobId)!;
    await expect(world.run('confirmJob', { deployment: planned })).resolves.toEqual({
      pipelineName: PIPELINE_NAME, pipelineExecutionId: job.pipelineExecutionId, actionExecutionId: job.actionExecutionId,
    });
  });

  test.each<[string, Partial<Deployment>]>([
    ['an allowAll policy', { policy: { type: 'allowAll' } }],
    ['another action\'s stack', { stackName: 'prod-db' }],
    ['another action\'s deployment role', { roleArn: 'arn:aws:iam::123456789012:role/db-deployment-role' }],
    ['no nested-stack inspection', { includeNestedStacks: false }],
    ['a later deadline', { deadline: ACTION_START + 23 * 3_600_000 }],
    ['another artifact', { artifact: { bucket: 'attacker-bucket', key: 'evil.zip' } }],
  ])('GIVEN an execution started with %s for a real job THEN it is refused as UnconfirmedDeployment, naming what differs, before any CloudFormation call', async (_what, altered) => {
    // GIVEN: someone allowed states:StartExecution starts the execution the trigger would start, with their input.
    const { world, planned } = confirmedWorld();
    const forged = { ...planned, ...altered };

    // WHEN
    const result = world.run('confirmJob', { deployment: forged });

    // THEN
    await expect(result).rejects.toMatchObject({
      name: 'UnconfirmedDeployment', message: expect.stringMatching(new RegExp(`differs from what pipeline job ${jobId} asks for \\(${Object.keys(altered)[0]}\\)`)),
    });
    expect(world.cloudformation.mock.calls()).toHaveLength(0);
  });

  test('GIVEN an execution with another name than the one the trigger gives the job THEN it is refused', async () => {
    const { world, planned } = confirmedWorld();
    const result = world.runAs('confirmJob', { deployment: planned }, `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:my-own-run`);
    await expect(result).rejects.toMatchObject({ name: 'UnconfirmedDeployment', message: expect.stringContaining('execution my-own-run was not started by the trigger') });
  });

  test('GIVEN a job whose action execution ended THEN a late execution for it is refused', async () => {
    const { world, planned } = confirmedWorld({ status: 'Succeeded' });
    await expect(world.run('confirmJob', { deployment: planned })).rejects.toMatchObject({ name: 'JobNotConfirmed' });
  });

  test('GIVEN a job CodePipeline does not know THEN the execution is refused', async () => {
    const world = new TaskWorld().artifact();
    await expect(world.run('confirmJob')).rejects.toMatchObject({ name: 'JobNotConfirmed', message: expect.stringContaining('CodePipeline has no job') });
  });
});

describe('executeChangeSet checks its caller and the deadline right before it executes', () => {
  const safe: InspectionResult = {
    verdict: 'ALLOW', changeCount: 1, violationCount: 0, violations: [], reason: '', counts: { Add: 1 }, nestedChangeSets: 0, changeSetId: '', digest: '',
  };
  const STACK = 'prod-sample-app';
  const CHANGE_SET = deployment().changeSetName;
  function worldWithChangeSet() {
    const world = new TaskWorld();
    world.cloudformation.putStack(STACK, 'UPDATE_COMPLETE');
    world.cloudformation.putChangeSet(STACK, CHANGE_SET, [change('Add', 'Queue')]);
    return world;
  }

  test('GIVEN the action\'s deadline has passed (a late approval, say) THEN the change set is not executed: DeadlinePassed', async () => {
    const world = worldWithChangeSet();
    world.clock = T0 + 60 * 60_000 + 1;
    const approved = { inspection: { ...safe, verdict: 'REQUIRE_APPROVAL' as const }, approval: { approved: true, by: 'late' } };
    await expect(world.run('executeChangeSet', approved)).rejects.toMatchObject({
      name: 'DeadlinePassed', message: expect.stringContaining(`change set ${CHANGE_SET} is deleted, not executed`),
    });
    expect(world.cloudformation.mock).not.toHaveReceivedCommand(ExecuteChangeSetCommand);
  });

  test('GIVEN someone who may invoke the task function hands it a state of their own ("ALLOW") THEN nothing is executed', async () => {
    // GIVEN: the real execution is at Inspect Change Set Changes, with a DENY verdict in its state.
    const world = worldWithChangeSet();
    world.history.current.set(EXECUTION_ARN, {
      executionArn: EXECUTION_ARN, name: STATE_NAMES.inspectChangeSet, input: { deployment: deployment() },
    });

    // WHEN: a direct invocation claims the change set is safe.
    const result = world.invokeDirectly('executeChangeSet', { deployment: deployment(), inspection: safe }, EXECUTION_ARN);

    // THEN
    await expect(result).rejects.toMatchObject({ name: 'UnconfirmedDeployment', message: expect.stringContaining(`is not calling it now from ${STATE_NAMES.executeChangeSet} or ${forUnitStack(STATE_NAMES.executeChangeSet)} with this payload`) });
    expect(world.cloudformation.mock).not.toHaveReceivedCommand(ExecuteChangeSetCommand);
  });

  test('GIVEN the execution is at Execute Change Set but with another state than the one handed in THEN nothing is executed', async () => {
    const world = worldWithChangeSet();
    world.history.current.set(EXECUTION_ARN, {
      executionArn: EXECUTION_ARN, name: STATE_NAMES.executeChangeSet, input: { deployment: deployment(), inspection: { ...safe, changeCount: 2 } },
    });
    await expect(world.invokeDirectly('executeChangeSet', { deployment: deployment(), inspection: safe }, EXECUTION_ARN))
      .rejects.toMatchObject({ name: 'UnconfirmedDeployment' });
    expect(world.cloudformation.mock).not.toHaveReceivedCommand(ExecuteChangeSetCommand);
  });

  test('GIVEN an execution id of another state machine (whose history the task function may not read) THEN nothing is executed', async () => {
    const world = worldWithChangeSet();
    const foreign = 'arn:aws:states:eu-west-1:123456789012:execution:AttackerMachine:x';
    await expect(world.invokeDirectly('executeChangeSet', { deployment: deployment(), inspection: safe }, foreign))
      .rejects.toMatchObject({ name: 'UnconfirmedDeployment', message: expect.stringContaining('AccessDeniedException') });
    expect(world.cloudformation.mock).not.toHaveReceivedCommand(ExecuteChangeSetCommand);
  });

  test('GIVEN no execution id THEN nothing is executed', async () => {
    const world = worldWithChangeSet();
    await expect(world.invokeDirectly('executeChangeSet', { deployment: deployment(), inspection: safe }, undefined))
      .rejects.toMatchObject({ name: 'UnconfirmedDeployment' });
    expect(world.cloudformation.mock).not.toHaveReceivedCommand(ExecuteChangeSetCommand);
    expect(world.cloudformation.mock).not.toHaveReceivedCommand(CreateStackCommand);
    expect(world.cloudformation.mock).not.toHaveReceivedCommand(CreateChangeSetCommand);
  });
});
