/**
 * Throttling and transient errors on every AWS call (issue item 4: whether the stack exists, errors and retries).
 *
 * 1. Task handler: for every AWS call of every task, a throttling, 5xx or network error becomes a
 *    TransientAwsError (which every Task state retries) that names the original error; other errors keep
 *    their name (and are not retried).
 * 2. Workflow: a call that is throttled, then succeeds, is retried by the state machine and the deployment
 *    completes with each write done once, also when the first attempt took effect and only its response was
 *    lost. Retries that never succeed end the deployment without executing anything.
 * 3. Trigger: what each of its calls does when AWS stays throttled after the SDK's own retries.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  CloudFormationClient, CreateChangeSetCommand, CreateStackCommand, DeleteChangeSetCommand, DeleteStackCommand, DescribeChangeSetCommand,
  DescribeStackEventsCommand, DescribeStacksCommand, ExecuteChangeSetCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { GetJobDetailsCommand, ListActionExecutionsCommand, PutJobFailureResultCommand, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { TRANSIENT, accessDenied, intercept, statesTimeout } from './support';
import type { CommandClass, Intercepted, Interceptor } from './support';
import { executionNameFor } from '../../src/shared/naming';
import { statesRunning } from '../../src/shared/state-names';
import { runTrigger } from '../../src/trigger/trigger';
import { runTask } from '../../src/workflow/tasks';
import type { TaskDeps, TaskEvent } from '../../src/workflow/tasks';
import {
  S, STACK_NAME, TEMPLATE_PATH, causeMessage, createWorld, deploymentFor, issueJobFor, largeTemplate, runWorkflow,
} from '../executions/harness';
import type { World } from '../executions/harness';
import { FakeCloudWatch, REGION, NO_CHANGES_REASON, alarmArn, resourceChange } from '../fakes';
import { ARTIFACT, SMALL_TEMPLATE, TEMPLATE_PATH as H_TEMPLATE_PATH, change, deployment } from '../handlers/fixtures';
import { STACK_CHECK_TOKEN, EXECUTION_ARN as TASK_EXECUTION_ARN, TaskWorld } from '../handlers/task-support';
import { JOB_ID, TriggerWorld, issueJobOf, jobEvent } from '../handlers/trigger-support';

// -------------------------------------------------------------------------------------------------------
// 1. The task handler: every AWS call
// -------------------------------------------------------------------------------------------------------

const WORKFLOW_SRC = path.join(__dirname, '../../src/workflow');
const H_STACK = 'prod-sample-app';
const CHANGE_SET = 'sfn-deploy-job1';
const POLICY_FUNCTION = 'arn:aws:lambda:eu-west-1:123456789012:function:my-policy';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:approvals';

interface CallCase {
  /** The task and the AWS call it makes. */
  readonly task: TaskEvent['task'];
  readonly command: CommandClass;
  /** Puts the world in a state where the task reaches that call. */
  readonly given: (world: TaskWorld) => Partial<TaskEvent> | Promise<Partial<TaskEvent>>;
}

function largeHandlerTemplate(): string {
  return JSON.stringify({ Description: 'x'.repeat(60_000), Resources: { Queue: { Type: 'AWS::SQS::Queue' } } });
}

/** Every AWS call the task handler makes, reached through the task that makes it. */
/** A rollback alarm of the deployment, OK: the stack check reads it before deploying. */
const ALARM = 'app-errors';

