/**
 * The full path: CodePipeline issues a job and its event reaches the real trigger, which confirms the job with
 * CodePipeline and starts the execution (the synthesized state machine, run locally with the real task handler);
 * continuation jobs follow it; the job ends with PutJobSuccessResult or PutJobFailureResult carrying the real cause.
 */
import { ARTIFACT_CREDENTIALS, resourceChange } from '../fakes';
import {
  ARTIFACT, STACK_NAME, TEMPLATE_PATH, continuationJobId, continueAction, createPipelineWorld, invokeTrigger,
  issueJob, jobEvent, runPipelineAction, smallTemplate,
} from './harness';
import { decodeContinuationToken } from '../../src/trigger/job';

const JOB = '0f1e2d3c-4b5a-4697-8877-665544332211';

describe('a pipeline run of the deploy action', () => {
  test('GIVEN no stack WHEN CodePipeline runs the action THEN the trigger starts one execution, follows it and answers PutJobSuccessResult with the outcome', async () => {
    // GIVEN
    const world = createPipelineWorld({ files: { [TEMPLATE_PATH]: smallTemplate() } });
    world.cfn.onCreateStack = { inProgressPolls: 2 };

    // WHEN
    const action = await runPipelineAction(world, JOB);

    // THEN: started, still running at the first continuation, then succeeded.
    expect(action.outcomes).toEqual(['STARTED', 'RUNNING', 'SUCCEEDED']);
    expect(world.sfn.executions).toHaveLength(1);
    const [execution] = world.sfn.executions;
    expect(execution.status).toBe('SUCCEEDED');
    const { deployment } = JSON.parse(execution.input);
    expect(deployment).toMatchObject({ stackName: STACK_NAME, templatePath: TEMPLATE_PATH, artifact: ARTIFACT, jobId: JOB });

    expect(action.final.kind).toBe('success');
    expect(action.final.input.continuationToken).toBeUndefined();
    expect(action.final.input.outputVariables).toEqual({
      StackName: STACK_NAME, Outcome: 'CREATED', Verdict: 'NONE', ChangeSetName: deployment.changeSetName,
    });
    expect(action.final.input.executionDetails).toMatchObject({
      summary: expect.stringContaining(`Created stack ${STACK_NAME}.`), externalExecutionId: execution.executionArn, percentComplete: 100,
    });
    // Every job of the action was answered once: the first and each continuation job.
    expect(world.codepipeline.answers.map((a) => a.jobId)).toEqual([JOB, continuationJobId(JOB, 1), continuationJobId(JOB, 2)]);
    expect(world.cfn.callsOf('CreateStack')).toHaveLength(1);
    expect(world.cfn.stack(STACK_NAME)?.status).toBe('CREATE_COMPLETE');
    // The job's artifact credentials never reach the log.
    expect(world.log.join('\n')).not.toContain(ARTIFACT_CREDENTIALS.secretAccessKey);
  });

  test('GIVEN a change set that removes a database WHEN CodePipeline runs the action THEN the job fails with the real cause: UnsafeChangeSet, the resource and the rule', async () => {
    // GIVEN
    const world = createPipelineWorld();
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { changes: [resourceChange('Remove', 'Database', 'AWS::RDS::DBInstance')] };

    // WHEN
    const action = await runPipelineAction(world, JOB);

    // THEN
    expect(action.outcomes).toEqual(['STARTED', 'RUNNING', 'FAILED']);
    expect(action.final.kind).toBe('failure');
    const { failureDetails } = action.final.input;
    expect(failureDetails).toMatchObject({ type: 'JobFailed', externalExecutionId: world.sfn.executions[0].executionArn });
    expect(failureDetails.message).toContain('(UnsafeChangeSet)');
    expect(failureDetails.message).toContain('Database (AWS::RDS::DBInstance): Remove refused by no-deletion');
    expect(failureDetails.message.length).toBeLessThanOrEqual(5000);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(world.cfn.callsOf('DeleteChangeSet')).toHaveLength(1);
  });

  test('GIVEN an update that rolls back WHEN CodePipeline runs the action THEN the job fails with the failing resource\'s reason', async () => {
    // GIVEN
    const world = createPipelineWorld();
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { changes: [resourceChange('Modify', 'Function', 'AWS::Lambda::Function', 'False')] };
    const reason = 'Resource handler returned message: "Uploaded file must be a non-empty zip" (HandlerErrorCode: InvalidRequest)';
    world.cfn.onExecuteChangeSet = { inProgressPolls: 2, failure: { logicalId: 'Function', resourceType: 'AWS::Lambda::Function', reason } };

    // WHEN
    const action = await runPipelineAction(world, JOB);

    // THEN
    expect(action.outcomes).toEqual(['STARTED', 'RUNNING', 'FAILED']);
    const { message } = action.final.input.failureDetails;
    expect(message).toContain('(StackUpdateFailed)');
    expect(message).toContain(`Function (AWS::Lambda::Function) UPDATE_FAILED: ${reason}`);
    expect(world.cfn.stack(STACK_NAME)?.status).toBe('UPDATE_ROLLBACK_COMPLETE');
  });

  test('GIVEN an artifact without the template WHEN CodePipeline runs the action THEN the job fails with ConfigurationError naming the missing file', async () => {
    // GIVEN
    const world = createPipelineWorld({ files: { 'infra/other.json': smallTemplate() } });

    // WHEN
    const action = await runPipelineAction(world, JOB);

    // THEN
    expect(action.outcomes).toEqual(['STARTED', 'RUNNING', 'FAILED']);
    const { message } = action.final.input.failureDetails;
    // The task function's error reaches Step Functions as Lambda's JSON; the pipeline shows its message only.
    expect(message).toMatch(new RegExp(`^Deployment failed \\(ConfigurationError\\): ${TEMPLATE_PATH} is not in the input artifact \\(it holds: infra/other.json\\)\\. Execution: https://`));
    expect(message).not.toMatch(/errorType|"trace"|\.ts:\d+/);
    expect(world.cfn.calls).toEqual([]);
  });
});

