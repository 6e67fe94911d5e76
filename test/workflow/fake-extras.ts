/**
 * More fakes for the workflow tests of the pluggable policy and the unsafe-change strategies, next to
 * `fake-aws.ts` and in its style (stateful, every call recorded, AWS's errors):
 * - `FakeLambda`: the user's policy function (SafetyPolicy.fromFunction), answered by the test.
 * - `FakeSns`: the approvers' topic (UnsafeChangeAction.requireApproval), keeping every Publish.
 * - `CloudFormationExtras`: wraps a `FakeCloudFormation` with nested stacks' change sets (DescribeChangeSet by
 *   ARN, paged, only while the root change set exists) and stack outputs (DescribeStacks `Outputs` once an
 *   operation completed). Calls reach the wrapped fake's call log, so `callsOf()` sees them all.
 */
import {
  ChangeSetNotFoundException, CloudFormationClient, DescribeChangeSetCommand, DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import type { Change, Output } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { InvalidParameterException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { ACCOUNT, REGION, serviceError } from './fake-aws';
import type { FakeCloudFormation } from './fake-aws';

const METADATA = { httpStatusCode: 400, requestId: 'fake-request' };

// ---------------------------------------------------------------------------------------------------------
// Lambda: the user's policy function
// ---------------------------------------------------------------------------------------------------------

/** What the policy function returns, as Lambda reports it: the payload text and, if it failed, FunctionError. */
export interface FunctionAnswer {
  readonly payload: string;
  readonly functionError?: 'Unhandled' | 'Handled';
}

export interface InvokeCall {
  readonly functionName: string;
  /** The event the function received, parsed from the JSON payload. */
  readonly event: any;
}

/** A Lambda service holding one function; the test decides what it answers (or throws, as the SDK would). */
export class FakeLambda {
  /** A function that returns this value (Lambda serialises it to JSON). */
  public static json(value: unknown): FunctionAnswer {
    return { payload: JSON.stringify(value) };
  }

  /** A function that threw: Lambda answers 200 with FunctionError and the runtime's error JSON. */
  public static crashed(errorType: string, errorMessage: string): FunctionAnswer {
    return { functionError: 'Unhandled', payload: JSON.stringify({ errorType, errorMessage, trace: [`${errorType}: ${errorMessage}`] }) };
  }

  public readonly client = new LambdaClient({ region: REGION });
  public readonly calls: InvokeCall[] = [];

  constructor(public readonly functionArn: string) {
    const mock = mockClient(this.client);
    mock.callsFake((input) => {
      throw new Error(`FakeLambda: operation not modelled (input ${JSON.stringify(input)})`);
    });
    mock.on(InvokeCommand).callsFake(async (input) => {
      if (input.FunctionName !== this.functionArn) {
        throw new ResourceNotFoundException({ message: `Function not found: ${input.FunctionName}`, $metadata: { ...METADATA, httpStatusCode: 404 } });
      }
      if (input.InvocationType !== undefined && input.InvocationType !== 'RequestResponse') {
        throw new Error(`FakeLambda: the policy function must be invoked synchronously, not ${input.InvocationType}`);
      }
      const text = input.Payload === undefined ? '' : new TextDecoder().decode(input.Payload);
      const event = JSON.parse(text);
      this.calls.push({ functionName: input.FunctionName, event });
      const answer = await this.answer(event);
      return {
        StatusCode: 200,
        ExecutedVersion: '$LATEST',
        Payload: new TextEncoder().encode(answer.payload),
        ...(answer.functionError ? { FunctionError: answer.functionError } : {}),
      };
    });
  }

  /** What the function answers; tests replace it. @default a JSON ALLOW */
  public answer: (event: any) => FunctionAnswer | Promise<FunctionAnswer> = () => FakeLambda.json({ verdict: 'ALLOW' });
}

// ---------------------------------------------------------------------------------------------------------
// SNS: the approvers' topic
// ---------------------------------------------------------------------------------------------------------

export interface Published {
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
}

/** SNS topics that keep every message; Publish enforces SNS's limits on the subject and the message. */
export class FakeSns {
  public readonly client = new SNSClient({ region: REGION });
  public readonly published: Published[] = [];
  private failure?: Error;

  constructor(public readonly topicArns: string[]) {
    const mock = mockClient(this.client);
    mock.callsFake((input) => {
      throw new Error(`FakeSns: operation not modelled (input ${JSON.stringify(input)})`);
    });
    mock.on(PublishCommand).callsFake(async (input) => {
      if (this.failure) throw this.failure;
      const invalid = (message: string) => new InvalidParameterException({ message: `Invalid parameter: ${message}`, $metadata: METADATA });
      if (!input.TopicArn || !this.topicArns.includes(input.TopicArn)) {
        const error = new Error('Topic does not exist');
        error.name = 'NotFoundException';
        throw error;
      }
      if (typeof input.Message !== 'string' || input.Message.length === 0) throw invalid('Message');
      if (Buffer.byteLength(input.Message) > 256 * 1024) throw invalid('Message too long');
      if (input.Subject !== undefined && (input.Subject.length > 100 || /[\r\n]/.test(input.Subject))) throw invalid('Subject');
      this.published.push({ topicArn: input.TopicArn, message: input.Message, ...(input.Subject !== undefined ? { subject: input.Subject } : {}) });
      return { MessageId: `message-${this.published.length}` };
    });
  }

  /** Every later Publish fails with `error`. */
  public failWith(error: Error): void {
    this.failure = error;
  }
}

// ---------------------------------------------------------------------------------------------------------
// CloudFormation: nested change sets and stack outputs
// ---------------------------------------------------------------------------------------------------------

/** A nested stack's change set, created by CloudFormation with the root change set (IncludeNestedStacks). */
export interface NestedChangeSetScript {
  /** The root change set it belongs to; it is described only while that one exists and is CREATE_COMPLETE. */
  readonly root: { readonly stackName: string; readonly changeSetName: string };
  /** The nested stack's name, as CloudFormation names it (`<parent>-<logical id>-<random>`). */
  readonly stackName: string;
  readonly changes: Change[];
  /** Changes per DescribeChangeSet page. @default 100 */
  readonly pageSize?: number;
}

/** The ARN CloudFormation gives a nested stack's change set. */
export function nestedChangeSetArn(name: string): string {
  return `arn:aws:cloudformation:${REGION}:${ACCOUNT}:changeSet/${name}/00000000-nested-${name.toLowerCase()}`;
}

/** A parent's change to a nested stack, pointing at the nested stack's change set as DescribeChangeSet does. */
export function nestedStackChange(logicalId: string, changeSetArn: string): Change {
  return {
    Type: 'Resource',
    ResourceChange: {
      Action: 'Modify',
      LogicalResourceId: logicalId,
      PhysicalResourceId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${logicalId.toLowerCase()}-nested/0000`,
      ResourceType: 'AWS::CloudFormation::Stack',
      Replacement: 'False',
      Scope: ['Properties'],
      ChangeSetId: changeSetArn,
    },
  };
}

/**
 * A CloudFormation client for the workflow that behaves as the wrapped `FakeCloudFormation`, plus nested change
 * sets described by ARN and stack outputs. Use its `client` in the task deps.
 */
export class CloudFormationExtras {
  public readonly client: CloudFormationClient;
  private readonly nested = new Map<string, NestedChangeSetScript>();
  private readonly denied = new Set<string>();
  private readonly outputs = new Map<string, Output[]>();

  constructor(private readonly cfn: FakeCloudFormation) {
    const send = async (command: any) => {
      if (command instanceof DescribeChangeSetCommand && this.nested.has(String(command.input.ChangeSetName))) {
        return this.describeNested(command.input);
      }
      const result: any = await cfn.client.send(command);
      if (command instanceof DescribeStacksCommand) return this.withOutputs(result);
      return result;
    };
    this.client = { send, config: cfn.client.config } as unknown as CloudFormationClient;
  }

  /** A nested stack's change set, described by its ARN (`nestedChangeSetArn()`). */
  public putNestedChangeSet(arn: string, script: NestedChangeSetScript): void {
    this.nested.set(arn, script);
  }

  /** DescribeChangeSet of this nested change set is refused, as IAM refuses a stack outside the function's rights. */
  public denyNestedChangeSet(arn: string): void {
    this.denied.add(arn);
  }

  /** The outputs DescribeStacks reports for a stack once an operation on it completed. */
  public putOutputs(stackName: string, outputs: Record<string, string>): void {
    this.outputs.set(stackName, Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })));
  }

  private withOutputs(result: any): any {
    const stacks = (result.Stacks ?? []).map((stack: any) => {
      const outputs = this.outputs.get(stack.StackName);
      const complete = /_COMPLETE$/.test(stack.StackStatus ?? '') && !/ROLLBACK/.test(stack.StackStatus ?? '');
      return outputs && complete ? { ...stack, Outputs: outputs } : stack;
    });
    return { ...result, Stacks: stacks };
  }

  private describeNested(input: any): any {
    const record = { op: 'DescribeChangeSet' as const, input: JSON.parse(JSON.stringify(input)) };
    const arn = String(input.ChangeSetName);
    const script = this.nested.get(arn)!;
    try {
      if (this.denied.has(arn)) {
        const error = serviceError('AccessDeniedException', `User is not authorized to perform: cloudformation:DescribeChangeSet on resource: ${arn}`);
        throw error;
      }
      const root = this.cfn.changeSet(script.root.stackName, script.root.changeSetName);
      // Deleting the root change set deletes the nested ones with it.
      if (!root || root.status !== 'CREATE_COMPLETE') {
        throw new ChangeSetNotFoundException({ message: `ChangeSet [${arn}] does not exist`, $metadata: METADATA });
      }
      if (input.StackName !== undefined && input.StackName !== script.stackName) {
        throw serviceError('ValidationError', `ChangeSet [${arn}] does not belong to stack [${input.StackName}]`);
      }
      const pageSize = script.pageSize ?? 100;
      const start = input.NextToken ? Number(String(input.NextToken).replace('nested-page-', '')) : 0;
      if (!Number.isInteger(start) || start < 0 || start >= Math.max(script.changes.length, 1)) {
        throw serviceError('ValidationError', `Invalid NextToken ${input.NextToken}`);
      }
      const next = start + pageSize < script.changes.length ? `nested-page-${start + pageSize}` : undefined;
      this.cfn.calls.push({ ...record, status: 'CREATE_COMPLETE' });
      return {
        ChangeSetName: arn.split('/')[1],
        ChangeSetId: arn,
        StackName: script.stackName,
        Status: 'CREATE_COMPLETE',
        ExecutionStatus: 'AVAILABLE',
        Changes: script.changes.slice(start, start + pageSize),
        ...(next ? { NextToken: next } : {}),
      };
    } catch (e) {
      this.cfn.calls.push({ ...record, error: (e as Error).name });
      throw e;
    }
  }
}
