/**
 * Nested stacks' change sets and stack outputs, on top of a `FakeCloudFormation`: DescribeChangeSet by ARN (paged,
 * only while the root change set exists, as CloudFormation deletes them with it) and DescribeStacks `Outputs` once
 * an operation completed. Calls reach the wrapped fake's call log, so `callsOf()` sees them all.
 */
import { ChangeSetNotFoundException, DescribeChangeSetCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { Change, CloudFormationClient, Output } from '@aws-sdk/client-cloudformation';
import { ACCOUNT, METADATA, REGION, awsError } from './aws';
import type { FakeCloudFormation } from './cloudformation';

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
        const error = awsError('AccessDeniedException', `User is not authorized to perform: cloudformation:DescribeChangeSet on resource: ${arn}`);
        throw error;
      }
      const root = this.cfn.changeSet(script.root.stackName, script.root.changeSetName);
      // Deleting the root change set deletes the nested ones with it.
      if (!root || root.status !== 'CREATE_COMPLETE') {
        throw new ChangeSetNotFoundException({ message: `ChangeSet [${arn}] does not exist`, $metadata: METADATA });
      }
      if (input.StackName !== undefined && input.StackName !== script.stackName) {
        throw awsError('ValidationError', `ChangeSet [${arn}] does not belong to stack [${input.StackName}]`);
      }
      const pageSize = script.pageSize ?? 100;
      const start = input.NextToken ? Number(String(input.NextToken).replace('nested-page-', '')) : 0;
      if (!Number.isInteger(start) || start < 0 || start >= Math.max(script.changes.length, 1)) {
        throw awsError('ValidationError', `Invalid NextToken ${input.NextToken}`);
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
