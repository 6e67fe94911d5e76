/**
 * Stateful fakes of the AWS services the workflow and the trigger call, on `aws-sdk-client-mock`.
 * Each fake models the service's behaviour that the deployment depends on (statuses that change from one
 * call to the next, paging, the errors AWS returns) and records every call, so tests can assert what was
 * and was not called. They stub one client instance each, never the client class, so tests stay isolated.
 */
import { Readable } from 'stream';
import {
  AlreadyExistsException, ChangeSetNotFoundException, CloudFormationClient, CloudFormationServiceException,
  CreateChangeSetCommand, CreateStackCommand, DeleteChangeSetCommand, DeleteStackCommand, DescribeChangeSetCommand,
  DescribeStackEventsCommand, DescribeStacksCommand, ExecuteChangeSetCommand, InvalidChangeSetStatusException,
} from '@aws-sdk/client-cloudformation';
import type { Change, ResourceStatus, StackEvent } from '@aws-sdk/client-cloudformation';
import {
  CodePipelineClient, GetJobDetailsCommand, InvalidJobStateException, JobNotFoundException, ListActionExecutionsCommand,
  PutJobFailureResultCommand, PutJobSuccessResultCommand, ValidationException as CodePipelineValidationException,
} from '@aws-sdk/client-codepipeline';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { sdkStreamMixin } from '@smithy/util-stream';
import { mockClient } from 'aws-sdk-client-mock';
import { zipSync } from 'fflate';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

const METADATA = { httpStatusCode: 400, requestId: 'fake-request' };

// ---------------------------------------------------------------------------------------------------------
// S3
// ---------------------------------------------------------------------------------------------------------

export interface S3Call {
  readonly op: 'GetObject' | 'PutObject';
  readonly bucket: string;
  readonly key: string;
}

/** An S3 of buckets and keys: GetObject serves stored bytes as an SDK stream, PutObject stores them. */
export class FakeS3 {
  public readonly client = new S3Client({ region: REGION });
  public readonly calls: S3Call[] = [];
  private readonly objects = new Map<string, Uint8Array>();

  constructor() {
    const mock = mockClient(this.client);
    mock.callsFake((input) => {
      throw new Error(`FakeS3: operation not modelled (input ${JSON.stringify(input)})`);
    });
    mock.on(GetObjectCommand).callsFake((input) => {
      this.calls.push({ op: 'GetObject', bucket: input.Bucket, key: input.Key });
      const bytes = this.objects.get(`${input.Bucket}/${input.Key}`);
      if (!bytes) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { ...METADATA, httpStatusCode: 404 } });
      return {
        ContentLength: bytes.length,
        Body: sdkStreamMixin(Readable.from([Buffer.from(bytes)])),
      };
    });
    mock.on(PutObjectCommand).callsFake((input) => {
      this.calls.push({ op: 'PutObject', bucket: input.Bucket, key: input.Key });
      const body = input.Body;
      const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : new Uint8Array(body);
      this.objects.set(`${input.Bucket}/${input.Key}`, bytes);
      return { ETag: '"fake"' };
    });
  }

  public put(bucket: string, key: string, body: string | Uint8Array): void {
    this.objects.set(`${bucket}/${key}`, typeof body === 'string' ? new TextEncoder().encode(body) : body);
  }

  public getText(bucket: string, key: string): string | undefined {
    const bytes = this.objects.get(`${bucket}/${key}`);
    return bytes ? new TextDecoder().decode(bytes) : undefined;
  }

  /** Resolves an S3 URL as CloudFormation does with a TemplateURL: path-style or virtual-hosted-style. */
  public getByUrl(url: string): string | undefined {
    const pathStyle = /^https:\/\/s3\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/([^/]+)\/(.+)$/.exec(url);
    if (pathStyle) return this.getText(decodeURIComponent(pathStyle[1]), pathStyle[2].split('/').map(decodeURIComponent).join('/'));
    const virtual = /^https:\/\/([^/]+)\.s3\.[a-z0-9-]+\.amazonaws\.com\/(.+)$/.exec(url);
    return virtual ? this.getText(virtual[1], virtual[2]) : undefined;
  }
}

/** A pipeline input artifact: a real zip archive of the given files. */
export function artifactZip(files: Record<string, string>): Uint8Array {
  const entries: Record<string, Uint8Array> = {};
  for (const [path, text] of Object.entries(files)) entries[path] = new TextEncoder().encode(text);
  return zipSync(entries);
}

// ---------------------------------------------------------------------------------------------------------
// CloudFormation
// ---------------------------------------------------------------------------------------------------------

export type CfnOperation =
  | 'DescribeStacks' | 'DescribeStackEvents' | 'CreateStack' | 'CreateChangeSet' | 'DescribeChangeSet'
  | 'ExecuteChangeSet' | 'DeleteChangeSet' | 'DeleteStack';

export const CFN_WRITES: readonly CfnOperation[] = ['CreateStack', 'CreateChangeSet', 'ExecuteChangeSet', 'DeleteChangeSet', 'DeleteStack'];

export interface CfnCall {
  readonly op: CfnOperation;
  readonly input: Record<string, any>;
  /** The name of the error the call returned, if it failed. */
  readonly error?: string;
  /** For DescribeStacks: the status it returned. For DescribeChangeSet: the change set status. */
  readonly status?: string;
}