const CALLS: [string, CallCase][] = [
  ['confirmJob: CodePipeline GetJobDetails', { task: 'confirmJob', command: GetJobDetailsCommand, given: () => ({}) }],
  ['confirmJob: CodePipeline ListActionExecutions', {
    task: 'confirmJob',
    command: ListActionExecutionsCommand,
    given: (w) => {
      w.codepipeline.issue({ id: deployment().jobId, userParameters: '{"stackName":"sample-app","templatePath":"t.json"}', artifact: ARTIFACT });
      return {};
    },
  }],
  ['confirmJob: S3 GetObject (the S3 input file)', {
    task: 'confirmJob',
    command: GetObjectCommand,
    given: (w) => {
      w.codepipeline.issue({
        id: deployment().jobId,
        artifact: ARTIFACT,
        userParameters: '{"stackName":"sample-app","templatePath":"t.json","s3Bucket":"config","stateMachineFile":"deploy.json"}',
      });
      return {};
    },
  }],
  ['readTemplate: S3 GetObject (the artifact)', { task: 'readTemplate', command: GetObjectCommand, given: () => ({}) }],
  ['readTemplate: S3 PutObject (staging a template over 51,200 bytes)', {
    task: 'readTemplate',
    command: PutObjectCommand,
    given: (w) => {
      w.artifact({ [H_TEMPLATE_PATH]: largeHandlerTemplate() });
      return {};
    },
  }],
  ['checkStack: DescribeStacks', { task: 'checkStack', command: DescribeStacksCommand, given: () => ({}) }],
  ['checkStack: CloudWatch DescribeAlarms (the rollback alarms, before deploying)', {
    task: 'checkStack',
    command: DescribeAlarmsCommand,
    given: () => ({ state: { deployment: { ...deployment(), rollbackAlarms: [{ arn: alarmArn(ALARM) }] } } }),
  }],
  ['createStack: CreateStack', { task: 'createStack', command: CreateStackCommand, given: () => ({}) }],
  ['createStack: S3 GetObject (the artifact)', { task: 'createStack', command: GetObjectCommand, given: () => ({}) }],
  ['pollStack: DescribeStacks', {
    task: 'pollStack',
    command: DescribeStacksCommand,
    given: (w) => {
      w.cloudformation.putStack(H_STACK, 'UPDATE_IN_PROGRESS');
      return { state: { deployment: deployment(), operation: { expectedStatus: 'UPDATE_COMPLETE', waitSeconds: 5 } } };
    },
  }],
  ['pollStack: DescribeStackEvents (the root cause of a rollback)', {
    task: 'pollStack',
    command: DescribeStackEventsCommand,
    given: (w) => {
      w.cloudformation.putStack(H_STACK, 'UPDATE_ROLLBACK_COMPLETE');
      return { state: { deployment: deployment(), operation: { expectedStatus: 'UPDATE_COMPLETE', waitSeconds: 5 } } };
    },
  }],
  ['createChangeSet: CreateChangeSet', {
    task: 'createChangeSet',
    command: CreateChangeSetCommand,
    given: (w) => {
      w.cloudformation.putStack(H_STACK, 'UPDATE_COMPLETE');
      return { state: { deployment: deployment(), stack: { exists: true, next: 'CHANGE_SET', waitSeconds: 5, changeSetToken: STACK_CHECK_TOKEN } } };
    },
  }],
  ['pollChangeSet: DescribeChangeSet', {
    task: 'pollChangeSet',
    command: DescribeChangeSetCommand,
    given: (w) => {
      w.cloudformation.putChangeSet(H_STACK, CHANGE_SET, [], 'CREATE_PENDING');
      return {};
    },
  }],
  ['inspectChangeSet: DescribeChangeSet (the changes)', {
    task: 'inspectChangeSet',
    command: DescribeChangeSetCommand,
    given: (w) => {
      const { id } = w.cloudformation.putChangeSet(H_STACK, CHANGE_SET, [change('Modify', 'Queue', 'AWS::SQS::Queue', { Replacement: 'False' })]);
      return { state: { deployment: deployment(), changeSet: polled(id) } };
    },
  }],
  ['inspectChangeSet: Lambda Invoke (SafetyPolicy.fromFunction)', {
    task: 'inspectChangeSet',
    command: InvokeCommand,
    given: (w) => {
      const { id } = w.cloudformation.putChangeSet(H_STACK, CHANGE_SET, [change('Add', 'Topic', 'AWS::SNS::Topic')]);
      return { state: { deployment: deployment({ policy: { type: 'function', functionArn: POLICY_FUNCTION } }), changeSet: polled(id) } };
    },
  }],
  ['executeChangeSet: ExecuteChangeSet', {
    task: 'executeChangeSet',
    command: ExecuteChangeSetCommand,
    given: (w) => executing(w),
  }],
  ['executeChangeSet: Step Functions GetExecutionHistory (its caller)', {
    task: 'executeChangeSet',
    command: GetExecutionHistoryCommand,
    given: (w) => executing(w),
  }],
  ['deleteRolledBackStack: DeleteStack (recreateRolledBackStack)', {
    task: 'deleteRolledBackStack',
    command: DeleteStackCommand,
    given: (w) => {
      w.cloudformation.putStack(H_STACK, 'ROLLBACK_COMPLETE');
      return { state: { deployment: deployment({ recreateRolledBackStack: true }) } };
    },
  }],
  ['deleteChangeSet: DeleteChangeSet', {
    task: 'deleteChangeSet',
    command: DeleteChangeSetCommand,
    given: (w) => {
      w.cloudformation.putChangeSet(H_STACK, CHANGE_SET, []);
      return {};
    },
  }],
  ['requestApproval: SNS Publish', {
    task: 'requestApproval',
    command: PublishCommand,
    given: () => ({
      token: 'task-token',
      state: {
        deployment: deployment({ onUnsafe: { type: 'requireApproval', topicArn: TOPIC, timeoutSeconds: 3600 } }),
        inspection: { ...safeInspection(), verdict: 'REQUIRE_APPROVAL' },
      },
    }),
  }],
];

