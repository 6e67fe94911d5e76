/**
 * Handler unit tests of the trigger: CodePipeline invokes it, it starts the deploy workflow and
 * answers the job through continuation tokens. AWS is modelled by the stateful fakes of ./fakes.
 */
import { PutJobFailureResultCommand, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import 'aws-sdk-client-mock-jest';
import { ARTIFACT, T0 } from './fixtures';
import { awsError, STATE_MACHINE_ARN } from '../fakes';
import { JOB_ID, TriggerWorld, issueJobOf, jobEvent } from './trigger-support';
import { LIMITS } from '../../src/shared/contract';
import { executionNameFor } from '../../src/shared/naming';
import { consoleLink, runTrigger } from '../../src/trigger/trigger';

const EXECUTION_NAME = executionNameFor(JOB_ID);
const EXECUTION_ARN = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${EXECUTION_NAME}`;

function tokenFor(executionArn: string): string {
  return JSON.stringify({ executionArn });
}

describe('the first invocation starts the workflow', () => {
  test('CodePipeline invokes the action: the execution is named after the job and the job gets a continuation token', async () => {
    // GIVEN a pipeline job with a valid configuration
    const world = new TriggerWorld();

    // WHEN the trigger runs for the first time (no continuation token)
    const outcome = await world.run(jobEvent({ userParameters: { stackName: 'sample-app', environmentName: 'prod', templatePath: 'cdk.out/App.json' } }));

    // THEN one execution was started, named after the job
    expect(outcome).toBe('STARTED');
    const execution = world.sfn.only();
    expect(execution.name).toBe(`cp-${JOB_ID}`);
    expect(world.sfn.mock).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: STATE_MACHINE_ARN, name: `cp-${JOB_ID}` });
    // AND its input is the deployment read from the job and the configuration
    const { deployment } = world.startedInput();
    expect(deployment).toMatchObject({
      stackName: 'prod-sample-app',
      templatePath: 'cdk.out/App.json',
      artifact: ARTIFACT,
      jobId: JOB_ID,
      policy: { type: 'denyDestructive' },
      onUnsafe: { type: 'fail' },
      startedAt: T0,
      // the default timeout: two hours
      deadline: T0 + 120 * 60_000,
    });
    expect(deployment.changeSetName).toMatch(/^[A-Za-z][A-Za-z0-9-]{0,127}$/);
    // AND the job is answered in progress, with a continuation token that holds the execution ARN
    expect(world.codepipeline.failures).toHaveLength(0);
    const answer = world.codepipeline.lastSuccess;
    expect(answer.jobId).toBe(JOB_ID);
    expect(answer.continuationToken!.length).toBeLessThanOrEqual(LIMITS.continuationToken);
    expect(JSON.parse(answer.continuationToken!)).toEqual({ executionArn: execution.executionArn });
    expect(answer.executionDetails).toMatchObject({ externalExecutionId: execution.executionArn, percentComplete: 0 });
    expect(answer.executionDetails!.summary).toContain('prod-sample-app');
    expect(world.codepipeline.jobs.get(JOB_ID)).toBe('InProgress');
  });

  test('the continuation token stays within 2048 characters for the longest state machine name', async () => {
    // GIVEN a state machine whose name has the maximum 80 characters
    const world = new TriggerWorld();
    const longArn = `arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:${'S'.repeat(80)}`;

    // WHEN the trigger starts the workflow
    issueJobOf(world.codepipeline, jobEvent());
    await runTrigger(jobEvent(), { ...world.deps, stateMachineArn: longArn });

    // THEN the token is within CodePipeline's limit and names the started execution
    const token = world.codepipeline.lastSuccess.continuationToken!;
    expect(token.length).toBeLessThanOrEqual(2048);
    expect(JSON.parse(token).executionArn).toBe(world.sfn.only().executionArn);
    expect(world.sfn.only().name.length).toBeLessThanOrEqual(80);
  });

  test('the S3 input file is merged under UserParameters: UserParameters wins, the file fills the rest', async () => {
    // GIVEN UserParameters that name an S3 input file (the seed's form) and override its template path
    const world = new TriggerWorld();
    world.s3.put('config-bucket', 'deploy/prod.json', JSON.stringify({
      templatePath: 'cdk.out/FromFile.template.json',
      parameterOverrides: { Stage: 'prod', InstanceType: 't3.micro' },
      tags: { team: 'payments' },
      capabilities: ['CAPABILITY_NAMED_IAM'],
      pollIntervalSeconds: 10,
    }));
    const userParameters = {
      s3Bucket: 'config-bucket', stateMachineFile: 'deploy/prod.json', stackName: 'from-params', templatePath: 'cdk.out/FromParams.template.json',
    };

    // WHEN the trigger runs
    const outcome = await world.run(jobEvent({ userParameters }));

    // THEN the file was read from S3 and merged, UserParameters winning
    expect(outcome).toBe('STARTED');
    expect(world.s3.mock).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: 'config-bucket', Key: 'deploy/prod.json' });
    expect(world.startedInput().deployment).toMatchObject({
      stackName: 'from-params',
      templatePath: 'cdk.out/FromParams.template.json',
      parameterOverrides: { Stage: 'prod', InstanceType: 't3.micro' },
      tags: { team: 'payments' },
      capabilities: ['CAPABILITY_NAMED_IAM'],
      pollIntervalSeconds: 10,
    });
  });

  test.each([
    ['policy', { type: 'allowAll' }],
    ['onUnsafe', { type: 'deployToNewStack' }],
    ['stackName', 'other-app'],
    ['environmentName', 'dev'],
    ['roleArn', 'arn:aws:iam::123456789012:role/other-actions-role'],
    ['assumeRoleArn', 'arn:aws:iam::210987654321:role/other-account'],
    ['includeNestedStacks', false],
    ['recreateRolledBackStack', true],
    ['timeoutMinutes', 1380],
  ])('GIVEN an S3 input file that sets %s (a setting that decides safety) THEN the deployment is refused with a ConfigurationError naming the key, and nothing starts', async (key, value) => {
    // GIVEN: whoever can write to the bucket tries to change what the synthesized action decided
    const world = new TriggerWorld();
    world.s3.put('config-bucket', 'deploy/prod.json', JSON.stringify({ templatePath: 'cdk.out/App.json', [key]: value }));
    const userParameters = { s3Bucket: 'config-bucket', stateMachineFile: 'deploy/prod.json', stackName: 'sample-app' };

    // WHEN
    const outcome = await world.run(jobEvent({ userParameters }));

    // THEN
    expect(outcome).toBe('FAILED');
    const message = world.codepipeline.lastFailure.failureDetails!.message!;
    expect(message).toMatch(new RegExp(`^ConfigurationError: the S3 input file may not set "${key}": the policy, the unsafe-change strategy`));
    expect(world.sfn.mock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test("the seed's input file keys revisionS3Bucket / revisionS3Key are accepted and not passed on", async () => {
    // GIVEN a seed-era input file that still carries the artifact location keys
    const world = new TriggerWorld();
    world.s3.put('config-bucket', 'seed.json', JSON.stringify({
      templatePath: 't.json', revisionS3Bucket: 'old-bucket', revisionS3Key: 'old/key.zip',
    }));

    // WHEN the trigger runs
    const outcome = await world.run(jobEvent({ userParameters: { s3Bucket: 'config-bucket', stateMachineFile: 'seed.json', stackName: 'sample-app' } }));

    // THEN the deployment starts with the job's own artifact, not the seed keys
    expect(outcome).toBe('STARTED');
    const { deployment } = world.startedInput();
    expect(deployment.artifact).toEqual(ARTIFACT);
    expect(JSON.stringify(deployment)).not.toContain('revisionS3');
    expect(world.codepipeline.failures).toHaveLength(0);
  });
});

describe('continuation invocations report the execution', () => {
  test.each(['RUNNING', 'PENDING_REDRIVE'] as const)(
    'an execution that is %s keeps the job in progress with the same continuation token',
    async (status) => {
      // GIVEN a started execution in that status
      const world = new TriggerWorld();
      world.sfn.add({ name: EXECUTION_NAME, status });

      // WHEN CodePipeline invokes the action again with the continuation token
      const outcome = await world.run(jobEvent({ continuationToken: tokenFor(EXECUTION_ARN) }));

      // THEN the job continues, still pointing at the execution
      expect(outcome).toBe('RUNNING');
      expect(world.sfn.mock).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: EXECUTION_ARN });
      expect(world.sfn.mock).not.toHaveReceivedCommand(StartExecutionCommand);
      expect(JSON.parse(world.codepipeline.lastSuccess.continuationToken!)).toEqual({ executionArn: EXECUTION_ARN });
      expect(world.codepipeline.lastSuccess.executionDetails!.externalExecutionId).toBe(EXECUTION_ARN);
      expect(world.codepipeline.failures).toHaveLength(0);
      expect(world.codepipeline.jobs.get(JOB_ID)).toBe('InProgress');
    });

  const deployment = { stackName: 'prod-sample-app', changeSetName: 'sfn-deploy-a1b2' };
  test.each([
    {
      outcome: 'UPDATED',
      verdict: 'ALLOW',
      summary: 'Updated stack prod-sample-app (2 Add, 1 Modify).',
      output: {
        deployment,
        stack: { next: 'CHANGE_SET' },
        inspection: { verdict: 'ALLOW', violationCount: 0, violations: [], counts: { Add: 2, Modify: 1, Remove: 0 } },
        operation: { outcome: 'SUCCEEDED' },
      },
    },
    {
      outcome: 'CREATED',
      verdict: 'NONE',
      summary: 'Created stack prod-sample-app.',
      output: { deployment, stack: { next: 'CREATE' }, operation: { outcome: 'SUCCEEDED' } },
    },
    {
      outcome: 'NO_CHANGES',
      verdict: 'NONE',
      summary: 'Stack prod-sample-app is up to date',
      output: { deployment, stack: { next: 'CHANGE_SET' }, changeSet: { outcome: 'NO_CHANGES' } },
    },
  ])('an execution that SUCCEEDED ($outcome) ends the job with a summary and output variables', async ({ outcome, verdict, summary, output }) => {
    // GIVEN an execution that succeeded with that output
    const world = new TriggerWorld();
    world.sfn.add({ name: EXECUTION_NAME, status: 'SUCCEEDED', output: JSON.stringify(output) });

    // WHEN CodePipeline invokes the action with the continuation token
    const result = await world.run(jobEvent({ continuationToken: tokenFor(EXECUTION_ARN) }));

    // THEN the job succeeds: no continuation token, a summary, and the output variables
    expect(result).toBe('SUCCEEDED');
    const answer = world.codepipeline.lastSuccess;
    expect(answer.continuationToken).toBeUndefined();
    expect(answer.executionDetails!.summary).toContain(summary);
    expect(answer.executionDetails!.summary).toContain(EXECUTION_ARN);
    expect(answer.executionDetails).toMatchObject({ externalExecutionId: EXECUTION_ARN, percentComplete: 100 });
    expect(answer.outputVariables).toEqual({ StackName: 'prod-sample-app', Outcome: outcome, Verdict: verdict, ChangeSetName: 'sfn-deploy-a1b2' });
    expect(world.codepipeline.jobs.get(JOB_ID)).toBe('Succeeded');
  });

  test.each(['FAILED', 'TIMED_OUT', 'ABORTED'] as const)(
    'an execution that ended %s fails the job with its real error and cause',
    async (status) => {
      // GIVEN an execution that ended badly with an error and a cause
      const world = new TriggerWorld();
      world.sfn.add({
        name: EXECUTION_NAME,
        status,
        error: 'UnsafeChangeSet',
        cause: 'Change set sfn-deploy-a1b2 was rejected: Database (AWS::RDS::DBInstance): Remove refused by no-deletion',
      });

      // WHEN CodePipeline invokes the action with the continuation token
      const outcome = await world.run(jobEvent({ continuationToken: tokenFor(EXECUTION_ARN) }));

      // THEN the job fails with the execution's own error and cause, linked to the execution
      expect(outcome).toBe('FAILED');
      expect(world.codepipeline.successes).toHaveLength(0);
      const failure = world.codepipeline.lastFailure.failureDetails!;
      expect(failure.type).toBe('JobFailed');
      expect(failure.externalExecutionId).toBe(EXECUTION_ARN);
      expect(failure.message).toContain('UnsafeChangeSet');
      expect(failure.message).toContain('Database (AWS::RDS::DBInstance): Remove refused by no-deletion');
      expect(failure.message).toContain(status.toLowerCase().replace('_', ' '));
      expect(world.codepipeline.jobs.get(JOB_ID)).toBe('Failed');
    });

  test('a whole job: start, poll while RUNNING, then report SUCCEEDED, each time following the token CodePipeline got', async () => {
    // GIVEN a new job
    const world = new TriggerWorld();
    const first = await world.run(jobEvent());
    const token = world.codepipeline.lastSuccess.continuationToken!;

    // WHEN CodePipeline comes back with the token while the workflow runs, then after it succeeded
    const second = await world.run(jobEvent({ continuationToken: token }));
    const execution = world.sfn.only();
    execution.status = 'SUCCEEDED';
    execution.output = JSON.stringify({ ...JSON.parse(execution.input), stack: { next: 'CREATE' }, operation: { outcome: 'SUCCEEDED' } });
    const third = await world.run(jobEvent({ continuationToken: world.codepipeline.lastSuccess.continuationToken! }));

    // THEN the job went STARTED -> RUNNING -> SUCCEEDED on one single execution
    expect([first, second, third]).toEqual(['STARTED', 'RUNNING', 'SUCCEEDED']);
    expect(world.sfn.mock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(world.codepipeline.lastSuccess.outputVariables).toMatchObject({ StackName: 'sample-app', Outcome: 'CREATED' });
    expect(world.codepipeline.jobs.get(JOB_ID)).toBe('Succeeded');
  });
});

describe('duplicate invocations and answered jobs', () => {
  test('a duplicate first invocation gets ExecutionAlreadyExists and follows the existing execution; no second deployment', async () => {
    // GIVEN a job whose workflow was already started by a first invocation, and has ended since
    const world = new TriggerWorld();
    await world.run(jobEvent());
    const firstArn = world.sfn.only().executionArn;
    world.sfn.only().status = 'SUCCEEDED';

    // WHEN the same job is delivered again later (Step Functions refuses the name of an execution that ended)
    const outcome = await world.run(jobEvent());

    // THEN the trigger follows the first execution instead of failing or starting another one
    expect(outcome).toBe('STARTED');
    expect(world.sfn.mock).toHaveReceivedCommandTimes(StartExecutionCommand, 2);
    expect(world.sfn.executions.length).toBe(1);
    expect(world.codepipeline.failures).toHaveLength(0);
    expect(world.codepipeline.successes).toHaveLength(2);
    expect(JSON.parse(world.codepipeline.lastSuccess.continuationToken!)).toEqual({ executionArn: firstArn });
    expect(world.codepipeline.lastSuccess.executionDetails!.externalExecutionId).toBe(firstArn);
  });

  test('InvalidJobStateException on PutJobSuccessResult (job already answered) is not an error', async () => {
    // GIVEN a job that CodePipeline already considers finished
    const world = new TriggerWorld();
    world.sfn.add({ name: EXECUTION_NAME, status: 'RUNNING' });
    world.codepipeline.jobs.set(JOB_ID, 'Succeeded');

    // WHEN the trigger answers it again
    const outcome = world.run(jobEvent({ continuationToken: tokenFor(EXECUTION_ARN) }));

    // THEN it resolves as already answered, and does not turn the refusal into a failure result
    await expect(outcome).resolves.toBe('ALREADY_ANSWERED');
    expect(world.codepipeline.mock).toHaveReceivedCommandTimes(PutJobSuccessResultCommand, 1);
    expect(world.codepipeline.mock).not.toHaveReceivedCommand(PutJobFailureResultCommand);
  });

  test('InvalidJobStateException on PutJobFailureResult (job already answered) is not an error', async () => {
    // GIVEN a failed execution for a job that was already failed
    const world = new TriggerWorld();
    world.sfn.add({ name: EXECUTION_NAME, status: 'FAILED', error: 'States.Timeout', cause: 'timed out' });
    world.codepipeline.jobs.set(JOB_ID, 'Failed');

    // WHEN the trigger answers it again
    const outcome = await world.run(jobEvent({ continuationToken: tokenFor(EXECUTION_ARN) }));

    // THEN it reports the job as already answered, without throwing
    expect(outcome).toBe('ALREADY_ANSWERED');
    expect(world.codepipeline.mock).toHaveReceivedCommandTimes(PutJobFailureResultCommand, 1);
    expect(world.logs.join('\n')).toContain('already answered');
  });
});

describe('every path answers CodePipeline', () => {
  test('DescribeExecution throws AccessDeniedException: the job fails with the AWS message instead of hanging', async () => {
    // GIVEN Step Functions refuses to describe the execution
    const world = new TriggerWorld();
    world.sfn.mock.on(DescribeExecutionCommand).rejects(
      awsError('AccessDeniedException', 'User: arn:aws:sts::123456789012:assumed-role/trigger is not authorized to perform: states:DescribeExecution'));

    // WHEN the trigger polls
    const outcome = await world.run(jobEvent({ continuationToken: tokenFor(EXECUTION_ARN) }));

    // THEN the job is failed with the error's message
    expect(outcome).toBe('FAILED');
    const failure = world.codepipeline.lastFailure.failureDetails!;
    expect(failure.type).toBe('JobFailed');
    expect(failure.message).toMatch(/^AccessDeniedException: /);
    expect(failure.message).toContain('not authorized to perform: states:DescribeExecution');
    expect(world.codepipeline.successes).toHaveLength(0);
  });

  test('StartExecution throws StateMachineDoesNotExist: the job fails', async () => {
    // GIVEN the state machine is gone
    const world = new TriggerWorld();
    world.sfn.mock.on(StartExecutionCommand).rejects(awsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${STATE_MACHINE_ARN}'`));

    // WHEN the trigger starts the workflow
    const outcome = await world.run(jobEvent());

    // THEN the job fails and names the problem
    expect(outcome).toBe('FAILED');
    expect(world.codepipeline.lastFailure.failureDetails!.message).toContain('State Machine Does Not Exist');
    expect(world.codepipeline.successes).toHaveLength(0);
  });

  test('a continuation token for an execution that no longer exists fails the job', async () => {
    // GIVEN a token naming an unknown execution
    const world = new TriggerWorld();

    // WHEN the trigger polls
    const outcome = await world.run(jobEvent({ continuationToken: tokenFor(`${EXECUTION_ARN}-gone`) }));

    // THEN the job fails
    expect(outcome).toBe('FAILED');
    expect(world.codepipeline.lastFailure.failureDetails!.message).toContain('Execution Does Not Exist');
  });

  test.each([
    ['not JSON', 'garbage'],
    ['JSON without an execution ARN', JSON.stringify({ foo: 'bar' })],
  ])('a continuation token that is %s fails the job as a ConfigurationError', async (_what, token) => {
    // GIVEN a token this action did not write
    const world = new TriggerWorld();

    // WHEN the trigger polls
    const outcome = await world.run(jobEvent({ continuationToken: token }));

    // THEN the job fails without calling Step Functions
    expect(outcome).toBe('FAILED');
    expect(world.codepipeline.lastFailure.failureDetails!.message).toMatch(/^ConfigurationError: the continuation token/);
    expect(world.sfn.mock).not.toHaveReceivedCommand(DescribeExecutionCommand);
  });

  test('an event that is not a CodePipeline job is rejected (there is no job to answer)', async () => {
    // GIVEN an event without CodePipeline.job.id
    const world = new TriggerWorld();

    // WHEN the trigger runs
    const outcome = world.run({ 'CodePipeline.job': { data: {} } });

    // THEN it throws a ConfigurationError and calls nothing
    await expect(outcome).rejects.toMatchObject({ name: 'ConfigurationError', message: expect.stringContaining('CodePipeline.job.id') });
    expect(world.codepipeline.mock.calls()).toHaveLength(0);
    expect(world.sfn.mock.calls()).toHaveLength(0);
  });
});