/** How a stack operation (a creation, or the execution of a change set) plays out. */
export interface OperationScript {
  /** How many DescribeStacks calls still see the operation in progress. @default 1 */
  readonly inProgressPolls?: number;
  /** The operation fails on this resource, with CloudFormation's reason, and the stack rolls back. */
  readonly failure?: { readonly logicalId: string; readonly resourceType: string; readonly reason: string };
  /**
   * How many DescribeStacks calls right after ExecuteChangeSet still see the stack as it was before (its previous
   * update's UPDATE_COMPLETE and LastUpdatedTime): DescribeStacks is eventually consistent. @default 0
   */
  readonly staleReads?: number;
}

/** How a change set plays out once CreateChangeSet accepted it. */
export interface ChangeSetScript {
  /** How many DescribeChangeSet calls see it CREATE_PENDING / CREATE_IN_PROGRESS. @default 1 */
  readonly pendingPolls?: number;
  /** The changes DescribeChangeSet lists once it is CREATE_COMPLETE. @default [] */
  readonly changes?: Change[];
  /** Changes per DescribeChangeSet page. @default 100 */
  readonly pageSize?: number;
  /** The change set ends FAILED with this StatusReason. */
  readonly failedReason?: string;
}

/** The StatusReason CloudFormation gives a change set that changes nothing. */
export const NO_CHANGES_REASON =
  "The submitted information didn't contain changes. Submit different information to create a change set.";

interface Step {
  readonly status: string;
  readonly reason?: string;
  readonly events?: Omit<StackEvent, 'StackId' | 'StackName' | 'EventId' | 'Timestamp'>[];
}

interface StackModel {
  readonly name: string;
  readonly id: string;
  readonly creationTime: Date;
  /** Set when an update starts, as CloudFormation does. */
  lastUpdatedTime?: Date;
  status: string;
  statusReason?: string;
  /** DescribeStacks calls left that see `seen` instead of the stack as it is. */
  stale?: { reads: number; seen: { status: string; lastUpdatedTime?: Date } };
  /** The change set whose execution is under way, until the stack settles. */
  executing?: ChangeSetModel;
  /** Statuses the next DescribeStacks calls move through, one a call. */
  upcoming: Step[];
  /** Newest first, as DescribeStackEvents returns them. */
  events: StackEvent[];
  template?: string;
}

interface ChangeSetModel {
  readonly name: string;
  readonly id: string;
  readonly stackName: string;
  readonly type: string;
  readonly script: ChangeSetScript;
  pendingPolls: number;
  status: string;
  executionStatus: string;
  readonly template: string;
}

let stackCounter = 0;

/**
 * A CloudFormation that keeps stacks and change sets. Stack operations take `inProgressPolls` DescribeStacks
 * calls; failed ones roll back and leave resource events; change sets are CREATE_PENDING for a while, then
 * CREATE_COMPLETE (with paged changes) or FAILED. It refuses what CloudFormation refuses: an update of a stack
 * that is in progress or cannot be updated, a change set that is not ready, an inline template over 51,200 bytes.
 */
export class FakeCloudFormation {
  public readonly client = new CloudFormationClient({ region: REGION });
  public readonly calls: CfnCall[] = [];
  /** How new stack operations play out; tests set these before the run. */
  public onCreateStack: OperationScript = {};
  public onExecuteChangeSet: OperationScript = {};
  public onCreateChangeSet: ChangeSetScript = {};

  private readonly stacks = new Map<string, StackModel>();
  private readonly changeSets = new Map<string, ChangeSetModel>();
  private readonly throttles = new Map<CfnOperation, number>();
  private readonly injected = new Map<CfnOperation, Error>();

  constructor(private readonly s3?: FakeS3) {
    const mock = mockClient(this.client);
    mock.callsFake((input) => {
      throw new Error(`FakeCloudFormation: operation not modelled (input ${JSON.stringify(input)})`);
    });
    const handle = (op: CfnOperation, fn: (input: any) => { output: any; status?: string }) => async (input: any) => {
      const record = { op, input: JSON.parse(JSON.stringify(input)) };
      try {
        this.failIfInjected(op);
        const { output, status } = fn(input);
        this.calls.push({ ...record, ...(status ? { status } : {}) });
        return output;
      } catch (e) {
        this.calls.push({ ...record, error: (e as Error).name });
        throw e;
      }
    };
    mock.on(DescribeStacksCommand).callsFake(handle('DescribeStacks', (i) => this.describeStacks(i)));
    mock.on(DescribeStackEventsCommand).callsFake(handle('DescribeStackEvents', (i) => this.describeStackEvents(i)));
    mock.on(CreateStackCommand).callsFake(handle('CreateStack', (i) => this.createStack(i)));
    mock.on(CreateChangeSetCommand).callsFake(handle('CreateChangeSet', (i) => this.createChangeSet(i)));
    mock.on(DescribeChangeSetCommand).callsFake(handle('DescribeChangeSet', (i) => this.describeChangeSet(i)));
    mock.on(ExecuteChangeSetCommand).callsFake(handle('ExecuteChangeSet', (i) => this.executeChangeSet(i)));
    mock.on(DeleteChangeSetCommand).callsFake(handle('DeleteChangeSet', (i) => this.deleteChangeSet(i)));
    mock.on(DeleteStackCommand).callsFake(handle('DeleteStack', (i) => this.deleteStack(i)));
  }

  // ----- test set-up and inspection -----