/** A safe change set, and the execution at its Execute Change Set state with this state. */
async function executing(w: TaskWorld): Promise<Partial<TaskEvent>> {
  w.cloudformation.putStack(H_STACK, 'UPDATE_COMPLETE');
  const { id } = w.cloudformation.putChangeSet(H_STACK, CHANGE_SET, []);
  const state = { deployment: deployment(), changeSet: polled(id), inspection: { ...safeInspection(), ...(await w.judged()) } };
  w.history.current.set(TASK_EXECUTION_ARN, { executionArn: TASK_EXECUTION_ARN, name: S.executeChangeSet, input: state });
  return { state, executionId: TASK_EXECUTION_ARN };
}

function safeInspection() {
  return {
    verdict: 'ALLOW' as const, changeCount: 0, violationCount: 0, violations: [], reason: '', counts: {}, nestedChangeSets: 0, changeSetId: '', digest: '',
  };
}

/** The change set as pollChangeSet recorded it once CREATE_COMPLETE: by its id. */
function polled(id: string) {
  return { name: CHANGE_SET, id, type: 'UPDATE', outcome: 'READY' as const, waitSeconds: 5 };
}

/** A task world whose every client goes through one interceptor per client. */
function handlerWorld() {
  const world = new TaskWorld().artifact({ [H_TEMPLATE_PATH]: SMALL_TEMPLATE });
  const lambda = new LambdaClient({ region: REGION });
  mockClient(lambda).on(InvokeCommand).resolves({ StatusCode: 200, Payload: new TextEncoder().encode('{"verdict":"ALLOW"}') as any });
  const sns = new SNSClient({ region: REGION });
  mockClient(sns).on(PublishCommand).resolves({ MessageId: 'm-1' });
  const cloudwatch = new FakeCloudWatch();
  cloudwatch.putAlarm(ALARM);
  const clients = {
    cloudwatch: intercept(cloudwatch.client),
    cloudformation: intercept(world.cloudformation.client),
    s3: intercept(world.s3.client),
    lambda: intercept(lambda),
    sns: intercept(sns),
    codepipeline: intercept(world.codepipeline.client),
    sfn: intercept(world.history.client),
  };
  const deps: TaskDeps = {
    ...world.deps,
    cloudformation: clients.cloudformation.client,
    cloudwatch: clients.cloudwatch.client,
    s3: clients.s3.client,
    lambda: clients.lambda.client,
    sns: clients.sns.client,
    codepipeline: clients.codepipeline.client,
    sfn: clients.sfn.client,
  };
  /** Injects into whichever client serves `command`. */
  const inject = (command: CommandClass, interceptor: Interceptor) => {
    for (const c of Object.values(clients)) c.on(command, interceptor);
  };
  return { world, deps, inject, clients };
}