describe('a job delivered to the trigger twice', () => {
  test('GIVEN the first invocation started the execution and it ended WHEN the same job comes again THEN StartExecution meets ExecutionAlreadyExists and no second execution starts', async () => {
    // GIVEN: the execution ran to its end before the second delivery.
    const world = createPipelineWorld();
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { changes: [resourceChange('Modify', 'Queue', 'AWS::SQS::Queue', 'False')] };
    issueJob(world, JOB);
    const first = await invokeTrigger(world, jobEvent(world, JOB));
    await world.sfn.runPending();

    // WHEN: Step Functions refuses the name of an execution that ended.
    const second = await invokeTrigger(world, jobEvent(world, JOB));

    // THEN
    expect([first, second]).toEqual(['STARTED', 'ALREADY_ANSWERED']);
    expect(world.sfn.startCalls).toEqual([
      { name: expect.any(String) },
      { name: world.sfn.startCalls[0].name, error: 'ExecutionAlreadyExists' },
    ]);
    expect(world.sfn.executions).toHaveLength(1);
    // The job took the first answer; the second was refused as already answered, which is not an error.
    expect(world.codepipeline.answers.filter((a) => a.jobId === JOB)).toHaveLength(1);
    expect(world.log.join('\n')).toMatch(/already exists; following it/);
    expect(world.log.join('\n')).toMatch(/already answered/);

    // AND the action still ends with one deployment.
    const action = await continueAction(world, JOB);
    expect(action.outcomes).toEqual(['SUCCEEDED']);
    expect(world.cfn.callsOf('CreateChangeSet')).toHaveLength(1);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(1);
  });

  test('GIVEN the first invocation started the execution WHEN the same job comes again with the same input while it runs THEN StartExecution returns that execution and none is added', async () => {
    // GIVEN
    const world = createPipelineWorld();
    issueJob(world, JOB);
    await invokeTrigger(world, jobEvent(world, JOB));

    // WHEN: same name and same input while RUNNING: Step Functions answers with the running execution.
    const second = await invokeTrigger(world, jobEvent(world, JOB));

    // THEN
    expect(second).toBe('ALREADY_ANSWERED');
    expect(world.sfn.startCalls.map((c) => c.error)).toEqual([undefined, undefined]);
    expect(world.sfn.executions).toHaveLength(1);
    const action = await continueAction(world, JOB);
    expect(action.final.kind).toBe('success');
    expect(world.cfn.callsOf('CreateStack')).toHaveLength(1);
  });

  test('GIVEN the first invocation started the execution but could not answer WHEN Lambda retries the invocation THEN the retry follows the same execution', async () => {
    // GIVEN: CodePipeline cannot be reached when the first invocation answers. The trigger does not turn
    // that into a failure of the job (the deployment is running): the invocation itself fails.
    const world = createPipelineWorld();
    issueJob(world, JOB);
    world.codepipeline.unreachableFor(1);
    await expect(invokeTrigger(world, jobEvent(world, JOB))).rejects.toThrow(/timed out/);
    expect(world.sfn.executions).toHaveLength(1);
    expect(world.codepipeline.answers).toHaveLength(0);

    // WHEN
    const retry = await invokeTrigger(world, jobEvent(world, JOB));

    // THEN: the same name and input while it runs: the same execution.
    expect(retry).toBe('STARTED');
    expect(world.sfn.executions).toHaveLength(1);
    expect(world.sfn.startCalls.map((c) => c.error)).toEqual([undefined, undefined]);
    const [answer] = world.codepipeline.answers;
    expect(answer).toMatchObject({ jobId: JOB, kind: 'success' });
    const { executionArn } = decodeContinuationToken(answer.input.continuationToken, world.synthesized.stateMachineArn);
    expect(executionArn).toBe(world.sfn.executions[0].executionArn);

    const action = await continueAction(world, JOB);
    expect(action.final.kind).toBe('success');
    expect(world.cfn.callsOf('CreateStack')).toHaveLength(1);
  });
});