  /** An existing stack; `upcoming` lists the statuses the next DescribeStacks calls move through. */
  public putStack(name: string, status: string, options: { upcoming?: string[]; events?: StackEvent[] } = {}): void {
    this.stacks.set(name, {
      name,
      id: stackId(name),
      creationTime: new Date(Date.now() - 86_400_000),
      lastUpdatedTime: status.startsWith('UPDATE') ? new Date(Date.now() - 3_600_000) : undefined,
      status,
      upcoming: (options.upcoming ?? []).map((s) => ({ status: s })),
      events: [...(options.events ?? [])],
      template: '{"Resources":{}}',
    });
  }

  public stack(name: string): { status: string; statusReason?: string; template?: string } | undefined {
    const s = this.stacks.get(name);
    return s && { status: s.status, statusReason: s.statusReason, template: s.template };
  }

  public changeSet(stackName: string, name: string): { status: string; executionStatus: string } | undefined {
    const cs = this.changeSets.get(`${stackName}/${name}`);
    return cs && { status: cs.status, executionStatus: cs.executionStatus };
  }

  /** The next `times` calls of `op` fail with CloudFormation's throttling error (Infinity: every call). */
  public throttle(op: CfnOperation, times: number): void {
    this.throttles.set(op, times);
  }

  /** Every later call of `op` fails with `error`. */
  public failWith(op: CfnOperation, error: Error): void {
    this.injected.set(op, error);
  }

  public callsOf(op: CfnOperation): CfnCall[] {
    return this.calls.filter((c) => c.op === op);
  }

  /** Successful calls that change something in CloudFormation. */
  public writes(): CfnCall[] {
    return this.calls.filter((c) => CFN_WRITES.includes(c.op) && !c.error);
  }

  // ----- the operations -----

  private failIfInjected(op: CfnOperation): void {
    const left = this.throttles.get(op) ?? 0;
    if (left > 0) {
      this.throttles.set(op, left - 1);
      throw serviceError('Throttling', 'Rate exceeded');
    }
    const error = this.injected.get(op);
    if (error) throw error;
  }

  private describeStacks(input: any) {
    const stack = this.findStack(input.StackName);
    if (stack.stale && stack.stale.reads > 0) {
      stack.stale.reads--;
      const seen = stack.stale.seen;
      return {
        status: seen.status,
        output: {
          Stacks: [{
            StackName: stack.name,
            StackId: stack.id,
            StackStatus: seen.status,
            CreationTime: stack.creationTime,
            ...(seen.lastUpdatedTime ? { LastUpdatedTime: seen.lastUpdatedTime } : {}),
          }],
        },
      };
    }
    const step = stack.upcoming.shift();
    if (step) this.enter(stack, step);
    if (stack.status === 'DELETE_COMPLETE') {
      // A deleted stack is gone by name (CloudFormation keeps it findable by id only).
      this.stacks.delete(stack.name);
      throw serviceError('ValidationError', `Stack with id ${stack.name} does not exist`);
    }
    return {
      status: stack.status,
      output: {
        Stacks: [{
          StackName: stack.name,
          StackId: stack.id,
          StackStatus: stack.status,
          CreationTime: stack.creationTime,
          ...(stack.lastUpdatedTime ? { LastUpdatedTime: stack.lastUpdatedTime } : {}),
          ...(stack.statusReason ? { StackStatusReason: stack.statusReason } : {}),
        }],
      },
    };
  }

  private describeStackEvents(input: any) {
    const stack = this.findStack(input.StackName);
    const pageSize = 5;
    const start = input.NextToken ? Number(input.NextToken.replace('events-', '')) : 0;
    const page = stack.events.slice(start, start + pageSize);
    const next = start + pageSize < stack.events.length ? `events-${start + pageSize}` : undefined;
    return { output: { StackEvents: page, ...(next ? { NextToken: next } : {}) } };
  }

  private createStack(input: any) {
    if (this.stacks.has(input.StackName)) {
      throw new AlreadyExistsException({ message: `Stack [${input.StackName}] already exists`, $metadata: METADATA });
    }
    const template = this.templateOf(input);
    const stack: StackModel = {
      name: input.StackName, id: stackId(input.StackName), creationTime: new Date(), status: 'CREATE_IN_PROGRESS', upcoming: [], events: [], template,
    };
    this.stacks.set(stack.name, stack);
    this.addEvent(stack, { LogicalResourceId: stack.name, ResourceType: 'AWS::CloudFormation::Stack', ResourceStatus: 'CREATE_IN_PROGRESS', ResourceStatusReason: 'User Initiated' });
    stack.upcoming = this.operationSteps('CREATE', this.onCreateStack);
    return { output: { StackId: stack.id } };
  }