async function runCase(c: CallCase, error: () => Error) {
  const { world, deps, inject, clients } = handlerWorld();
  const event = await c.given(world);
  const payload = { task: c.task, state: { deployment: deployment() }, executionId: TASK_EXECUTION_ARN, ...event } as TaskEvent;
  // The execution calls the task from the first state that runs it, with this payload (a task that writes checks it).
  world.history.current.set(payload.executionId!, {
    executionArn: payload.executionId!, name: statesRunning(c.task)[0], input: payload.state, token: payload.token,
  });
  let injected = 0;
  inject(c.command, async () => {
    injected++;
    throw error();
  });
  const result = runTask(payload, deps);
  return { result, injected: () => injected, clients };
}

describe('the task handler: a transient error on any AWS call becomes TransientAwsError', () => {
  const ERRORS: [string, () => Error][] = [
    ['Throttling (400)', TRANSIENT.throttling],
    ['ThrottlingException', TRANSIENT.throttlingException],
    ['InternalFailure (500)', TRANSIENT.internalFailure],
    ['S3 SlowDown (503)', TRANSIENT.slowDown],
    ['a dropped connection (ECONNRESET)', TRANSIENT.connectionReset],
    ['the SDK\'s TimeoutError', TRANSIENT.timeout],
  ];
  const isS3 = (c: CallCase) => c.command === GetObjectCommand || c.command === PutObjectCommand;
  // SlowDown is S3's own throttling error; the other services get the others.
  const rows = CALLS.flatMap(([call, c]) => ERRORS
    .filter(([, error]) => isS3(c) || error !== TRANSIENT.slowDown)
    .map(([what, error]) => [call, what, c, error] as const));

  test.each(rows)('%s fails with %s: the task throws TransientAwsError naming it', async (_call, _what, c, error) => {
    // GIVEN the task reaches the call, and AWS answers it with a transient error
    const { result, injected } = await runCase(c, error);

    // WHEN the task runs THEN it fails with TransientAwsError (retried by every Task state), naming the original
    const original = error();
    await expect(result).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringContaining(original.message),
    });
    await expect(result).rejects.toThrow(original.name === 'Error' ? original.message : `${original.name}: `);
    expect(injected()).toBe(1);
  });

  test.each(CALLS)('%s denied (AccessDenied): the error keeps its name and is not turned into a retry', async (call, c) => {
    const { result } = await runCase(c, () => accessDenied('the call'));
    // Where a denial has a meaning of its own, it is named by it: a pipeline this workflow does not serve, an
    // input file the function may not read.
    const meaning: Record<string, string> = {
      'confirmJob: CodePipeline ListActionExecutions': 'JobNotConfirmed',
      'confirmJob: S3 GetObject (the S3 input file)': 'ConfigurationError',
    };
    await expect(result).rejects.toMatchObject({ name: meaning[call] ?? 'AccessDenied' });
  });

  test('every AWS call of the task handler is in the list above (a new call needs a fault test)', () => {
    // The commands the workflow's handler modules (and the job confirmation they share with the trigger) send.
    const sent = new Set<string>();
    const files = [
      ...fs.readdirSync(WORKFLOW_SRC, { recursive: true, encoding: 'utf8' })
        // The stack event handler is no task: its errors go back to EventBridge, which retries (test/handlers/stack-events.test.ts).
        // Nor is the approval function: its errors go back to the approver who called its URL (test/handlers/approval.test.ts).
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.lambda.ts') && f !== 'stack-events.ts' && f !== 'approval.ts')
        .map((f) => path.join(WORKFLOW_SRC, f)),
      path.join(__dirname, '../../src/shared/pipeline-job.ts'),
    ];
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      for (const match of text.matchAll(/new (\w+Command)\(/g)) sent.add(match[1]);
    }
    const covered = new Set(CALLS.map(([, c]) => (c.command as unknown as { name: string }).name));
    expect([...covered].sort()).toEqual([...sent].sort());
    expect(sent.size).toBeGreaterThanOrEqual(11);
  });

  test('a throttled second page of DescribeChangeSet fails the whole inspection (no verdict on half a change set)', async () => {
    // GIVEN a change set of two pages whose second page is throttled
    const { world, deps, clients } = handlerWorld();
    world.cloudformation.changesPageSize = 1;
    world.cloudformation.putChangeSet(H_STACK, CHANGE_SET, [change('Add', 'Topic'), change('Remove', 'Database', 'AWS::RDS::DBInstance')]);
    clients.cloudformation.on(DescribeChangeSetCommand, async (input, next) => {
      if (input.NextToken) throw TRANSIENT.throttling();
      return next();
    });

    // WHEN the change set is inspected
    const { id } = world.cloudformation.changeSet(H_STACK, CHANGE_SET)!;
    const result = runTask({ task: 'inspectChangeSet', state: { deployment: deployment(), changeSet: polled(id) } }, deps);

    // THEN the task is retried as a whole rather than judging the first page alone
    await expect(result).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});

