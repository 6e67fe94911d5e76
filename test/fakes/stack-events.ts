/**
 * Fakes for waiting on CloudFormation's stack status events: the wait records' DynamoDB table, Step Functions'
 * task tokens (SendTaskSuccess), and the event source, which lets the fake CloudFormation run a stack operation
 * to its end while the execution waits and delivers its status events to the real handler, or loses, repeats or
 * reorders them as a test says.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { SFNClient, SendTaskSuccessCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { CLIENT_CONFIG, METADATA, refuseUnmodelled } from './aws';
import type { FakeCloudFormation } from './cloudformation';
import { onStackEvent } from '../../src/workflow/stack-events';
import type { StackEventOutcome } from '../../src/workflow/stack-events';

export const WAIT_TABLE = 'StackWaits';

/** The wait records: PutItem with `attribute_not_exists(finalStatus)`, UpdateItem `SET finalStatus, expiresAt`. */
export class FakeWaitTable {
  public readonly client = new DynamoDBClient(CLIENT_CONFIG);
  public readonly items = new Map<string, Record<string, AttributeValue>>();

  constructor() {
    const mock = mockClient(this.client);
    refuseUnmodelled(mock, 'FakeWaitTable');
    mock.on(UpdateItemCommand).callsFake(async (input) => {
      const pk = input.Key!.pk.S!;
      const values = input.ExpressionAttributeValues!;
      const item = { ...(this.items.get(pk) ?? { pk: { S: pk } }), finalStatus: values[':status'], expiresAt: values[':expiresAt'] };
      this.items.set(pk, item);
      return { Attributes: item };
    });
  }

  /** What Step Functions' PutItem does with the item of an Await state. */
  public put(item: Record<string, AttributeValue>, condition: string | undefined): void {
    const pk = item.pk?.S;
    if (!pk) throw new Error('the wait record has no pk');
    if (condition !== 'attribute_not_exists(finalStatus)') throw new Error(`unexpected condition ${condition}`);
    if (this.items.get(pk)?.finalStatus) {
      // As Step Functions names an error of the aws-sdk:dynamodb integration: the service as the SDK writes it
      // (DynamoDb, not the optimised integration's DynamoDB), then the exception. The local engine runs this fake
      // in place of the call, so it cannot tell whether a Catch names it right: the definition tests check the names.
      const error = new Error('The conditional request failed');
      error.name = 'DynamoDb.ConditionalCheckFailedException';
      throw error;
    }
    this.items.set(pk, item);
  }
}

/** Step Functions' task tokens of the waits: SendTaskSuccess ends a wait once; later ones are refused. */
export class FakeTaskTokens {
  public readonly client = new SFNClient(CLIENT_CONFIG);
  public readonly outputs = new Map<string, string>();
  private readonly open = new Set<string>();

  constructor() {
    const mock = mockClient(this.client);
    refuseUnmodelled(mock, 'FakeTaskTokens');
    mock.on(SendTaskSuccessCommand).callsFake(async (input) => {
      if (!this.open.has(input.taskToken!)) throw new TaskTimedOut({ message: 'Task Timed Out', $metadata: METADATA });
      this.open.delete(input.taskToken!);
      this.outputs.set(input.taskToken!, input.output!);
      return {};
    });
  }

  public issue(token: string): void {
    this.open.add(token);
  }

  /** The wait is over without an answer (its timeout): a later SendTaskSuccess is refused. */
  public close(token: string): void {
    this.open.delete(token);
  }
}

/** What a stack's status events do while an execution waits: delivered in order (default), lost, or a test's own. */
export type EventDelivery = 'delivered' | 'lost' | ((events: StatusEvent[], deliver: (event: StatusEvent) => Promise<HandledEvent>) => Promise<void>);

/** A CloudFormation Stack Status Change event as EventBridge delivers it. */
export interface StatusEvent {
  readonly 'source': 'aws.cloudformation';
  readonly 'detail-type': 'CloudFormation Stack Status Change';
  readonly 'detail': { readonly 'stack-id': string; readonly 'status-details': { readonly status: string }; readonly 'client-request-token'?: string };
}

export function statusEvent(stackId: string, status: string, clientRequestToken?: string): StatusEvent {
  return {
    'source': 'aws.cloudformation',
    'detail-type': 'CloudFormation Stack Status Change',
    'detail': { 'stack-id': stackId, 'status-details': { status }, ...(clientRequestToken ? { 'client-request-token': clientRequestToken } : {}) },
  };
}

/**
 * A wait during which the stack's operation does not move on: it gets the stack and the operation's token, and
 * delivers what a test says (a forged final event, or one that comes before DescribeStacks shows the end).
 */