  private createChangeSet(input: any) {
    const type = input.ChangeSetType ?? 'UPDATE';
    let stack = this.stacks.get(input.StackName);
    if (type === 'CREATE') {
      if (stack && stack.status !== 'REVIEW_IN_PROGRESS') {
        throw serviceError('ValidationError',
          `Stack [${input.StackName}] already exists and cannot be created again with the changeSet [${input.ChangeSetName}].`);
      }
      if (!stack) {
        this.putStack(input.StackName, 'REVIEW_IN_PROGRESS');
        stack = this.stacks.get(input.StackName)!;
      }
    } else {
      if (!stack) throw serviceError('ValidationError', `Stack [${input.StackName}] does not exist`);
      if (stack.status.endsWith('_IN_PROGRESS') || ['ROLLBACK_COMPLETE', 'ROLLBACK_FAILED', 'DELETE_FAILED', 'UPDATE_ROLLBACK_FAILED'].includes(stack.status)) {
        throw serviceError('ValidationError', `Stack:${stack.id} is in ${stack.status} state and can not be updated.`);
      }
    }
    const key = `${input.StackName}/${input.ChangeSetName}`;
    if (this.changeSets.has(key)) {
      throw new AlreadyExistsException({ message: `ChangeSet [${input.ChangeSetName}] already exists`, $metadata: METADATA });
    }
    const template = this.templateOf(input);
    const script = this.onCreateChangeSet;
    this.changeSets.set(key, {
      name: input.ChangeSetName,
      id: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:changeSet/${input.ChangeSetName}/${stackCounter++}`,
      stackName: input.StackName,
      type,
      script,
      pendingPolls: script.pendingPolls ?? 1,
      status: 'CREATE_PENDING',
      executionStatus: 'UNAVAILABLE',
      template,
    });
    return { output: { Id: this.changeSets.get(key)!.id, StackId: stack.id } };
  }

  private describeChangeSet(input: any) {
    const cs = this.findChangeSet(input.StackName, input.ChangeSetName);
    if (cs.status === 'CREATE_PENDING' || cs.status === 'CREATE_IN_PROGRESS') {
      if (cs.pendingPolls > 0) {
        // The first look sees CREATE_PENDING, later ones CREATE_IN_PROGRESS.
        if (cs.pendingPolls < (cs.script.pendingPolls ?? 1)) cs.status = 'CREATE_IN_PROGRESS';
        cs.pendingPolls--;
      } else if (cs.script.failedReason) {
        cs.status = 'FAILED';
      } else {
        cs.status = 'CREATE_COMPLETE';
        cs.executionStatus = 'AVAILABLE';
      }
    }
    const base = {
      ChangeSetName: cs.name,
      ChangeSetId: cs.id,
      StackName: cs.stackName,
      StackId: this.stacks.get(cs.stackName)?.id,
      Status: cs.status,
      ExecutionStatus: cs.executionStatus,
      CreationTime: new Date(),
      ...(cs.status === 'FAILED' ? { StatusReason: cs.script.failedReason } : {}),
    };
    if (cs.status !== 'CREATE_COMPLETE') return { status: cs.status, output: { ...base, Changes: [] } };
    const changes = cs.script.changes ?? [];
    const pageSize = cs.script.pageSize ?? 100;
    const start = input.NextToken ? Number(String(input.NextToken).replace('page-', '')) : 0;
    if (!Number.isInteger(start) || start < 0 || start >= Math.max(changes.length, 1)) {
      throw serviceError('ValidationError', `Invalid NextToken ${input.NextToken}`);
    }
    const next = start + pageSize < changes.length ? `page-${start + pageSize}` : undefined;
    return {
      status: cs.status,
      output: { ...base, Changes: changes.slice(start, start + pageSize), ...(next ? { NextToken: next } : {}) },
    };
  }

  private executeChangeSet(input: any) {
    const cs = this.findChangeSet(input.StackName, input.ChangeSetName);
    if (cs.status !== 'CREATE_COMPLETE' || cs.executionStatus !== 'AVAILABLE') {
      throw new InvalidChangeSetStatusException({
        message: `ChangeSet [${cs.id}] cannot be executed in its current status of [${cs.executionStatus === 'OBSOLETE' ? 'OBSOLETE' : cs.status}]`, $metadata: METADATA,
      });
    }
    const stack = this.findStack(cs.stackName);
    if (stack.status.endsWith('_IN_PROGRESS') && stack.status !== 'REVIEW_IN_PROGRESS') {
      throw serviceError('ValidationError', `Stack:${stack.id} is in ${stack.status} state and can not be updated.`);
    }
    const seen = { status: stack.status, ...(stack.lastUpdatedTime ? { lastUpdatedTime: stack.lastUpdatedTime } : {}) };
    cs.executionStatus = 'EXECUTE_IN_PROGRESS';
    stack.template = cs.template;
    const kind = cs.type === 'CREATE' ? 'CREATE' : 'UPDATE';
    if (kind === 'UPDATE') {
      stack.lastUpdatedTime = new Date(Math.max(Date.now(), (stack.lastUpdatedTime?.getTime() ?? 0) + 1));
      // Executing one change set makes the stack's other change sets obsolete.
      for (const other of this.changeSets.values()) {
        if (other !== cs && other.stackName === cs.stackName && other.executionStatus === 'AVAILABLE') other.executionStatus = 'OBSOLETE';
      }
    }
    const staleReads = this.onExecuteChangeSet.staleReads ?? 0;
    if (staleReads > 0) stack.stale = { reads: staleReads, seen };
    stack.executing = cs;
    this.enter(stack, {
      status: `${kind}_IN_PROGRESS`,
      events: [{ LogicalResourceId: '', ResourceType: 'AWS::CloudFormation::Stack', ResourceStatus: `${kind}_IN_PROGRESS`, ResourceStatusReason: 'User Initiated' }],
    });
    stack.upcoming = this.operationSteps(kind, this.onExecuteChangeSet);
    return { output: {} };
  }

  private deleteChangeSet(input: any) {
    const cs = this.findChangeSet(input.StackName, input.ChangeSetName);
    if (cs.executionStatus === 'EXECUTE_IN_PROGRESS') {
      throw new InvalidChangeSetStatusException({
        message: `ChangeSet [${cs.id}] cannot be deleted in its current status of [EXECUTE_IN_PROGRESS]`, $metadata: METADATA,
      });
    }
    this.changeSets.delete(`${input.StackName}/${input.ChangeSetName}`);
    return { output: {} };
  }

  // ----- helpers -----

  /** DeleteStack: DELETE_IN_PROGRESS for one look, then gone. */
  private deleteStack(input: any) {
    const stack = this.findStack(input.StackName);
    stack.status = 'DELETE_IN_PROGRESS';
    stack.upcoming = [{ status: 'DELETE_IN_PROGRESS' }, { status: 'DELETE_COMPLETE' }];
    return { output: {} };
  }

  private findStack(name: string): StackModel {
    const stack = this.stacks.get(name) ?? [...this.stacks.values()].find((s) => s.id === name);
    if (!stack) throw serviceError('ValidationError', `Stack with id ${name} does not exist`);
    return stack;
  }

  private findChangeSet(stackName: string, name: string): ChangeSetModel {
    const cs = this.changeSets.get(`${stackName}/${name}`);
    if (!cs) throw new ChangeSetNotFoundException({ message: `ChangeSet [${name}] does not exist`, $metadata: METADATA });
    return cs;
  }

  /** CloudFormation reads the template from TemplateBody (at most 51,200 bytes) or from S3 (TemplateURL). */
  private templateOf(input: any): string {
    if (input.TemplateBody !== undefined && input.TemplateURL !== undefined) {
      throw serviceError('ValidationError', 'Specify exactly one of TemplateBody or TemplateUrl.');
    }
    if (input.TemplateBody !== undefined) {
      const size = new TextEncoder().encode(input.TemplateBody).length;
      if (size > 51_200) {
        throw serviceError('ValidationError',
          "1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to 51200");
      }
      return input.TemplateBody;
    }
    if (input.TemplateURL !== undefined) {
      const template = this.s3?.getByUrl(input.TemplateURL);
      if (template === undefined) throw serviceError('ValidationError', `TemplateURL must be a supported URL: ${input.TemplateURL}`);
      return template;
    }
    throw serviceError('ValidationError', 'Either Template URL or Template Body must be specified.');
  }

  private operationSteps(kind: 'CREATE' | 'UPDATE', script: OperationScript): Step[] {
    const polls = script.inProgressPolls ?? 1;
    const inProgress: Step[] = Array.from({ length: polls }, () => ({ status: `${kind}_IN_PROGRESS` }));
    if (!script.failure) {
      // An update cleans up (deletes replaced resources) before it is complete.
      const cleanup: Step[] = kind === 'UPDATE' ? [{ status: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS' }] : [];
      return [...inProgress, ...cleanup, {
        status: `${kind}_COMPLETE`,
        events: [{ LogicalResourceId: '', ResourceType: 'AWS::CloudFormation::Stack', ResourceStatus: `${kind}_COMPLETE` }],
      }];
    }
    const { logicalId, resourceType, reason } = script.failure;
    const rollback = kind === 'CREATE' ? 'ROLLBACK' : 'UPDATE_ROLLBACK';
    return [
      ...inProgress,
      {
        status: `${rollback}_IN_PROGRESS`,
        reason: `The following resource(s) failed to ${kind.toLowerCase()}: [${logicalId}]. `,
        events: [
          { LogicalResourceId: logicalId, ResourceType: resourceType, ResourceStatus: `${kind}_FAILED`, ResourceStatusReason: reason },
          // The cascade: the other resources in flight are cancelled; these are not the root cause.
          { LogicalResourceId: 'Sibling', ResourceType: 'AWS::SNS::Topic', ResourceStatus: `${kind}_FAILED`, ResourceStatusReason: 'Resource update cancelled' },
          {
            LogicalResourceId: '',
            ResourceType: 'AWS::CloudFormation::Stack',
            ResourceStatus: `${rollback}_IN_PROGRESS`,
            ResourceStatusReason: `The following resource(s) failed to ${kind.toLowerCase()}: [${logicalId}, Sibling]. `,
          },
        ],
      },
      ...(kind === 'UPDATE' ? [{ status: 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS' }] : []),
      { status: `${rollback}_COMPLETE`, events: [{ LogicalResourceId: '', ResourceType: 'AWS::CloudFormation::Stack', ResourceStatus: `${rollback}_COMPLETE` }] },
    ];
  }

  private enter(stack: StackModel, step: Step): void {
    stack.status = step.status;
    stack.statusReason = step.reason;
    // The change set's ExecutionStatus follows the stack operation it started, to its end.
    if (stack.executing && !step.status.endsWith('_IN_PROGRESS')) {
      stack.executing.executionStatus = /ROLLBACK|FAILED/.test(step.status) ? 'EXECUTE_FAILED' : 'EXECUTE_COMPLETE';
      stack.executing = undefined;
    }
    for (const event of step.events ?? []) this.addEvent(stack, event);
  }

  private addEvent(stack: StackModel, event: Omit<StackEvent, 'StackId' | 'StackName' | 'EventId' | 'Timestamp'>): void {
    stack.events.unshift({
      ...event,
      LogicalResourceId: event.LogicalResourceId || stack.name,
      StackId: stack.id,
      StackName: stack.name,
      EventId: `event-${stack.events.length}`,
      Timestamp: new Date(),
    });
  }
}

function stackId(name: string): string {
  return `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${name}/0000000${stackCounter++}-fake-stack-id`;
}

/** An error as the SDK throws it for an error code CloudFormation's model does not list (ValidationError, Throttling). */
export function serviceError(name: string, message: string): Error {
  return new CloudFormationServiceException({ name, message, $fault: 'client', $metadata: METADATA });
}

/** A stack event from an earlier deployment (an hour ago). */
export function oldEvent(stackName: string, logicalId: string, status: ResourceStatus, reason: string): StackEvent {
  return {
    StackName: stackName,
    StackId: stackId(stackName),
    EventId: `old-${logicalId}`,
    LogicalResourceId: logicalId,
    ResourceType: 'AWS::SQS::Queue',
    ResourceStatus: status,
    ResourceStatusReason: reason,
    Timestamp: new Date(Date.now() - 3_600_000),
  };
}

/** A resource change as DescribeChangeSet lists it. */
export function resourceChange(
  action: 'Add' | 'Modify' | 'Remove' | 'Dynamic', logicalId: string, resourceType: string, replacement?: 'True' | 'False' | 'Conditional',
): Change {
  return {
    Type: 'Resource',
    ResourceChange: {
      Action: action,
      LogicalResourceId: logicalId,
      ResourceType: resourceType,
      ...(action === 'Modify' ? { Replacement: replacement ?? 'False', Scope: ['Properties'] } : {}),
      ...(action !== 'Add' && action !== 'Dynamic' ? { PhysicalResourceId: `${logicalId.toLowerCase()}-physical` } : {}),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Step Functions
// ---------------------------------------------------------------------------------------------------------

export interface FakeExecution {
  readonly arn: string;
  readonly name: string;
  readonly input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  output?: string;
  error?: string;
  cause?: string;
  /** Runs the execution; the fake calls it on `runPending()`, modelling time passing. */
  readonly run: () => Promise<void>;
  started: boolean;
}

export type ExecutionRunner = (input: any, name: string) => Promise<{ status: 'SUCCEEDED' | 'FAILED'; output?: unknown; error?: string; cause?: string }>;

/**
 * Step Functions for one state machine. StartExecution is idempotent as in AWS: the same name with the same
 * input while the execution runs returns it again; the same name otherwise fails with ExecutionAlreadyExists.
 * An execution stays RUNNING until the test lets time pass (`runPending()`).
 */
export class FakeStepFunctions {
  public readonly client = new SFNClient({ region: REGION });
  public readonly executions: FakeExecution[] = [];
  public readonly startCalls: { name: string; error?: string }[] = [];

  constructor(public readonly stateMachineArn: string, runner: ExecutionRunner) {
    const mock = mockClient(this.client);
    mock.callsFake((input) => {
      throw new Error(`FakeStepFunctions: operation not modelled (input ${JSON.stringify(input)})`);
    });
    mock.on(StartExecutionCommand).callsFake(async (input) => {
      if (input.stateMachineArn !== this.stateMachineArn) {
        throw new Error(`FakeStepFunctions: StartExecution on ${input.stateMachineArn}, not ${this.stateMachineArn}`);
      }
      const existing = this.executions.find((e) => e.name === input.name);
      if (existing) {
        if (existing.status === 'RUNNING' && existing.input === input.input) {
          this.startCalls.push({ name: input.name });
          return { executionArn: existing.arn, startDate: new Date() };
        }
        this.startCalls.push({ name: input.name, error: 'ExecutionAlreadyExists' });
        throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${existing.arn}'`, $metadata: METADATA });
      }
      this.startCalls.push({ name: input.name });
      const arn = `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`;
      const execution: FakeExecution = {
        arn,
        name: input.name,
        input: input.input,
        status: 'RUNNING',
        started: false,
        run: async () => {
          const result = await runner(JSON.parse(input.input), input.name);
          execution.status = result.status;
          if (result.status === 'SUCCEEDED') execution.output = JSON.stringify(result.output);
          if (result.error !== undefined) execution.error = result.error;
          if (result.cause !== undefined) execution.cause = result.cause;
        },
      };
      this.executions.push(execution);
      return { executionArn: arn, startDate: new Date() };
    });
    mock.on(DescribeExecutionCommand).callsFake(async (input) => {
      const execution = this.executions.find((e) => e.arn === input.executionArn);
      if (!execution) {
        throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${input.executionArn}'`, $metadata: METADATA });
      }
      return {
        executionArn: execution.arn,
        stateMachineArn: this.stateMachineArn,
        name: execution.name,
        status: execution.status,
        input: execution.input,
        startDate: new Date(),
        ...(execution.output !== undefined ? { output: execution.output } : {}),
        ...(execution.error !== undefined ? { error: execution.error } : {}),
        ...(execution.cause !== undefined ? { cause: execution.cause } : {}),
      };
    });
  }

  /** Lets time pass: every execution not yet run runs to its end. */
  public async runPending(): Promise<void> {
    for (const execution of this.executions) {
      if (execution.started) continue;
      execution.started = true;
      await execution.run();
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// CodePipeline
// ---------------------------------------------------------------------------------------------------------

export interface JobAnswer {
  readonly jobId: string;
  readonly kind: 'success' | 'failure';
  readonly input: Record<string, any>;
}

/** The pipeline and the trigger function the fake's jobs belong to by default. */
export const PIPELINE_NAME = 'app-pipeline';
export const TRIGGER_FUNCTION_NAME = 'deploy-trigger-function';
/** The temporary artifact credentials CodePipeline hands out with a job; they must never be logged. */
export const ARTIFACT_SECRET = 'fakeSecretAccessKey/DoNotLog';

/** A job as CodePipeline keeps it. */
export interface PipelineJobRecord {
  readonly id: string;
  readonly userParameters: string;
  readonly artifact?: { readonly bucket: string; readonly key: string };
  /** @default TRIGGER_FUNCTION_NAME */
  readonly functionName?: string;
  /** @default PIPELINE_NAME */
  readonly pipelineName?: string;
  /** @default - one for each first job */
  readonly pipelineExecutionId?: string;
  /** @default - one for each first job */
  readonly actionExecutionId?: string;
  /** When the action started (epoch ms). @default now */
  readonly startTime?: number;
  readonly continuationToken?: string;
  /** @default a Lambda invoke action */
  readonly provider?: string;
}

type ActionStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Abandoned';

/** A job id as CodePipeline makes them (GetJobDetails refuses ids of another shape). */
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let actionExecutions = 0;

/**
 * CodePipeline's jobs and job results. A job exists once CodePipeline issued it (`issue`); GetJobDetails
 * describes it (configuration, artifact, pipeline context, continuation token), ListActionExecutions lists
 * its action execution with its status, which only the pipelines the functions were granted may be asked
 * about (`servedPipelines`, IAM's part). A job answered with success and a continuation token is done; its
 * action execution goes on, and CodePipeline creates a new job carrying the token (`continuation`). Answering a
 * job twice fails with InvalidJobStateException. CodePipeline's limits are enforced as ValidationException.
 */
export class FakeCodePipeline {
  public readonly client = new CodePipelineClient({ region: REGION });
  public readonly answers: JobAnswer[] = [];
  /** Every GetJobDetails and ListActionExecutions call, in order. */
  public readonly reads: { op: 'GetJobDetails' | 'ListActionExecutions'; input: Record<string, any>; error?: string }[] = [];
  /** The pipelines the functions' roles may call ListActionExecutions on. @default - every pipeline */
  public servedPipelines?: string[];
  private readonly jobs = new Map<string, Required<Omit<PipelineJobRecord, 'continuationToken' | 'artifact'>> & PipelineJobRecord>();
  private readonly statuses = new Map<string, ActionStatus>();
  private readonly answered = new Set<string>();
  private unreachable = 0;

  constructor() {
    const mock = mockClient(this.client);
    mock.callsFake((input) => {
      throw new Error(`FakeCodePipeline: operation not modelled (input ${JSON.stringify(input)})`);
    });
    mock.on(GetJobDetailsCommand).callsFake(async (input) => this.read('GetJobDetails', input, () => this.jobDetails(input.jobId)));
    mock.on(ListActionExecutionsCommand).callsFake(async (input) => this.read('ListActionExecutions', input, () => this.actionExecutions(input)));
    mock.on(PutJobSuccessResultCommand).callsFake(async (input) => {
      this.check(input.jobId);
      const invalid = [
        input.continuationToken !== undefined && input.continuationToken.length > 2048 && 'continuationToken',
        (input.executionDetails?.summary?.length ?? 0) > 2048 && 'executionDetails.summary',
        input.outputVariables && Object.values(input.outputVariables).some((v: any) => typeof v !== 'string' || v.length === 0 || v.length > 1000)
          && 'outputVariables',
      ].filter(Boolean);
      if (invalid.length) throw new CodePipelineValidationException({ message: `invalid ${invalid.join(', ')}`, $metadata: METADATA });
      this.answered.add(input.jobId);
      this.answers.push({ jobId: input.jobId, kind: 'success', input });
      if (!input.continuationToken) this.setStatus(input.jobId, 'Succeeded');
      return {};
    });
    mock.on(PutJobFailureResultCommand).callsFake(async (input) => {
      this.check(input.jobId);
      if ((input.failureDetails?.message?.length ?? 0) > 5000) {
        throw new CodePipelineValidationException({ message: 'failureDetails.message is over 5000 characters', $metadata: METADATA });
      }
      this.answered.add(input.jobId);
      this.answers.push({ jobId: input.jobId, kind: 'failure', input });
      this.setStatus(input.jobId, 'Failed');
      return {};
    });
  }

  /** CodePipeline issues a job (a pipeline execution reached the action). */
  public issue(record: PipelineJobRecord): void {
    const n = ++actionExecutions;
    this.jobs.set(record.id, {
      functionName: TRIGGER_FUNCTION_NAME,
      pipelineName: PIPELINE_NAME,
      pipelineExecutionId: `pipeline-execution-${n}`,
      actionExecutionId: `action-execution-${n}`,
      startTime: Date.now(),
      provider: 'Lambda',
      ...record,
    });
    const job = this.jobs.get(record.id)!;
    if (!this.statuses.has(job.actionExecutionId)) this.statuses.set(job.actionExecutionId, 'InProgress');
  }

  public isIssued(jobId: string): boolean {
    return this.jobs.has(jobId);
  }

  /** CodePipeline's next job for an action whose job `previous` was answered with a continuation token. */
  public continuation(previous: string, next: string): void {
    const job = this.jobs.get(previous);
    const answer = [...this.answers].reverse().find((a) => a.jobId === previous);
    if (!job || answer?.kind !== 'success' || !answer.input.continuationToken) {
      throw new Error(`FakeCodePipeline: job ${previous} was not answered with a continuation token`);
    }
    this.jobs.set(next, { ...job, id: next, continuationToken: answer.input.continuationToken });
  }

  /** The action execution of a job ends without an answer (the pipeline execution was stopped and abandoned, say). */
  public setStatus(jobId: string, status: ActionStatus): void {
    const job = this.jobs.get(jobId);
    if (job) this.statuses.set(job.actionExecutionId, status);
  }

  /** The next `times` job results fail as if CodePipeline could not be reached. */
  public unreachableFor(times: number): void {
    this.unreachable = times;
  }

  private read<T>(op: 'GetJobDetails' | 'ListActionExecutions', input: Record<string, any>, fn: () => T): T {
    try {
      const output = fn();
      this.reads.push({ op, input });
      return output;
    } catch (e) {
      this.reads.push({ op, input, error: (e as Error).name });
      throw e;
    }
  }

  private jobDetails(jobId: string) {
    if (!JOB_ID.test(jobId)) {
      throw new CodePipelineValidationException({ message: `1 validation error detected: Value '${jobId}' at 'jobId' failed to satisfy constraint`, $metadata: METADATA });
    }
    const job = this.jobs.get(jobId);
    if (!job) throw new JobNotFoundException({ message: `Job not found: ${jobId}`, $metadata: { ...METADATA, httpStatusCode: 404 } });
    return {
      jobDetails: {
        id: job.id,
        accountId: ACCOUNT,
        data: {
          actionTypeId: { category: 'Invoke', owner: 'AWS', provider: job.provider, version: '1' },
          actionConfiguration: { configuration: { FunctionName: job.functionName, UserParameters: job.userParameters } },
          pipelineContext: {
            pipelineName: job.pipelineName,
            stage: { name: 'Deploy' },
            action: { name: 'Deploy', actionExecutionId: job.actionExecutionId },
            pipelineArn: `arn:aws:codepipeline:${REGION}:${ACCOUNT}:${job.pipelineName}`,
            pipelineExecutionId: job.pipelineExecutionId,
          },
          inputArtifacts: job.artifact ? [{
            name: 'Source', revision: 'v1', location: { type: 'S3', s3Location: { bucketName: job.artifact.bucket, objectKey: job.artifact.key } },
          }] : [],
          outputArtifacts: [],
          artifactCredentials: { accessKeyId: 'ASIAFAKEACCESSKEY', secretAccessKey: ARTIFACT_SECRET, sessionToken: 'fakeSessionToken' },
          ...(job.continuationToken ? { continuationToken: job.continuationToken } : {}),
        },
      },
    };
  }

  private actionExecutions(input: any) {
    if (this.servedPipelines && !this.servedPipelines.includes(input.pipelineName)) {
      const error = new Error(`User is not authorized to perform: codepipeline:ListActionExecutions on resource: ${input.pipelineName}`);
      error.name = 'AccessDeniedException';
      throw error;
    }
    const seen = new Set<string>();
    const details = [...this.jobs.values()]
      .filter((j) => j.pipelineName === input.pipelineName && j.pipelineExecutionId === input.filter?.pipelineExecutionId)
      .filter((j) => !seen.has(j.actionExecutionId) && seen.add(j.actionExecutionId))
      .map((j) => ({
        pipelineExecutionId: j.pipelineExecutionId,
        actionExecutionId: j.actionExecutionId,
        stageName: 'Deploy',
        actionName: 'Deploy',
        startTime: new Date(j.startTime),
        status: this.statuses.get(j.actionExecutionId),
      }));
    return { actionExecutionDetails: details };
  }

  private check(jobId: string): void {
    if (this.unreachable > 0) {
      this.unreachable--;
      const error = new Error('Connection timed out after 3000 ms');
      error.name = 'TimeoutError';
      throw error;
    }
    if (this.answered.has(jobId)) {
      throw new InvalidJobStateException({ message: `Job ${jobId} is in state Succeeded or Failed, not InProgress`, $metadata: METADATA });
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Step Functions: an execution's history, as the task function reads it
// ---------------------------------------------------------------------------------------------------------

/** The newest state an execution entered, and that state's input. */
export interface EnteredState {
  readonly executionArn: string;
  readonly name: string;
  readonly input: unknown;
}

/**
 * GetExecutionHistory (newest first, with data) of running executions: the newest event is the Task state
 * being run, as Step Functions shows it while the state's Lambda function runs. Executions of other state
 * machines are refused as IAM refuses them (the task function may read its own state machine's only).
 */
export class FakeExecutionHistory {
  public readonly client = new SFNClient({ region: REGION });
  public readonly current = new Map<string, EnteredState>();

  constructor(private readonly stateMachineArn: string) {
    const mock = mockClient(this.client);
    mock.callsFake((input) => {
      throw new Error(`FakeExecutionHistory: operation not modelled (input ${JSON.stringify(input)})`);
    });
    mock.on(GetExecutionHistoryCommand).callsFake(async (input) => {
      const ours = `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:`;
      if (!input.executionArn?.startsWith(ours)) {
        const error = new Error(`User is not authorized to perform: states:GetExecutionHistory on resource: ${input.executionArn}`);
        error.name = 'AccessDeniedException';
        throw error;
      }
      const entered = this.current.get(input.executionArn);
      if (!entered) throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${input.executionArn}'`, $metadata: METADATA });
      return {
        events: [{
          id: 2,
          previousEventId: 1,
          timestamp: new Date(),
          type: 'TaskStateEntered',
          stateEnteredEventDetails: { name: entered.name, ...(input.includeExecutionData ? { input: JSON.stringify(entered.input) } : {}) },
        }],
      };
    });
  }
}