// -------------------------------------------------------------------------------------------------------
// 2. The workflow: retried, then completed, without duplicate side effects
// -------------------------------------------------------------------------------------------------------

type Scenario = 'update' | 'create' | 'large-template' | 'rollback' | 'no-changes';

interface FaultyWorld extends World {
  readonly cfnCalls: Intercepted<CloudFormationClient>;
  readonly s3Calls: Intercepted<S3Client>;
  readonly faultyDeps: TaskDeps;
}

function scenario(kind: Scenario): FaultyWorld {
  const world = kind === 'large-template' ? createWorld({ files: { [TEMPLATE_PATH]: largeTemplate() } }) : createWorld();
  if (kind !== 'create') world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
  world.cfn.onCreateChangeSet = { changes: [resourceChange('Modify', 'Queue', 'AWS::SQS::Queue', 'False')] };
  if (kind === 'no-changes') world.cfn.onCreateChangeSet = { failedReason: NO_CHANGES_REASON };
  if (kind === 'rollback') {
    world.cfn.onExecuteChangeSet = {
      inProgressPolls: 1,
      failure: { logicalId: 'Queue', resourceType: 'AWS::SQS::Queue', reason: 'Resource handler returned message: "Invalid visibility timeout"' },
    };
  }
  const cfnCalls = intercept(world.cfn.client);
  const s3Calls = intercept(world.s3.client);
  return { ...world, cfnCalls, s3Calls, faultyDeps: { ...world.deps, cloudformation: cfnCalls.client, s3: s3Calls.client } };
}

function deployIn(world: FaultyWorld) {
  const planned = deploymentFor();
  issueJobFor(world, planned);
  return runWorkflow({ deployment: planned }, world.faultyDeps);
}

/** How many times each write really reached CloudFormation (and S3). */
function effects(world: FaultyWorld) {
  const count = (op: string) => world.cfn.writes().filter((c) => c.op === op).length;
  return {
    CreateStack: count('CreateStack'),
    CreateChangeSet: count('CreateChangeSet'),
    ExecuteChangeSet: count('ExecuteChangeSet'),
    DeleteChangeSet: count('DeleteChangeSet'),
    PutObject: world.s3.calls.filter((c) => c.op === 'PutObject').length,
  };
}