export type WhileRunning = (
  operation: { stackId: string; operationToken: string }, deliver: (event: StatusEvent, how?: Delivered) => Promise<HandledEvent>,
) => Promise<void>;

/**
 * How an event reaches the function: `invoked`, by someone who invokes it directly (a forged event: nobody invokes it
 * again); `eventbridge`, by EventBridge, whose asynchronous invocation Lambda retries when it fails (an early event:
 * the stack has ended by the retry).
 */
export type Delivered = 'invoked' | 'eventbridge';

/** What the function did with an event; REFUSED: the stack still showed in progress (the invocation failed). */
export type HandledEvent = StackEventOutcome | 'REFUSED';

/** The event source of a world: the table, the tokens, and how events are delivered. */
export class FakeStackEvents {
  public readonly table = new FakeWaitTable();
  public readonly tokens = new FakeTaskTokens();
  public delivery: EventDelivery = 'delivered';
  /** The next waits, in order, during which the stack's operation does not move on (then `delivery` again). */
  public readonly whileRunning: WhileRunning[] = [];
  /** What the handler did with each event it was given. */
  public readonly handled: HandledEvent[] = [];
  /** The statuses the event function's own DescribeStacks saw (it reads the stack before it believes an event). */
  public readonly reads: string[] = [];
  /** The event function's CloudFormation: reads what the fake holds, without moving an operation on (as AWS does). */
  private readonly cloudformation = new CloudFormationClient(CLIENT_CONFIG);
  private waits = 0;

  constructor(private readonly cfn: FakeCloudFormation) {
    const mock = mockClient(this.cloudformation);
    refuseUnmodelled(mock, 'FakeStackEvents (the event function\'s CloudFormation)');
    mock.on(DescribeStacksCommand).callsFake(async (input) => {
      const stack = this.cfn.stack(input.StackName!);
      if (!stack) {
        const error = new Error(`Stack with id ${input.StackName} does not exist`);
        error.name = 'ValidationError';
        throw error;
      }
      this.reads.push(stack.status);
      return { Stacks: [{ StackName: input.StackName, StackStatus: stack.status, CreationTime: new Date() }] };
    });
  }

  /**
   * An Await state: Step Functions puts the wait record with a task token of its own, then waits. Meanwhile
   * CloudFormation runs the stack's operation to its end and its events go out as `delivery` says. Returns the
   * answer SendTaskSuccess gave, or throws States.Timeout (the safety poll) when none came.
   */
  public async await(parameters: { Item: Record<string, AttributeValue>; ConditionExpression?: string }): Promise<unknown> {
    const token = `wait-token-${++this.waits}`;
    this.table.put({ ...parameters.Item, taskToken: { S: token } }, parameters.ConditionExpression);
    this.tokens.issue(token);
    const stackName = parameters.Item.pk.S!.split('#')[0];
    const retried: StatusEvent[] = [];
    const deliver = async (event: StatusEvent, how: Delivered = 'eventbridge'): Promise<HandledEvent> => {
      let outcome: HandledEvent;
      try {
        outcome = await onStackEvent(event, {
          cloudformation: this.cloudformation, dynamodb: this.table.client, sfn: this.tokens.client, tableName: WAIT_TABLE,
        });
      } catch (e) {
        if ((e as Error).name !== 'StackStillInProgress') throw e;
        outcome = 'REFUSED';
        if (how === 'eventbridge') retried.push(event);
      }
      this.handled.push(outcome);
      return outcome;
    };
    const running = this.whileRunning.shift();
    if (running) {
      const { stackId, operationToken } = this.cfn.operationOf(stackName);
      if (!operationToken) throw new Error(`FakeStackEvents: stack ${stackName} has no operation under way`);
      await running({ stackId, operationToken }, deliver);
      if (retried.length > 0) {
        // Lambda invokes the function again a minute later: by then the operation has ended.
        this.cfn.runToEnd(stackName);
        for (const event of retried.splice(0)) await deliver(event, 'invoked');
      }
    } else {
      const { stackId, operationToken, statuses } = this.cfn.runToEnd(stackName);
      const events = statuses.map((status) => statusEvent(stackId, status, operationToken));
      if (this.delivery === 'delivered') for (const event of events) await deliver(event);
      else if (this.delivery !== 'lost') await this.delivery(events, deliver);
    }
    const output = this.tokens.outputs.get(token);
    if (output !== undefined) return JSON.parse(output);
    this.tokens.close(token);
    const timeout = new Error('the safety poll interval passed without an event');
    timeout.name = 'States.Timeout';
    throw timeout;
  }
}