describe('configuration errors fail fast with ConfigurationError', () => {
  const valid = { stackName: 'sample-app', templatePath: 'cdk.out/App.json' };
  test.each<[string, string | Record<string, unknown>, string]>([
    ['bad JSON', '{"stackName": "sample-app", ', 'UserParameters is not valid JSON'],
    ['a JSON array', '["sample-app"]', 'UserParameters must be a JSON object'],
    ['empty UserParameters', '   ', 'UserParameters is empty'],
    ['an unknown key (a typo)', { ...valid, stackname: 'typo' }, 'unknown keys "stackname"'],
    ['an invalid stack name', { ...valid, stackName: 'sample_app' }, 'stack name "sample_app" is invalid'],
    ['a stack name starting with a digit', { ...valid, stackName: '1app' }, 'stack name "1app" is invalid'],
    ['a stack name over 128 characters', { ...valid, stackName: `a${'b'.repeat(128)}` }, 'is invalid'],
    ['an invalid environment name', { ...valid, environmentName: 'prod env' }, '"environmentName" must start with a letter'],
    ['a missing stackName', { templatePath: 'cdk.out/App.json' }, '"stackName" is missing'],
    ['a missing templatePath', { stackName: 'sample-app' }, '"templatePath" is missing'],
    ['path traversal in templatePath', { ...valid, templatePath: '../../etc/passwd' }, '"templatePath" must not contain "." or ".." segments'],
    ['an absolute templatePath', { ...valid, templatePath: '/etc/passwd' }, '"templatePath" must be relative'],
    ['path traversal in templateConfigurationPath', { ...valid, templateConfigurationPath: 'a/../../b.json' }, '"templateConfigurationPath" must not contain'],
    ['an unknown capability', { ...valid, capabilities: ['CAPABILITY_EVERYTHING'] }, '"capabilities" must be a list'],
    ['a role that is not an IAM role ARN', { ...valid, roleArn: 'admin' }, '"roleArn" must be an IAM role ARN'],
    ['non-string parameter values', { ...valid, parameterOverrides: { Count: 3 } }, '"parameterOverrides" must be an object of string values'],
    ['an unknown policy type', { ...valid, policy: { type: 'yolo' } }, '"policy": unknown policy type "yolo"'],
    ['a rule without criteria (it would match every change)', { ...valid, policy: { type: 'rules', rules: [{ verdict: 'DENY', actions: ['Remove'] }, { verdict: 'ALLOW' }] } },
      '"policy": rule #2 has no criteria, so it would match every change'],
    ['an unknown config version', { ...valid, v: 2 }, '"v" is 2'],
    ['a timeout beyond 23 hours', { ...valid, timeoutMinutes: 24 * 60 }, '"timeoutMinutes" must be a whole number'],
    ['s3Bucket without stateMachineFile', { ...valid, s3Bucket: 'config-bucket' }, '"s3Bucket" and "stateMachineFile" go together'],
  ])('UserParameters with %s fails the job naming the problem; nothing is started', async (_what, userParameters, problem) => {
    // GIVEN a job whose configuration is wrong
    const world = new TriggerWorld();

    // WHEN the trigger runs
    const outcome = await world.run(jobEvent({ userParameters }));

    // THEN the job fails as a ConfigurationError that names the problem, and no execution starts
    expect(outcome).toBe('FAILED');
    const failure = world.codepipeline.lastFailure.failureDetails!;
    expect(failure.message).toMatch(/^ConfigurationError: /);
    expect(failure.message).toContain(problem);
    expect(world.sfn.mock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(world.codepipeline.successes).toHaveLength(0);
  });

  test('every problem of a configuration is named at once', async () => {
    // GIVEN a configuration with three problems
    const world = new TriggerWorld();

    // WHEN the trigger runs
    await world.run(jobEvent({ userParameters: { stackName: 'bad_name', extra: 1 } }));

    // THEN the message names all of them
    const message = world.codepipeline.lastFailure.failureDetails!.message!;
    expect(message).toContain('unknown keys "extra"');
    expect(message).toContain('stack name "bad_name" is invalid');
    expect(message).toContain('"templatePath" is missing');
  });

  test('the S3 input file is missing (NoSuchKey): ConfigurationError naming the file', async () => {
    // GIVEN UserParameters that name an input file that is not in the bucket
    const world = new TriggerWorld();

    // WHEN the trigger runs
    const outcome = await world.run(jobEvent({ userParameters: { s3Bucket: 'config-bucket', stateMachineFile: 'deploy/missing.json' } }));

    // THEN the job fails as a ConfigurationError naming the S3 object and the error
    expect(outcome).toBe('FAILED');
    expect(world.s3.mock).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: 'config-bucket', Key: 'deploy/missing.json' });
    expect(world.codepipeline.lastFailure.failureDetails!.message)
      .toBe('ConfigurationError: cannot read the S3 input file s3://config-bucket/deploy/missing.json: NoSuchKey');
    expect(world.sfn.mock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('the S3 input file is not JSON: ConfigurationError naming the file', async () => {
    // GIVEN an input file with YAML in it
    const world = new TriggerWorld();
    world.s3.put('config-bucket', 'deploy/prod.yaml', 'stackName: sample-app\n');

    // WHEN the trigger runs
    await world.run(jobEvent({ userParameters: { s3Bucket: 'config-bucket', stateMachineFile: 'deploy/prod.yaml' } }));

    // THEN the message names the file
    expect(world.codepipeline.lastFailure.failureDetails!.message)
      .toMatch(/^ConfigurationError: the S3 input file s3:\/\/config-bucket\/deploy\/prod\.yaml is not valid JSON/);
    expect(world.sfn.mock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('an S3 input file over 64 KiB is refused', async () => {
    // GIVEN an input file S3 reports as larger than the limit
    const world = new TriggerWorld();
    world.s3.put('config-bucket', 'big.json', '{}');
    world.s3.reportedLength.set('config-bucket/big.json', LIMITS.inputFile + 1);

    // WHEN the trigger runs
    await world.run(jobEvent({ userParameters: { s3Bucket: 'config-bucket', stateMachineFile: 'big.json' } }));

    // THEN the job fails naming the limit
    expect(world.codepipeline.lastFailure.failureDetails!.message).toContain(`over ${LIMITS.inputFile} bytes`);
    expect(world.sfn.mock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('a job without an input artifact fails as a ConfigurationError', async () => {
    // GIVEN an action that was given no input artifact
    const world = new TriggerWorld();

    // WHEN the trigger runs
    await world.run(jobEvent({ withArtifact: false }));

    // THEN the job fails and says what is missing
    expect(world.codepipeline.lastFailure.failureDetails!.message).toMatch(/^ConfigurationError: the job has no input artifact/);
    expect(world.sfn.mock).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe('CodePipeline limits', () => {
  test('the failure message stays within 5000 characters with a huge cause, and keeps the execution link', async () => {
    // GIVEN an execution that failed with a 100,000 character cause
    const world = new TriggerWorld();
    world.sfn.add({ name: EXECUTION_NAME, status: 'FAILED', error: 'States.TaskFailed', cause: `root cause ${'x'.repeat(100_000)}` });

    // WHEN the trigger reports it
    await world.run(jobEvent({ continuationToken: tokenFor(EXECUTION_ARN) }));

    // THEN the message fits, starts with the error and still ends with the link to the execution
    const message = world.codepipeline.lastFailure.failureDetails!.message!;
    expect(message.length).toBeLessThanOrEqual(LIMITS.failureMessage);
    expect(message).toContain('States.TaskFailed');
    expect(message).toContain('root cause');
    expect(message).toContain('(truncated)');
    expect(message.endsWith(EXECUTION_ARN)).toBe(true);
  });

  test('a failure message from a huge exception stays within 5000 characters', async () => {
    // GIVEN Step Functions refuses the call with an enormous error message
    const world = new TriggerWorld();
    world.sfn.mock.on(DescribeExecutionCommand).rejects(awsError('ValidationException', 'e'.repeat(20_000), 400));

    // WHEN the trigger polls
    await world.run(jobEvent({ continuationToken: tokenFor(EXECUTION_ARN) }));

    // THEN the failure fits
    expect(world.codepipeline.lastFailure.failureDetails!.message!.length).toBeLessThanOrEqual(LIMITS.failureMessage);
  });

  test('a throttled or failing DescribeExecution keeps the action running with the same token, not failed', async () => {
    // GIVEN Step Functions is throttling (after the SDK's own retries)
    const world = new TriggerWorld();
    world.sfn.mock.on(DescribeExecutionCommand).rejects(awsError('ThrottlingException', 'Rate exceeded', 400));

    // WHEN the trigger polls
    const result = await world.run(jobEvent({ continuationToken: tokenFor(EXECUTION_ARN) }));

    // THEN the job continues with the same execution, and nothing failed
    expect(result).toBe('RUNNING');
    expect(world.codepipeline.failures).toHaveLength(0);
    expect(JSON.parse(world.codepipeline.lastSuccess.continuationToken!)).toEqual({ executionArn: EXECUTION_ARN });
    expect(world.codepipeline.lastSuccess.executionDetails!.summary).toMatch(/could not be read just now/);
  });

  test('the success summary stays within 2048 characters whatever the workflow output holds', async () => {
    // GIVEN a successful execution whose output counts hundreds of kinds of change
    const world = new TriggerWorld();
    const counts = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`Action${i}`, i + 1]));
    world.sfn.add({
      name: EXECUTION_NAME,
      status: 'SUCCEEDED',
      output: JSON.stringify({ deployment: { stackName: 'prod-sample-app' }, inspection: { counts }, operation: { outcome: 'SUCCEEDED' } }),
    });

    // WHEN the trigger reports it
    await world.run(jobEvent({ continuationToken: tokenFor(EXECUTION_ARN) }));

    // THEN the summary fits CodePipeline's limit
    const summary = world.codepipeline.lastSuccess.executionDetails!.summary!;
    expect(summary.length).toBeLessThanOrEqual(LIMITS.summary);
    expect(summary).toMatch(/^Updated stack prod-sample-app/);
  });

  test('UserParameters over 1000 characters are rejected with a message naming the limit', async () => {
    // GIVEN UserParameters of 1001 characters
    const world = new TriggerWorld();
    const userParameters = withLength(1001);

    // WHEN the trigger runs
    await world.run(jobEvent({ userParameters }));

    // THEN the job fails, names the limit and says where large configuration goes
    const message = world.codepipeline.lastFailure.failureDetails!.message!;
    expect(message).toMatch(/^ConfigurationError: UserParameters is 1001 characters, over CodePipeline's 1000/);
    expect(message).toContain('S3 input file');
    expect(world.sfn.mock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('UserParameters of exactly 1000 characters are accepted', async () => {
    // GIVEN UserParameters of exactly the limit
    const world = new TriggerWorld();

    // WHEN the trigger runs
    const outcome = await world.run(jobEvent({ userParameters: withLength(1000) }));

    // THEN the deployment starts
    expect(outcome).toBe('STARTED');
    expect(world.codepipeline.failures).toHaveLength(0);
  });
});

/** Valid UserParameters JSON of exactly `length` characters. */
function withLength(length: number): string {
  const base = JSON.stringify({ stackName: 'sample-app', templatePath: 'cdk.out/App.json', parameterOverrides: { Pad: '' } });
  const text = JSON.stringify({ stackName: 'sample-app', templatePath: 'cdk.out/App.json', parameterOverrides: { Pad: 'p'.repeat(length - base.length) } });
  expect(text).toHaveLength(length);
  return text;
}

describe('console links follow the partition of the execution', () => {
  const execution = (partition: string, region: string) => `arn:${partition}:states:${region}:123456789012:execution:deploy:cp-${JOB_ID}`;

  test.each([
    ['aws', 'eu-west-1', 'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/'],
    ['aws-cn', 'cn-north-1', 'https://console.amazonaws.cn/states/home?region=cn-north-1#/v2/executions/details/'],
    ['aws-us-gov', 'us-gov-west-1', 'https://console.amazonaws-us-gov.com/states/home?region=us-gov-west-1#/v2/executions/details/'],
  ])('GIVEN an execution in partition %s (%s) THEN the link is on that partition\'s console', (partition, region, page) => {
    const arn = execution(partition, region);
    expect(consoleLink(arn)).toBe(`${page}${arn}`);
  });

  test.each([
    ['aws-iso', 'us-iso-east-1'],
    ['aws-iso-b', 'us-isob-east-1'],
    ['aws-iso-e', 'eu-isoe-west-1'],
    ['aws-iso-f', 'us-isof-south-1'],
    ['aws-eusc', 'eusc-de-east-1'],
    ['aws-new-partition', 'xx-new-1'],
  ])('GIVEN an execution in partition %s, whose console domain is not documented, THEN no link: the ARN alone', (partition, region) => {
    const arn = execution(partition, region);
    expect(consoleLink(arn)).toBe(arn);
  });

  test('GIVEN something that is not an execution ARN THEN it is shown as it is, never made into a link', () => {
    expect(consoleLink('not-an-arn')).toBe('not-an-arn');
    expect(consoleLink('arn:aws:states:evil.example.com/x:1:execution:a:b')).toBe('arn:aws:states:evil.example.com/x:1:execution:a:b');
    expect(consoleLink('arn:constructor:states:eu-west-1:1:execution:a:b')).toBe('arn:constructor:states:eu-west-1:1:execution:a:b');
  });

  test.each([
    ['aws-cn', 'cn-northwest-1', 'https://console.amazonaws.cn/'],
    ['aws-us-gov', 'us-gov-east-1', 'https://console.amazonaws-us-gov.com/'],
  ])('GIVEN a workflow in partition %s WHEN the trigger starts it THEN the pipeline\'s summary links to that partition\'s console', async (partition, region, host) => {
    const world = new TriggerWorld();
    const stateMachineArn = `arn:${partition}:states:${region}:123456789012:stateMachine:deploy`;
    issueJobOf(world.codepipeline, jobEvent());
    await runTrigger(jobEvent(), { ...world.deps, stateMachineArn });
    const summary = world.codepipeline.lastSuccess.executionDetails!.summary!;
    expect(summary).toContain(`${host}states/home?region=${region}#/v2/executions/details/${world.sfn.only().executionArn}`);
    expect(summary).not.toContain('console.aws.amazon.com');
  });

  test('GIVEN a workflow in an isolated partition WHEN the trigger starts it THEN the summary names the execution ARN, with no link', async () => {
    const world = new TriggerWorld();
    const stateMachineArn = 'arn:aws-iso:states:us-iso-east-1:123456789012:stateMachine:deploy';
    issueJobOf(world.codepipeline, jobEvent());
    await runTrigger(jobEvent(), { ...world.deps, stateMachineArn });
    const summary = world.codepipeline.lastSuccess.executionDetails!.summary!;
    expect(summary).toContain(world.sfn.only().executionArn);
    expect(summary).not.toMatch(/https?:/);
  });
});