describe('the workflow: a throttled call is retried and the deployment completes, each write done once', () => {
  test.each<[string, Scenario, CommandClass, string, Partial<ReturnType<typeof effects>>]>([
    ['S3 GetObject', 'update', GetObjectCommand, S.readTemplate, { CreateChangeSet: 1, ExecuteChangeSet: 1 }],
    ['S3 PutObject (large template)', 'large-template', PutObjectCommand, S.readTemplate, { PutObject: 1, CreateChangeSet: 1, ExecuteChangeSet: 1 }],
    ['DescribeStacks', 'update', DescribeStacksCommand, S.checkStack, { CreateChangeSet: 1, ExecuteChangeSet: 1 }],
    ['CreateStack', 'create', CreateStackCommand, S.createStack, { CreateStack: 1, CreateChangeSet: 0 }],
    ['CreateChangeSet', 'update', CreateChangeSetCommand, S.createChangeSet, { CreateChangeSet: 1, ExecuteChangeSet: 1 }],
    ['DescribeChangeSet', 'update', DescribeChangeSetCommand, S.getChangeSetCreationStatus, { CreateChangeSet: 1, ExecuteChangeSet: 1 }],
    ['ExecuteChangeSet', 'update', ExecuteChangeSetCommand, S.executeChangeSet, { CreateChangeSet: 1, ExecuteChangeSet: 1, DeleteChangeSet: 0 }],
    ['DeleteChangeSet (no changes)', 'no-changes', DeleteChangeSetCommand, S.deleteEmptyChangeSet, { CreateChangeSet: 1, ExecuteChangeSet: 0, DeleteChangeSet: 1 }],
  ])('GIVEN %s is throttled twice WHEN deployed THEN the state is retried twice and the deployment succeeds', async (_op, kind, command, state, expected) => {
    // GIVEN
    const world = scenario(kind);
    const target = command === GetObjectCommand || command === PutObjectCommand ? world.s3Calls : world.cfnCalls;
    target.failBefore(command, 2, TRANSIENT.throttling);

    // WHEN
    const run = await deployIn(world);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(run.retriesOf(state)).toBe(2);
    expect(target.callsOf(command).slice(0, 3).map((c) => c.error)).toEqual(['Throttling', 'Throttling', undefined]);
    expect(effects(world)).toMatchObject(expected);
    expect(run.path).not.toContain(S.deploymentErrored);
  });

  test('GIVEN DescribeStackEvents is throttled twice while a rolled-back update is reported WHEN deployed THEN the root cause is still reported', async () => {
    // GIVEN
    const world = scenario('rollback');
    world.cfnCalls.failBefore(DescribeStackEventsCommand, 2, TRANSIENT.throttling);

    // WHEN
    const run = await deployIn(world);

    // THEN: the poll that saw the rollback was retried, and the failure names the resource.
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('StackUpdateFailed');
    expect(run.cause).toContain('First failure: Queue (AWS::SQS::Queue) UPDATE_FAILED: Resource handler returned message: "Invalid visibility timeout"');
    expect(run.retriesOf(S.getStackUpdateStatus)).toBe(2);
    expect(effects(world)).toMatchObject({ ExecuteChangeSet: 1 });
  });

  test.each<[string, Scenario, CommandClass, () => Error, string, Partial<ReturnType<typeof effects>>]>([
    ['ExecuteChangeSet took effect, the response timed out', 'update', ExecuteChangeSetCommand, TRANSIENT.timeout, S.executeChangeSet,
      { CreateChangeSet: 1, ExecuteChangeSet: 1, DeleteChangeSet: 0 }],
    ['ExecuteChangeSet took effect, then the task itself timed out (States.Timeout)', 'update', ExecuteChangeSetCommand, statesTimeout,
      S.executeChangeSet, { CreateChangeSet: 1, ExecuteChangeSet: 1, DeleteChangeSet: 0 }],
    ['CreateStack took effect, the connection dropped', 'create', CreateStackCommand, TRANSIENT.connectionReset, S.createStack, { CreateStack: 1 }],
    ['CreateChangeSet took effect, the service answered 503', 'update', CreateChangeSetCommand, TRANSIENT.serviceUnavailable,
      S.createChangeSet, { CreateChangeSet: 1, ExecuteChangeSet: 1 }],
  ])('GIVEN %s WHEN the state retries the call THEN the idempotency token makes the retry harmless and the deployment succeeds',
    async (_what, kind, command, error, state, expected) => {
      // GIVEN: the first call reaches CloudFormation; its caller gets an error instead of the response.
      const world = scenario(kind);
      world.cfnCalls.failAfter(command, 1, error);
      // CloudFormation does not repeat a request that carries the token of one it already did.
      world.cfnCalls.idempotentOn(CreateStackCommand).idempotentOn(ExecuteChangeSetCommand);

      // WHEN
      const run = await deployIn(world);

      // THEN
      expect(run.status).toBe('SUCCEEDED');
      expect(run.retriesOf(state)).toBe(1);
      expect(world.cfnCalls.callsOf(command)).toHaveLength(2);
      expect(effects(world)).toMatchObject(expected);
      expect(world.cfn.stack(STACK_NAME)?.status).toBe(kind === 'create' ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE');
    });

  test('GIVEN ExecuteChangeSet is throttled on every attempt WHEN deployed THEN after the retries the change set is deleted, never executed, and the error is named', async () => {
    // GIVEN
    const world = scenario('update');
    world.cfnCalls.failBefore(ExecuteChangeSetCommand, Infinity, TRANSIENT.throttling);
    const planned = deploymentFor();
    issueJobFor(world, planned);

    // WHEN
    const run = await runWorkflow({ deployment: planned }, world.faultyDeps);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('TransientAwsError');
    expect(causeMessage(run.cause)).toBe('Throttling: Rate exceeded');
    expect(run.retriesOf(S.executeChangeSet)).toBe(5);
    expect(run.path.slice(-2)).toEqual([S.cleanUpAfterError, S.deploymentErrored]);
    expect(effects(world)).toMatchObject({ ExecuteChangeSet: 0, DeleteChangeSet: 1 });
    expect(world.cfn.changeSet(STACK_NAME, planned.changeSetName)).toBeUndefined();
    expect(world.cfn.stack(STACK_NAME)?.status).toBe('UPDATE_COMPLETE');
  });

  test('GIVEN S3 GetObject is throttled on every attempt WHEN deployed THEN the deployment fails before CloudFormation is touched', async () => {
    const world = scenario('update');
    world.s3Calls.failBefore(GetObjectCommand, Infinity, TRANSIENT.slowDown);
    const run = await deployIn(world);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('TransientAwsError');
    expect(causeMessage(run.cause)).toBe('SlowDown: Please reduce your request rate.');
    expect(run.path).toEqual([S.confirmJob, S.isUnit, S.readTemplate, S.deploymentErrored]);
    expect(world.cfn.calls).toEqual([]);
  });
});

// -------------------------------------------------------------------------------------------------------
// 3. The trigger's calls
// -------------------------------------------------------------------------------------------------------

const EXECUTION_ARN = `arn:aws:states:eu-west-1:123456789012:execution:DeployWorkflow:${executionNameFor(JOB_ID)}`;

function triggerWorld() {
  const world = new TriggerWorld();
  const codepipeline = intercept(world.codepipeline.client);
  const sfn = intercept(world.sfn.client);
  const s3 = intercept(world.s3.client);
  const deps = { ...world.deps, codepipeline: codepipeline.client, sfn: sfn.client, s3: s3.client };
  /** CodePipeline issued the event's job; the trigger runs for it with the intercepted clients. */
  const run = (event: Record<string, unknown>) => {
    issueJobOf(world.codepipeline, event);
    return runTrigger(event, deps);
  };
  return { world, deps, codepipeline, sfn, s3, run };
}

describe('the trigger: AWS still throttled after the SDK\'s own retries', () => {
  test.each<[string, CommandClass]>([
    ['GetJobDetails', GetJobDetailsCommand],
    ['ListActionExecutions', ListActionExecutionsCommand],
  ])('CodePipeline %s throttled: the job cannot be confirmed yet, so the invocation fails (Lambda retries it); nothing starts, nothing is answered', async (_what, command) => {
    const t = triggerWorld();
    t.codepipeline.failBefore(command, Infinity, TRANSIENT.throttlingException);
    await expect(t.run(jobEvent())).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(t.world.sfn.executions.length).toBe(0);
    expect(t.world.codepipeline.successes).toHaveLength(0);
    expect(t.world.codepipeline.failures).toHaveLength(0);
  });

  test('StartExecution throttled: nothing was started, so the job fails at once naming the throttling (the pipeline can be retried)', async () => {
    // GIVEN
    const t = triggerWorld();
    t.sfn.failBefore(StartExecutionCommand, Infinity, TRANSIENT.throttlingException);

    // WHEN
    const outcome = await t.run(jobEvent());

    // THEN
    expect(outcome).toBe('FAILED');
    expect(t.world.codepipeline.lastFailure.failureDetails).toMatchObject({ type: 'JobFailed', message: 'ThrottlingException: Rate exceeded' });
    expect(t.world.sfn.executions.length).toBe(0);
    expect(t.world.codepipeline.successes).toHaveLength(0);
  });

  test('DescribeExecution throttled on a continuation: the job goes on with the same token; nothing fails, the execution is untouched', async () => {
    // GIVEN a running execution that cannot be described (still throttled after the SDK's retries)
    const t = triggerWorld();
    t.world.sfn.add({ name: executionNameFor(JOB_ID), status: 'RUNNING' });
    t.sfn.failBefore(DescribeExecutionCommand, Infinity, TRANSIENT.throttlingException);

    // WHEN
    const outcome = await t.run(jobEvent({ continuationToken: JSON.stringify({ executionArn: EXECUTION_ARN }) }));

    // THEN: the action stays in progress, CodePipeline calls again with the same execution; Step Functions is not told anything.
    expect(outcome).toBe('RUNNING');
    expect(t.world.codepipeline.failures).toHaveLength(0);
    expect(JSON.parse(t.world.codepipeline.lastSuccess.continuationToken!)).toEqual({ executionArn: EXECUTION_ARN });
    expect(t.world.sfn.only().status).toBe('RUNNING');
  });

  test.each<[string, CommandClass, () => Record<string, unknown>, (t: ReturnType<typeof triggerWorld>) => void]>([
    ['PutJobSuccessResult after StartExecution', PutJobSuccessResultCommand, () => jobEvent(), () => undefined],
    ['PutJobSuccessResult for a running execution', PutJobSuccessResultCommand,
      () => jobEvent({ continuationToken: JSON.stringify({ executionArn: EXECUTION_ARN }) }),
      (t) => t.world.sfn.add({ name: executionNameFor(JOB_ID), status: 'RUNNING' })],
    ['PutJobFailureResult for a failed execution', PutJobFailureResultCommand,
      () => jobEvent({ continuationToken: JSON.stringify({ executionArn: EXECUTION_ARN }) }),
      (t) => t.world.sfn.add({ name: executionNameFor(JOB_ID), status: 'FAILED', error: 'StackUpdateFailed', cause: 'rolled back' })],
  ])('%s throttled: the invocation fails (Lambda retries it) and no other result is sent in its place', async (_what, command, event, given) => {
    // GIVEN
    const t = triggerWorld();
    given(t);
    t.codepipeline.failBefore(command, 1, TRANSIENT.throttlingException);

    // WHEN
    const first = t.run(event());

    // THEN the invocation fails, naming the call that could not be made; no contradicting result was sent
    await expect(first).rejects.toMatchObject({ name: 'AnswerError', message: 'ThrottlingException: Rate exceeded' });
    expect(t.world.codepipeline.successes).toHaveLength(0);
    expect(t.world.codepipeline.failures).toHaveLength(0);

    // AND Lambda's retry of the same invocation answers the job, following the same execution
    const retry = await t.run(event());
    expect(['STARTED', 'RUNNING', 'FAILED']).toContain(retry);
    expect(t.world.codepipeline.successes.length + t.world.codepipeline.failures.length).toBe(1);
    expect(t.world.sfn.executions.length).toBe(1);
  });

  test('S3 input file GetObject throttled (SlowDown): the job fails naming the error; nothing is started', async () => {
    // GIVEN
    const t = triggerWorld();
    t.world.s3.put('config-bucket', 'deploy/prod.json', JSON.stringify({ stackName: 'sample-app', templatePath: 'a.json' }));
    t.s3.failBefore(GetObjectCommand, Infinity, TRANSIENT.slowDown);

    // WHEN
    const outcome = await t.run(jobEvent({ userParameters: { s3Bucket: 'config-bucket', stateMachineFile: 'deploy/prod.json' } }));

    // THEN
    expect(outcome).toBe('FAILED');
    expect(t.world.codepipeline.lastFailure.failureDetails!.message).toBe('SlowDown: Please reduce your request rate.');
    expect(t.world.sfn.executions.length).toBe(0);
  });
});
