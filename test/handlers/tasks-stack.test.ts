/**
 * Handler unit tests of the stack tasks: checkStack (does the stack exist, in which state),
 * createStack and pollStack (the operation's end and its root cause).
 * CloudFormation and S3 are the stateful fakes of ./fakes.
 */
import { CreateStackCommand, DescribeStackEventsCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { StackEvent } from '@aws-sdk/client-cloudformation';
import 'aws-sdk-client-mock-jest';
import { SMALL_TEMPLATE, T0, TEMPLATE_PATH, deployment } from './fixtures';
import { alarmArn, awsError, FakeCloudWatch, REGION } from '../fakes';
import { EXECUTION_ARN, TaskWorld } from './task-support';
import type { CheckStackResult, OperationResult } from '../../src/shared/contract';
import { runTask } from '../../src/workflow/tasks';

const STACK = 'prod-sample-app';

describe('runTask dispatch', () => {
  test('an unknown task name is a ConfigurationError naming the known tasks', async () => {
    // GIVEN a task event with a task the handler does not know
    const world = new TaskWorld();

    // WHEN it runs
    const result = runTask({ task: 'dropStack' as any, state: { deployment: deployment() } }, world.deps);

    // THEN it is refused before any AWS call
    await expect(result).rejects.toMatchObject({ name: 'ConfigurationError', message: expect.stringContaining('checkStack') });
    expect(world.cloudformation.mock.calls()).toHaveLength(0);
  });

  test('an event without state.deployment is a ConfigurationError', async () => {
    const world = new TaskWorld();
    await expect(runTask({ task: 'checkStack', state: {} as any }, world.deps))
      .rejects.toMatchObject({ name: 'ConfigurationError', message: expect.stringContaining('state.deployment') });
    expect(world.cloudformation.mock.calls()).toHaveLength(0);
  });
});

describe('checkStack decides whether the stack exists', () => {
  test('ValidationError "Stack with id X does not exist" means absent: CREATE', async () => {
    // GIVEN no stack of that name
    const world = new TaskWorld();

    // WHEN the workflow checks the stack
    const result = await world.run<CheckStackResult>('checkStack');

    // THEN the next step is to create it
    expect(result).toEqual({ exists: false, next: 'CREATE', waitSeconds: 5 });
    expect(world.cloudformation.mock).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: STACK });
  });

  test.each([
    ['AccessDenied', awsError('AccessDenied', 'User: arn:aws:sts::123456789012:assumed-role/task is not authorized to perform: cloudformation:DescribeStacks', 403)],
    ['ValidationError with another message', awsError('ValidationError', "1 validation error detected: Value 'prod-sample-app' at 'stackName' failed to satisfy constraint")],
    ['ValidationError about a different problem', awsError('ValidationError', 'Role arn:aws:iam::123456789012:role/cfn is invalid or cannot be assumed')],
  ])('%s is never read as "absent": the error fails the task', async (_what, error) => {
    // GIVEN DescribeStacks fails with that error
    const world = new TaskWorld();
    world.cloudformation.mock.on(DescribeStacksCommand).rejects(error);

    // WHEN the workflow checks the stack
    const result = world.run('checkStack');

    // THEN the same error propagates (the workflow fails, it does not fall through to CREATE)
    await expect(result).rejects.toMatchObject({ name: error.name, message: error.message });
  });

  test.each([
    ['Throttling (400)', awsError('Throttling', 'Rate exceeded')],
    ['ServiceUnavailable (503)', awsError('ServiceUnavailable', 'Service is unavailable', 503)],
    ['a network reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
  ])('%s is rethrown as TransientAwsError for the state machine to retry', async (_what, error) => {
    // GIVEN DescribeStacks fails transiently
    const world = new TaskWorld();
    world.cloudformation.mock.on(DescribeStacksCommand).rejects(error);

    // WHEN the workflow checks the stack
    const result = world.run('checkStack');

    // THEN the error is a TransientAwsError that names the original error
    await expect(result).rejects.toMatchObject({ name: 'TransientAwsError', message: expect.stringContaining(error.message) });
  });

  test('REVIEW_IN_PROGRESS (a stack with only a CREATE change set) is treated as new: CHANGE_SET', async () => {
    // GIVEN a stack that was never created, only reviewed
    const world = new TaskWorld();
    const stack = world.cloudformation.putStack(STACK, 'REVIEW_IN_PROGRESS');

    // WHEN the workflow checks it
    const result = await world.run<CheckStackResult>('checkStack');

    // THEN it goes the change set way (createChangeSet then uses the CREATE type)
    expect(result).toMatchObject({ exists: true, status: 'REVIEW_IN_PROGRESS', next: 'CHANGE_SET', stackId: stack.id });
  });

  test.each([
    ['ROLLBACK_COMPLETE', 'delete the stack'],
    ['ROLLBACK_FAILED', 'fix or delete the stack'],
    ['UPDATE_ROLLBACK_FAILED', 'continue-update-rollback'],
    ['DELETE_FAILED', 'delete it again'],
  ])('%s cannot be updated: BLOCKED with guidance', async (status, guidance) => {
    // GIVEN a stack stuck in that state
    const world = new TaskWorld();
    world.cloudformation.putStack(STACK, status);

    // WHEN the workflow checks it
    const result = await world.run<CheckStackResult>('checkStack');

    // THEN the deployment is blocked with a reason that names the state and what to do
    expect(result.next).toBe('BLOCKED');
    expect(result.reason).toContain(`Stack ${STACK} is ${status}`);
    expect(result.reason).toContain(guidance);
  });

  test.each(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE'])(
    'a settled stack (%s) is updated through a change set', async (status) => {
      const world = new TaskWorld();
      world.cloudformation.putStack(STACK, status);
      const result = await world.run<CheckStackResult>('checkStack');
      expect(result).toMatchObject({ exists: true, status, next: 'CHANGE_SET' });
    });

  test.each(['UPDATE_IN_PROGRESS', 'CREATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'DELETE_IN_PROGRESS'])(
    'another operation is running (%s): WAIT, never a second deployment on the stack', async (status) => {
      // GIVEN a stack busy with another operation, before the deadline
      const world = new TaskWorld();
      world.cloudformation.putStack(STACK, status);
      world.clock = T0 + 60_000;

      // WHEN the workflow checks it
      const result = await world.run<CheckStackResult>('checkStack');

      // THEN it waits and says why
      expect(result).toMatchObject({ exists: true, status, next: 'WAIT' });
      expect(result.reason).toContain('waiting');
    });

  test('a stack still UPDATE_IN_PROGRESS past the deadline: BLOCKED', async () => {
    // GIVEN a stack busy until after the action's deadline
    const world = new TaskWorld();
    world.cloudformation.putStack(STACK, 'UPDATE_IN_PROGRESS');
    world.clock = deployment().deadline + 1;

    // WHEN the workflow checks it
    const result = await world.run<CheckStackResult>('checkStack');

    // THEN it gives up with a clear reason
    expect(result.next).toBe('BLOCKED');
    expect(result.reason).toContain('stayed UPDATE_IN_PROGRESS');
    expect(result.reason).toContain('timeout');
  });

  test('a stack being deleted: WAIT, then CREATE once CloudFormation has deleted it', async () => {
    // GIVEN a stack whose deletion is in progress
    const world = new TaskWorld();
    world.cloudformation.putStack(STACK, 'DELETE_IN_PROGRESS');
    const first = await world.run<CheckStackResult>('checkStack');

    // WHEN the deletion finishes and the workflow checks again
    world.cloudformation.stacks.delete(STACK);
    const second = await world.run<CheckStackResult>('checkStack');

    // THEN it waited, then creates
    expect([first.next, second.next]).toEqual(['WAIT', 'CREATE']);
  });

  test.each([
    [0, 5],
    [2 * 60_000, 12],
    [5 * 60_000, 30],
    [20 * 60_000, 30],
    [59 * 60_000, 30],
    [61 * 60_000, 60],
    [5 * 3_600_000, 60],
  ])('the poll interval adapts: %d ms after the start it is %d s', async (elapsed, seconds) => {
    const world = new TaskWorld();
    world.cloudformation.putStack(STACK, 'UPDATE_IN_PROGRESS');
    world.clock = T0 + elapsed;
    const result = await world.run<CheckStackResult>('checkStack');
    expect(result.waitSeconds).toBe(seconds);
  });
});

describe('createStack', () => {
  test('CreateStack gets the template body, merged parameters and tags, capabilities, role and an idempotency token', async () => {
    // GIVEN an artifact with the template and a template configuration file, and overrides in the deployment
    const world = new TaskWorld().artifact({
      [TEMPLATE_PATH]: SMALL_TEMPLATE,
      'config/prod.json': JSON.stringify({
        Parameters: { Stage: 'prod', Size: 'small' },
        Tags: { team: 'payments' },
        StackPolicy: { Statement: [{ Effect: 'Deny', Action: 'Update:Replace', Principal: '*', Resource: '*' }] },
      }),
    });
    const d = deployment({
      templateConfigurationPath: 'config/prod.json',
      parameterOverrides: { Size: 'large' },
      tags: { cost: 'cc-1' },
      capabilities: ['CAPABILITY_IAM'],
      roleArn: 'arn:aws:iam::123456789012:role/cfn-deploy',
    });

    // WHEN the workflow creates the stack
    const result = await world.run<OperationResult>('createStack', { deployment: d });

    // THEN CloudFormation received everything, the overrides winning over the configuration file
    const input = world.cloudformation.createdStacks[0];
    expect(input).toMatchObject({
      StackName: STACK,
      TemplateBody: SMALL_TEMPLATE,
      Capabilities: ['CAPABILITY_IAM'],
      RoleARN: 'arn:aws:iam::123456789012:role/cfn-deploy',
      ClientRequestToken: d.changeSetName,
    });
    expect(input.Parameters).toEqual(expect.arrayContaining([
      { ParameterKey: 'Stage', ParameterValue: 'prod' }, { ParameterKey: 'Size', ParameterValue: 'large' },
    ]));
    expect(input.Parameters).toHaveLength(2);
    expect(input.Tags).toEqual(expect.arrayContaining([{ Key: 'team', Value: 'payments' }, { Key: 'cost', Value: 'cc-1' }]));
    expect(JSON.parse(input.StackPolicyBody!)).toEqual({ Statement: [{ Effect: 'Deny', Action: 'Update:Replace', Principal: '*', Resource: '*' }] });
    // AND the workflow waits for CREATE_COMPLETE
    expect(result).toMatchObject({ expectedStatus: 'CREATE_COMPLETE', status: 'CREATE_IN_PROGRESS', outcome: 'IN_PROGRESS' });
    expect(result.stackId).toBe(world.cloudformation.stacks.get(STACK)!.id);
  });

  test('a staged template (over 51,200 bytes) is passed as TemplateURL, not TemplateBody', async () => {
    // GIVEN readTemplate staged the template
    const world = new TaskWorld().artifact();
    const templateUrl = `https://bucket.s3.${REGION}.amazonaws.com/staged.template`;
    world.s3.put('bucket', 'staged.template', SMALL_TEMPLATE);

    // WHEN the workflow creates the stack
    await world.run('createStack', { template: { size: 60_000, templateUrl } });

    // THEN CloudFormation reads it from S3
    expect(world.cloudformation.mock).toHaveReceivedCommandWith(CreateStackCommand, { TemplateURL: templateUrl });
    expect(world.cloudformation.createdStacks[0].TemplateBody).toBeUndefined();
  });
});

describe('createStack and an alarm that fired after the stack check (a unit\'s later stack, say)', () => {
  const BLOCKING = 'checkout-errors';
  function alarmed(world: TaskWorld): FakeCloudWatch {
    const cloudwatch = new FakeCloudWatch(() => world.clock);
    cloudwatch.putAlarm(BLOCKING);
    cloudwatch.setState(BLOCKING, 'ALARM', 'checkout 5xx above 2%');
    return cloudwatch;
  }

  test('GIVEN a blocking alarm in ALARM WHEN the stack would be created THEN it is not: StackNotUpdatable, naming the alarm', async () => {
    // GIVEN
    const world = new TaskWorld().artifact();
    const cloudwatch = alarmed(world);

    // WHEN
    const result = world.runAs('createStack', { deployment: deployment({ blockingAlarms: [{ arn: alarmArn(BLOCKING) }] }) }, EXECUTION_ARN, { cloudwatch: cloudwatch.client });

    // THEN
    await expect(result).rejects.toMatchObject({ name: 'StackNotUpdatable', message: expect.stringContaining(`alarm ${BLOCKING} is in ALARM`) });
    expect(world.cloudformation.mock).not.toHaveReceivedCommand(CreateStackCommand);
  });

  test('GIVEN an earlier attempt of the task created the stack (its answer lost) WHEN the alarm is in ALARM now THEN CreateStack is repeated with its token, as before', async () => {
    // GIVEN
    const world = new TaskWorld().artifact();
    const cloudwatch = alarmed(world);
    world.cloudformation.putStack(STACK, 'CREATE_IN_PROGRESS');

    // WHEN
    await world.runAs('createStack', { deployment: deployment({ blockingAlarms: [{ arn: alarmArn(BLOCKING) }] }) }, EXECUTION_ARN, { cloudwatch: cloudwatch.client }).catch((e) => e);

    // THEN
    expect(world.cloudformation.mock).toHaveReceivedCommand(CreateStackCommand);
  });
});

describe('pollStack waits for the operation and reports the root cause', () => {
  const at = (seconds: number) => new Date(T0 + seconds * 1000);
  function event(seconds: number, logicalId: string, status: string, reason?: string, type = 'AWS::Lambda::Function'): StackEvent {
    return {
      StackName: STACK,
      StackId: 'id',
      EventId: `${logicalId}-${seconds}`,
      Timestamp: at(seconds),
      LogicalResourceId: logicalId,
      ResourceType: logicalId === STACK ? 'AWS::CloudFormation::Stack' : type,
      ResourceStatus: status as any,
      ResourceStatusReason: reason,
    };
  }

  test('CREATE_COMPLETE when waiting for CREATE_COMPLETE: SUCCEEDED', async () => {
    const world = new TaskWorld();
    world.cloudformation.putStack(STACK, 'CREATE_COMPLETE');
    const result = await world.run<OperationResult>('pollStack', { operation: { expectedStatus: 'CREATE_COMPLETE', waitSeconds: 5 } });
    expect(result).toMatchObject({ expectedStatus: 'CREATE_COMPLETE', status: 'CREATE_COMPLETE', outcome: 'SUCCEEDED' });
    expect(world.cloudformation.mock).not.toHaveReceivedCommand(DescribeStackEventsCommand);
  });

  test.each(['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS'])(
    '%s while waiting for UPDATE_COMPLETE: still IN_PROGRESS', async (status) => {
      const world = new TaskWorld();
      world.cloudformation.putStack(STACK, status);
      const result = await world.run<OperationResult>('pollStack', { operation: { expectedStatus: 'UPDATE_COMPLETE', waitSeconds: 5 } });
      expect(result).toMatchObject({ status, outcome: 'IN_PROGRESS' });
    });

  test('the update completes after the cleanup phase: IN_PROGRESS, then SUCCEEDED', async () => {
    // GIVEN an update in its cleanup phase
    const world = new TaskWorld();
    const stack = world.cloudformation.putStack(STACK, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    const state = { operation: { expectedStatus: 'UPDATE_COMPLETE', waitSeconds: 5 } };
    const first = await world.run<OperationResult>('pollStack', state);

    // WHEN CloudFormation finishes the cleanup
    stack.status = 'UPDATE_COMPLETE';
    const second = await world.run<OperationResult>('pollStack', state);

    // THEN the workflow sees success only then
    expect([first.outcome, second.outcome]).toEqual(['IN_PROGRESS', 'SUCCEEDED']);
  });

  test('GIVEN a failed resource whose reason quotes a secret value THEN the operation\'s reason names the failure with the secret masked', async () => {
    const world = new TaskWorld();
    world.cloudformation.putStack(STACK, 'UPDATE_ROLLBACK_COMPLETE');
    world.cloudformation.putEvents(STACK, [
      event(600, STACK, 'UPDATE_ROLLBACK_COMPLETE'),
      event(210, 'Hook', 'UPDATE_FAILED', 'Invalid request provided: endpoint https://hooks.slack.com/services/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 is not reachable'),
      event(10, STACK, 'UPDATE_IN_PROGRESS', 'User Initiated'),
    ]);

    const result = await world.run<OperationResult>('pollStack', { operation: { expectedStatus: 'UPDATE_COMPLETE', waitSeconds: 5 } });

    expect(result.reason).toContain('First failure: Hook (AWS::Lambda::Function) UPDATE_FAILED: Invalid request provided: endpoint (masked) is not reachable');
    expect(result.reason).not.toContain('NDvvjAZybLNJlkToH0G9IQFq');
  });

  test('UPDATE_ROLLBACK_COMPLETE fails with the earliest failed resource that was not cancelled, across event pages', async () => {
    // GIVEN an update that rolled back: the Function failed first; cancellations followed; an older failure exists
    const world = new TaskWorld();
    world.cloudformation.putStack(STACK, 'UPDATE_ROLLBACK_COMPLETE');
    world.cloudformation.eventsPageSize = 2;
    world.cloudformation.putEvents(STACK, [
      event(600, STACK, 'UPDATE_ROLLBACK_COMPLETE'),
      event(500, 'Bucket', 'UPDATE_FAILED', 'Resource update cancelled', 'AWS::S3::Bucket'),
      event(300, STACK, 'UPDATE_ROLLBACK_IN_PROGRESS', 'The following resource(s) failed to update: [Function].'),
      event(210, 'Function', 'UPDATE_FAILED', 'Resource handler returned message: "MemorySize value failed to satisfy constraint"'),
      event(150, 'Topic', 'UPDATE_FAILED', 'Resource update cancelled', 'AWS::SNS::Topic'),
      event(100, 'Function', 'UPDATE_IN_PROGRESS'),
      event(10, STACK, 'UPDATE_IN_PROGRESS', 'User Initiated'),
      event(-2 * 86_400, 'OldQueue', 'CREATE_FAILED', 'an old failure from an earlier deployment', 'AWS::SQS::Queue'),
    ]);

    // WHEN the workflow polls the stack
    const result = await world.run<OperationResult>('pollStack', { operation: { expectedStatus: 'UPDATE_COMPLETE', waitSeconds: 5 } });

    // THEN the operation failed with the real root cause
    expect(result.outcome).toBe('FAILED');
    expect(result.reason).toContain(`Stack ${STACK} ended UPDATE_ROLLBACK_COMPLETE, not UPDATE_COMPLETE`);
    expect(result.reason).toContain('First failure: Function (AWS::Lambda::Function) UPDATE_FAILED: Resource handler returned message: "MemorySize value failed to satisfy constraint"');
    expect(result.reason).not.toContain('cancelled');
    expect(result.reason).not.toContain('old failure');
    // AND it read several pages, not the whole history
    expect(world.cloudformation.mock.commandCalls(DescribeStackEventsCommand).length).toBeGreaterThan(1);
    expect(world.cloudformation.mock.commandCalls(DescribeStackEventsCommand).length).toBeLessThanOrEqual(5);
  });

  test('ROLLBACK_COMPLETE after a create fails with the CREATE_FAILED reason and the stack status reason', async () => {
    // GIVEN a creation that rolled back
    const world = new TaskWorld();
    world.cloudformation.putStack(STACK, 'ROLLBACK_COMPLETE', { statusReason: 'The following resource(s) failed to create: [Role].' });
    world.cloudformation.putEvents(STACK, [
      event(120, STACK, 'ROLLBACK_COMPLETE'),
      event(60, 'Queue', 'CREATE_FAILED', 'Resource creation cancelled', 'AWS::SQS::Queue'),
      event(50, 'Role', 'CREATE_FAILED', 'API: iam:CreateRole User is not authorized to perform: iam:CreateRole', 'AWS::IAM::Role'),
    ]);

    // WHEN the workflow polls the stack it created
    const result = await world.run<OperationResult>('pollStack', { operation: { expectedStatus: 'CREATE_COMPLETE', waitSeconds: 5 } });

    // THEN it fails naming the resource and CloudFormation's reason
    expect(result.outcome).toBe('FAILED');
    expect(result.reason).toContain('(The following resource(s) failed to create: [Role].)');
    expect(result.reason).toContain('First failure: Role (AWS::IAM::Role) CREATE_FAILED: API: iam:CreateRole User is not authorized');
  });

  test('a resource whose name contains "Cancelled" is not mistaken for a cancellation', async () => {
    // GIVEN the root cause is a resource called OrderCancelledTopic, followed by a later failure and a cancellation
    const world = new TaskWorld();
    world.cloudformation.putStack(STACK, 'UPDATE_ROLLBACK_COMPLETE');
    world.cloudformation.putEvents(STACK, [
      event(90, 'Queue', 'UPDATE_FAILED', 'Resource update cancelled', 'AWS::SQS::Queue'),
      event(80, 'Function', 'UPDATE_FAILED', 'Internal Failure'),
      event(60, 'OrderCancelledTopic', 'UPDATE_FAILED', 'Invalid parameter: TopicName', 'AWS::SNS::Topic'),
    ]);

    // WHEN the workflow polls the stack
    const result = await world.run<OperationResult>('pollStack', { operation: { expectedStatus: 'UPDATE_COMPLETE', waitSeconds: 5 } });

    // THEN the topic's failure is the root cause, not the queue's cancellation
    expect(result.reason).toContain('First failure: OrderCancelledTopic (AWS::SNS::Topic) UPDATE_FAILED: Invalid parameter: TopicName');
  });

  test('when every failure is a cancellation, the earliest one is still reported', async () => {
    const world = new TaskWorld();
    world.cloudformation.putStack(STACK, 'UPDATE_ROLLBACK_COMPLETE');
    world.cloudformation.putEvents(STACK, [
      event(60, 'B', 'UPDATE_FAILED', 'Resource update cancelled'),
      event(50, 'A', 'UPDATE_FAILED', 'Resource update cancelled'),
    ]);
    const result = await world.run<OperationResult>('pollStack', { operation: { expectedStatus: 'UPDATE_COMPLETE', waitSeconds: 5 } });
    expect(result.reason).toContain('First failure: A (');
  });

  test('the failure reason stays bounded whatever CloudFormation says', async () => {
    const world = new TaskWorld();
    world.cloudformation.putStack(STACK, 'UPDATE_ROLLBACK_COMPLETE', { statusReason: 'r'.repeat(10_000) });
    world.cloudformation.putEvents(STACK, [event(50, 'A', 'UPDATE_FAILED', 'x'.repeat(10_000))]);
    const result = await world.run<OperationResult>('pollStack', { operation: { expectedStatus: 'UPDATE_COMPLETE', waitSeconds: 5 } });
    expect(result.outcome).toBe('FAILED');
    expect(result.reason!.length).toBeLessThanOrEqual(3000);
  });

  test('an operation still in progress at the deadline fails clearly', async () => {
    // GIVEN an update that runs past the action's deadline
    const world = new TaskWorld();
    world.cloudformation.putStack(STACK, 'UPDATE_IN_PROGRESS');
    world.clock = deployment().deadline + 1;

    // WHEN the workflow polls
    const result = await world.run<OperationResult>('pollStack', { operation: { expectedStatus: 'UPDATE_COMPLETE', waitSeconds: 5 } });

    // THEN it stops waiting, and says CloudFormation carries on
    expect(result.outcome).toBe('FAILED');
    expect(result.reason).toContain('still UPDATE_IN_PROGRESS at the action\'s timeout');
  });

  test('a throttled DescribeStacks while polling is retried by the state machine (TransientAwsError)', async () => {
    const world = new TaskWorld();
    world.cloudformation.mock.on(DescribeStacksCommand).rejects(awsError('Throttling', 'Rate exceeded'));
    await expect(world.run('pollStack')).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});
