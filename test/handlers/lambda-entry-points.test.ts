/**
 * The workflow's Lambda entry points as Lambda invokes them (src/workflow/*.lambda.ts): their clients are created
 * at module load, so the SDK clients are mocked at class level. Lambda takes an invocation as done when the
 * handler's promise settles: an entry point that settles before its work is done loses that work's result, and
 * a failure that does not reject the promise is never retried.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ENV } from '../../src/shared/contract';
import { handler as approvalHandler } from '../../src/workflow/approval.lambda';
import { handler as taskHandler } from '../../src/workflow/deploy-task.lambda';
import { handler as stackEventHandler } from '../../src/workflow/stack-event.lambda';
import { statusEvent } from '../fakes';

const cloudformation = mockClient(CloudFormationClient);
const dynamodb = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);

const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/prod-app/0a1b2c3d-1111-2222-3333-444455556666';
const TOKEN = 'sfn-deploy-a1b2c3d4';
let savedTable: string | undefined;

beforeEach(() => {
  cloudformation.reset();
  dynamodb.reset();
  sfn.reset();
  savedTable = process.env[ENV.waitTable];
  process.env[ENV.waitTable] = 'StackWaits';
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

afterEach(() => {
  if (savedTable === undefined) delete process.env[ENV.waitTable];
  else process.env[ENV.waitTable] = savedTable;
  jest.restoreAllMocks();
});

describe('the stack-event function', () => {
  test('GIVEN a registered wait and a stack that has ended WHEN Lambda invokes the handler with the final event THEN the wait is ' +
    'woken before the invocation settles', async () => {
    // GIVEN
    cloudformation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'prod-app', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date() }] });
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: { pk: { S: `prod-app#${TOKEN}` }, taskToken: { S: 'token-1' } } });
    sfn.on(SendTaskSuccessCommand).resolves({});

    // WHEN
    await stackEventHandler(statusEvent(STACK_ID, 'UPDATE_COMPLETE', TOKEN));

    // THEN: the record and the wake happened within the invocation, with the table the environment names.
    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, { TableName: 'StackWaits', Key: { pk: { S: `prod-app#${TOKEN}` } } });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'token-1' });
  });

  test('GIVEN CloudFormation still shows the stack in progress WHEN Lambda invokes the handler with a final event THEN the invocation ' +
    'fails, so that EventBridge\'s asynchronous invocation delivers the event again', async () => {
    // GIVEN
    cloudformation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'prod-app', StackStatus: 'UPDATE_IN_PROGRESS', CreationTime: new Date() }] });

    // WHEN
    const invoked = stackEventHandler(statusEvent(STACK_ID, 'UPDATE_COMPLETE', TOKEN));

    // THEN
    await expect(invoked).rejects.toMatchObject({ name: 'StackStillInProgress' });
    expect(dynamodb).not.toHaveReceivedCommand(UpdateItemCommand);
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  test('GIVEN the wait table throttles WHEN Lambda invokes the handler THEN the invocation fails (and is retried), it does not succeed empty', async () => {
    // GIVEN
    cloudformation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'prod-app', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date() }] });
    const throttled = new Error('Rate exceeded');
    throttled.name = 'ProvisionedThroughputExceededException';
    dynamodb.on(UpdateItemCommand).rejects(throttled);

    // WHEN / THEN
    await expect(stackEventHandler(statusEvent(STACK_ID, 'UPDATE_COMPLETE', TOKEN))).rejects.toThrow('Rate exceeded');
  });
});

describe('the task function', () => {
  test('GIVEN a task the workflow does not know WHEN Lambda invokes the handler THEN the invocation fails with the configuration error', async () => {
    await expect(taskHandler({ task: 'dropStack', state: { deployment: { stackName: 'prod-app' } } } as never))
      .rejects.toMatchObject({ name: 'ConfigurationError', message: expect.stringContaining('unknown task "dropStack"') });
  });

  test('GIVEN a unit\'s first round to plan WHEN Lambda invokes the handler THEN the invocation returns the task\'s result (the state machine stores it)', async () => {
    // GIVEN: planning reads nothing from AWS.
    const stack = (stackName: string, dependsOn: string[] = []) => ({
      stackName, templatePath: `${stackName}.template.json`, parameterOverrides: {}, tags: {}, capabilities: [], dependsOn, parameterOutputs: {},
    });
    const deployment = { ...stack('prod-network'), unit: [stack('prod-network'), stack('prod-app', ['prod-network'])], changeSetName: 'sfn-deploy-a1b2c3d4' };

    // WHEN
    const result = await taskHandler({ task: 'planUnitRound', state: { deployment }, executionId: 'arn:aws:states:eu-west-1:123456789012:execution:deploy:x' } as never);

    // THEN
    expect(result).toMatchObject({ next: 'REVIEW', round: 1, members: [{ stackName: 'prod-network', round: 1 }, { stackName: 'prod-app', status: 'WAITING' }] });
  });
});

describe('the approval function', () => {
  test('GIVEN a request not signed with AWS credentials WHEN the function URL invokes the handler THEN it answers 401 and sends nothing', async () => {
    const response = await approvalHandler({ requestContext: { http: { method: 'POST' } }, body: '{}' } as never);
    expect(response).toMatchObject({ statusCode: 401 });
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });
});
