/**
 * A fake CloudFormation that keeps stacks and change sets, for the handler tests, the execution tests, the fault
 * tests and the benchmark. Stack operations run their course over DescribeStacks calls (`inProgressPolls`) or, on
 * a clock, over time (`durationMs`: the benchmark); failed ones roll back and leave resource events; change sets are
 * CREATE_PENDING for a while, then CREATE_COMPLETE (with paged changes) or FAILED. A stack or change set that a test
 * puts in place (`putStack`, `putChangeSet`) stays as it is put. It refuses what CloudFormation refuses, and records
 * every call.
 */
import {
  AlreadyExistsException, ChangeSetNotFoundException, CloudFormationClient,
  CreateChangeSetCommand, CreateStackCommand, DeleteChangeSetCommand, DeleteStackCommand, DescribeChangeSetCommand,
  DescribeStackEventsCommand, DescribeStacksCommand, ExecuteChangeSetCommand, InvalidChangeSetStatusException,
} from '@aws-sdk/client-cloudformation';
import type { Change, CreateStackCommandInput, ResourceStatus, RollbackConfiguration, StackEvent } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { ACCOUNT, CLIENT_CONFIG, METADATA, REGION, awsError, refuseUnmodelled } from './aws';
import type { FakeCloudWatch } from './cloudwatch';
import type { FakeS3 } from './s3';

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
  /** When it was made, on the fake's clock (epoch milliseconds). */
  readonly at?: number;
}

/** How a stack operation (a creation, or the execution of a change set) plays out. */
export interface OperationScript {
  /** How many DescribeStacks calls still see the operation in progress. @default 1 */
  readonly inProgressPolls?: number;
  /**
   * Instead of a number of calls: how long (ms on the fake's clock) the operation is in progress; it then completes
   * at once (the short cleanup phase of an update is not modelled). For runs on a virtual clock (the benchmark).
   */
  readonly durationMs?: number;
  /** The operation fails on this resource, with CloudFormation's reason, and the stack rolls back. */
  readonly failure?: { readonly logicalId: string; readonly resourceType: string; readonly reason: string };
  /**
   * How many DescribeStacks calls right after ExecuteChangeSet still see the stack as it was before (its previous
   * update's UPDATE_COMPLETE and LastUpdatedTime): DescribeStacks is eventually consistent. @default 0
   */
  readonly staleReads?: number;
  /** The stack's outputs once the operation started (DescribeStacks shows them from then on). */
  readonly outputs?: Record<string, string>;
  /**
   * With a monitoring time (RollbackConfiguration.MonitoringTimeInMinutes over 0): how many DescribeStacks calls see
   * the stack still CREATE_IN_PROGRESS / UPDATE_IN_PROGRESS after its resources are deployed, while CloudFormation
   * watches the rollback triggers. @default 2
   */
  readonly monitoringPolls?: number;
  /**
   * A rollback trigger's alarm goes to ALARM (FakeCloudWatch shows it so, with `stateReason`), during the operation
   * or during the monitoring period: CloudFormation rolls the whole operation back. The stack's status reason
   * (`reason`) names the alarm: AWS documents no wording, so the tests vary it.
   */
  readonly breach?: {
    readonly alarm: string;
    readonly during: 'operation' | 'monitoring';
    readonly stateReason?: string;
    /** The stack's status reason; `{arn}` and `{name}` stand for the alarm's. @default 'Rollback triggered by alarm {arn}' (assumed wording) */
    readonly reason?: string;
    /** Where CloudFormation tells it: the stack's status reason and its stack event (the default), or the event only. */
    readonly toldIn?: 'stackAndEvent' | 'eventOnly' | 'nowhere';
  };
}

/** How a change set plays out once CreateChangeSet accepted it. */
export interface ChangeSetScript {
  /** How many DescribeChangeSet calls see it CREATE_PENDING / CREATE_IN_PROGRESS. @default 1 */
  readonly pendingPolls?: number;
  /** Instead of a number of calls: how long (ms on the fake's clock) it is CREATE_IN_PROGRESS. */
  readonly readyAfterMs?: number;
  /** The changes DescribeChangeSet lists once it is CREATE_COMPLETE. @default [] */
  readonly changes?: Change[];
  /** Changes per DescribeChangeSet page. @default the fake's changesPageSize */
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
  /** Happens when the stack enters the step (an alarm going to ALARM). */
  readonly onEnter?: () => void;
  readonly events?: Omit<StackEvent, 'StackId' | 'StackName' | 'EventId' | 'Timestamp'>[];
}

/** A stack as the fake keeps it. */
export interface StackModel {
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
  /** An operation on the clock (OperationScript.durationMs): the step it ends with, when, and whether it has. */
  timed?: { readonly endsAt: number; readonly end: Step; ended: boolean };
  /** Newest first, as DescribeStackEvents returns them. */
  events: StackEvent[];
  template?: string;
  /** The stack's outputs, as DescribeStacks returns them. */
  outputs?: Record<string, string>;
  /** The ClientRequestToken of the operation under way (its status events carry it). */
  operationToken?: string;
  /** The rollback triggers and monitoring time CloudFormation keeps for the stack's later updates. */
  rollback?: RollbackConfiguration;
}

/** A change set as the fake keeps it. */
export interface ChangeSetModel {
  readonly name: string;
  readonly id: string;
  readonly stackName: string;
  type: string;
  readonly script: ChangeSetScript;
  pendingPolls: number;
  /** When it is ready, for a change set on the clock (ChangeSetScript.readyAfterMs). */
  readonly readyAt?: number;
  status: string;
  executionStatus: string;
  /** Whether ExecuteChangeSet started it. */
  executed: boolean;
  readonly template: string;
  /** What CreateChangeSet was given as its Description. */
  readonly description?: string;
  /** What CreateChangeSet was given as its RollbackConfiguration: it replaces the stack's when executed. */
  readonly rollback?: RollbackConfiguration;
}

let stackCounter = 0;

export interface FakeCloudFormationOptions {
  /** Where a TemplateURL is read from. @default - TemplateURL is refused */
  readonly s3?: FakeS3;
  /** The fake's time (epoch ms): stack times, and the operations on the clock. @default Date.now */
  readonly clock?: () => number;
  /** The alarms rollback triggers name. @default - rollback triggers are refused */
  readonly cloudwatch?: FakeCloudWatch;
}

/**
 * A CloudFormation that keeps stacks and change sets. It refuses what CloudFormation refuses: an update of a stack
 * that is in progress or cannot be updated, a change set that is not ready, an inline template over 51,200 bytes.
 */
export class FakeCloudFormation {
  public readonly client = new CloudFormationClient(CLIENT_CONFIG);
  public readonly mock = mockClient(this.client);
  public readonly calls: CfnCall[] = [];
  /** How new stack operations play out; tests set these before the run. */
  public onCreateStack: OperationScript = {};
  public onExecuteChangeSet: OperationScript = {};
  public onCreateChangeSet: ChangeSetScript = {};
  /** Per stack name, scripts that replace the three above for that stack (several stacks in one deployment). */
  public readonly scripts = new Map<string, {
    readonly create?: OperationScript;
    readonly execute?: OperationScript;
    /** The script of every change set of the stack, or of each by its name. */
    readonly changeSet?: ChangeSetScript | ((changeSetName: string) => ChangeSetScript);
  }>();
  /** Changes per DescribeChangeSet page, unless the change set's script says. */
  public changesPageSize = 100;
  /** Events per DescribeStackEvents page. */
  public eventsPageSize = 5;
  /** The stacks by name, and the change sets by `<stack name>/<change set name>`. */
  public readonly stacks = new Map<string, StackModel>();
  public readonly changeSets = new Map<string, ChangeSetModel>();
  /** The input of every CreateStack that created a stack. */
  public readonly createdStacks: CreateStackCommandInput[] = [];
  /** Called before each call is answered; an error it throws is the call's (a fault that starts part way through). */
  public beforeCall?: (op: CfnOperation, input: Record<string, any>) => void;

  private readonly throttles = new Map<CfnOperation, number>();
  private readonly injected = new Map<CfnOperation, Error>();
  private readonly s3?: FakeS3;
  private readonly cloudwatch?: FakeCloudWatch;
  private readonly now: () => number;

  constructor(options: FakeCloudFormationOptions = {}) {
    this.s3 = options.s3;
    this.cloudwatch = options.cloudwatch;
    this.now = options.clock ?? Date.now;
    const mock = this.mock;
    refuseUnmodelled(mock, 'FakeCloudFormation');
    const handle = (op: CfnOperation, fn: (input: any) => { output: any; status?: string }) => async (input: any) => {
      const record = { op, input: JSON.parse(JSON.stringify(input)), at: this.now() };
      try {
        this.beforeCall?.(op, input);
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

  /**
   * An existing stack, in `status` (with `statusReason`) until an operation starts; `upcoming` lists the statuses
   * the next DescribeStacks calls move through instead; `events` are its stack events, newest first.
   */
  public putStack(
    name: string, status: string,
    options: { statusReason?: string; upcoming?: string[]; events?: StackEvent[]; rollback?: RollbackConfiguration } = {},
  ): StackModel {
    const stack: StackModel = {
      name,
      id: stackId(name),
      creationTime: new Date(this.now() - 86_400_000),
      lastUpdatedTime: status.startsWith('UPDATE') ? new Date(this.now() - 3_600_000) : undefined,
      status,
      ...(options.statusReason !== undefined ? { statusReason: options.statusReason } : {}),
      upcoming: (options.upcoming ?? []).map((s) => ({ status: s })),
      events: [...(options.events ?? [])],
      template: '{"Resources":{}}',
      ...(options.rollback ? { rollback: options.rollback } : {}),
    };
    this.stacks.set(name, stack);
    return stack;
  }

  /** The stack's events from now on (newest first, as DescribeStackEvents returns them). */
  public putEvents(stackName: string, events: StackEvent[]): void {
    this.stacks.get(stackName)!.events = [...events];
  }

  /** A change set in the state CloudFormation left it in after creating it (ready to execute when CREATE_COMPLETE). */
  public putChangeSet(stackName: string, name: string, changes: Change[], status = 'CREATE_COMPLETE', statusReason?: string): ChangeSetModel {
    const changeSet: ChangeSetModel = {
      name,
      id: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:changeSet/${name}/${stackCounter++}`,
      stackName,
      type: 'UPDATE',
      script: { changes, ...(statusReason !== undefined ? { failedReason: statusReason } : {}) },
      // It stays as it is put.
      pendingPolls: Infinity,
      status,
      executionStatus: status === 'CREATE_COMPLETE' ? 'AVAILABLE' : 'UNAVAILABLE',
      executed: false,
      template: '{"Resources":{}}',
    };
    this.changeSets.set(`${stackName}/${name}`, changeSet);
    return changeSet;
  }

  public stack(name: string): { status: string; statusReason?: string; template?: string; rollback?: RollbackConfiguration } | undefined {
    const s = this.stacks.get(name);
    return s && { status: s.status, statusReason: s.statusReason, template: s.template, ...(s.rollback ? { rollback: s.rollback } : {}) };
  }

  /** A change set by name, or by id (its ARN), as CloudFormation finds it; undefined when there is none. */
  public changeSet(stackName: string | undefined, name: string): { id: string; status: string; executionStatus: string } | undefined {
    const cs = name.startsWith('arn:') ? [...this.changeSets.values()].find((c) => c.id === name) : this.changeSets.get(`${stackName}/${name}`);
    return cs && { id: cs.id, status: cs.status, executionStatus: cs.executionStatus };
  }

  /** The next `times` calls of `op` fail with CloudFormation's throttling error (Infinity: every call). */
  public throttle(op: CfnOperation, times: number): void {
    this.throttles.set(op, times);
  }

  /**
   * While an execution waits on events: the stack's operation runs to its end (its statuses from now on, without a
   * DescribeStacks call), as CloudFormation goes on whoever looks. Returns what its status events carry.
   */
  public runToEnd(name: string): { stackId: string; operationToken?: string; statuses: string[] } {
    const stack = this.findStack(name);
    if (stack.timed) throw new Error('FakeCloudFormation: settling an operation on the clock is not modelled');
    const statuses = [stack.status];
    for (let step = stack.upcoming.shift(); step; step = stack.upcoming.shift()) {
      this.enter(stack, step);
      statuses.push(step.status);
    }
    if (stack.status === 'DELETE_COMPLETE') this.stacks.delete(stack.name);
    return { stackId: stack.id, ...(stack.operationToken ? { operationToken: stack.operationToken } : {}), statuses };
  }

  /** The stack and the ClientRequestToken of its operation under way, as that operation's status events carry them. */
  public operationOf(name: string): { stackId: string; operationToken?: string } {
    const stack = this.findStack(name);
    return { stackId: stack.id, ...(stack.operationToken ? { operationToken: stack.operationToken } : {}) };
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
      throw awsError('Throttling', 'Rate exceeded');
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
    let step: Step | undefined;
    if (stack.timed && !stack.timed.ended) {
      if (this.now() >= stack.timed.endsAt) {
        step = stack.timed.end;
        stack.timed.ended = true;
      }
    } else {
      step = stack.upcoming.shift();
    }
    if (step) this.enter(stack, step);
    if (step?.status === 'DELETE_COMPLETE') {
      // A deleted stack is gone by name (CloudFormation keeps it findable by id only).
      this.stacks.delete(stack.name);
      throw awsError('ValidationError', `Stack with id ${stack.name} does not exist`);
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
          ...(stack.outputs ? { Outputs: Object.entries(stack.outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) } : {}),
          // A stack without rollback triggers shows an empty RollbackConfiguration.
          RollbackConfiguration: stack.rollback ?? {},
        }],
      },
    };
  }

  private describeStackEvents(input: any) {
    const stack = this.findStack(input.StackName);
    const pageSize = this.eventsPageSize;
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
    this.checkRollback(input.RollbackConfiguration);
    const stack: StackModel = {
      name: input.StackName,
      id: stackId(input.StackName),
      creationTime: new Date(this.now()),
      status: 'CREATE_IN_PROGRESS',
      upcoming: [],
      events: [],
      template,
      ...(input.ClientRequestToken ? { operationToken: input.ClientRequestToken } : {}),
      ...(input.RollbackConfiguration ? { rollback: input.RollbackConfiguration } : {}),
    };
    this.stacks.set(stack.name, stack);
    this.createdStacks.push(input);
    this.addEvent(stack, { LogicalResourceId: stack.name, ResourceType: 'AWS::CloudFormation::Stack', ResourceStatus: 'CREATE_IN_PROGRESS', ResourceStatusReason: 'User Initiated' });
    this.startOperation(stack, 'CREATE', this.scripts.get(input.StackName)?.create ?? this.onCreateStack);
    return { output: { StackId: stack.id } };
  }

  private createChangeSet(input: any) {
    const type = input.ChangeSetType ?? 'UPDATE';
    let stack = this.stacks.get(input.StackName);
    if (type === 'CREATE') {
      if (stack && stack.status !== 'REVIEW_IN_PROGRESS') {
        throw awsError('ValidationError',
          `Stack [${input.StackName}] already exists and cannot be created again with the changeSet [${input.ChangeSetName}].`);
      }
      if (!stack) {
        this.putStack(input.StackName, 'REVIEW_IN_PROGRESS');
        stack = this.stacks.get(input.StackName)!;
      }
    } else {
      if (!stack) throw awsError('ValidationError', `Stack [${input.StackName}] does not exist`);
      if (stack.status.endsWith('_IN_PROGRESS') || ['ROLLBACK_COMPLETE', 'ROLLBACK_FAILED', 'DELETE_FAILED', 'UPDATE_ROLLBACK_FAILED'].includes(stack.status)) {
        throw awsError('ValidationError', `Stack:${stack.id} is in ${stack.status} state and can not be updated.`);
      }
    }
    const key = `${input.StackName}/${input.ChangeSetName}`;
    if (this.changeSets.has(key)) {
      throw new AlreadyExistsException({ message: `ChangeSet [${input.ChangeSetName}] already exists`, $metadata: METADATA });
    }
    const template = this.templateOf(input);
    this.checkRollback(input.RollbackConfiguration);
    const scripted = this.scripts.get(input.StackName)?.changeSet ?? this.onCreateChangeSet;
    const script = typeof scripted === 'function' ? scripted(input.ChangeSetName) : scripted;
    this.changeSets.set(key, {
      name: input.ChangeSetName,
      id: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:changeSet/${input.ChangeSetName}/${stackCounter++}`,
      stackName: input.StackName,
      type,
      script,
      pendingPolls: script.pendingPolls ?? 1,
      ...(script.readyAfterMs !== undefined ? { readyAt: this.now() + script.readyAfterMs } : {}),
      status: 'CREATE_PENDING',
      executionStatus: 'UNAVAILABLE',
      executed: false,
      template,
      ...(input.Description !== undefined ? { description: input.Description } : {}),
      ...(input.RollbackConfiguration !== undefined ? { rollback: input.RollbackConfiguration } : {}),
    });
    return { output: { Id: this.changeSets.get(key)!.id, StackId: stack.id } };
  }

  private describeChangeSet(input: any) {
    const cs = this.findChangeSet(input.StackName, input.ChangeSetName);
    if (cs.readyAt !== undefined) {
      this.settleOnClock(cs);
    } else if (cs.status === 'CREATE_PENDING' || cs.status === 'CREATE_IN_PROGRESS') {
      if (cs.pendingPolls > 0) {
        // The first look sees CREATE_PENDING, later ones CREATE_IN_PROGRESS.
        if (cs.pendingPolls < (cs.script.pendingPolls ?? 1)) cs.status = 'CREATE_IN_PROGRESS';
        cs.pendingPolls--;
      } else {
        this.settle(cs);
      }
    }
    const base = {
      ChangeSetName: cs.name,
      ChangeSetId: cs.id,
      StackName: cs.stackName,
      StackId: this.stacks.get(cs.stackName)?.id,
      Status: cs.status,
      ExecutionStatus: cs.executionStatus,
      CreationTime: new Date(this.now()),
      ...(cs.description !== undefined ? { Description: cs.description } : {}),
      ...(cs.status === 'FAILED' ? { StatusReason: cs.script.failedReason } : {}),
    };
    if (cs.status !== 'CREATE_COMPLETE') return { status: cs.status, output: { ...base, Changes: [] } };
    const changes = cs.script.changes ?? [];
    const pageSize = cs.script.pageSize ?? this.changesPageSize;
    const start = input.NextToken ? Number(String(input.NextToken).replace('page-', '')) : 0;
    if (!Number.isInteger(start) || start < 0 || start >= Math.max(changes.length, 1)) {
      throw awsError('ValidationError', `Invalid NextToken ${input.NextToken}`);
    }
    const next = start + pageSize < changes.length ? `page-${start + pageSize}` : undefined;
    return {
      status: cs.status,
      output: { ...base, Changes: changes.slice(start, start + pageSize), ...(next ? { NextToken: next } : {}) },
    };
  }

  private executeChangeSet(input: any) {
    const cs = this.findChangeSet(input.StackName, input.ChangeSetName);
    if (cs.readyAt !== undefined) this.settleOnClock(cs);
    if (cs.status !== 'CREATE_COMPLETE' || cs.executionStatus !== 'AVAILABLE') {
      throw new InvalidChangeSetStatusException({
        message: `ChangeSet [${cs.id}] cannot be executed in its current status of [${cs.executionStatus === 'OBSOLETE' ? 'OBSOLETE' : cs.status}]`, $metadata: METADATA,
      });
    }
    const stack = this.findStack(cs.stackName);
    if (stack.status.endsWith('_IN_PROGRESS') && stack.status !== 'REVIEW_IN_PROGRESS') {
      throw awsError('ValidationError', `Stack:${stack.id} is in ${stack.status} state and can not be updated.`);
    }
    const seen = { status: stack.status, ...(stack.lastUpdatedTime ? { lastUpdatedTime: stack.lastUpdatedTime } : {}) };
    cs.executionStatus = 'EXECUTE_IN_PROGRESS';
    cs.executed = true;
    stack.template = cs.template;
    // Given, the change set's rollback configuration replaces the stack's (an empty list of triggers removes them);
    // left out, CloudFormation keeps the stack's last one.
    if (cs.rollback !== undefined) stack.rollback = cs.rollback;
    const kind = cs.type === 'CREATE' ? 'CREATE' : 'UPDATE';
    if (kind === 'UPDATE') {
      stack.lastUpdatedTime = new Date(Math.max(this.now(), (stack.lastUpdatedTime?.getTime() ?? 0) + 1));
      // Executing one change set makes the stack's other change sets obsolete.
      for (const other of this.changeSets.values()) {
        if (other !== cs && other.stackName === cs.stackName && other.executionStatus === 'AVAILABLE') other.executionStatus = 'OBSOLETE';
      }
    }
    const onExecute = this.scripts.get(cs.stackName)?.execute ?? this.onExecuteChangeSet;
    const staleReads = onExecute.staleReads ?? 0;
    if (staleReads > 0) stack.stale = { reads: staleReads, seen };
    stack.executing = cs;
    stack.operationToken = input.ClientRequestToken;
    this.enter(stack, {
      status: `${kind}_IN_PROGRESS`,
      events: [{ LogicalResourceId: '', ResourceType: 'AWS::CloudFormation::Stack', ResourceStatus: `${kind}_IN_PROGRESS`, ResourceStatusReason: 'User Initiated' }],
    });
    this.startOperation(stack, kind, onExecute);
    return { output: {} };
  }

  private deleteChangeSet(input: any) {
    const cs = this.findChangeSet(input.StackName, input.ChangeSetName);
    if (cs.executionStatus === 'EXECUTE_IN_PROGRESS') {
      throw new InvalidChangeSetStatusException({
        message: `ChangeSet [${cs.id}] cannot be deleted in its current status of [EXECUTE_IN_PROGRESS]`, $metadata: METADATA,
      });
    }
    this.changeSets.delete(`${cs.stackName}/${cs.name}`);
    return { output: {} };
  }

  // ----- helpers -----

  /** DeleteStack: DELETE_IN_PROGRESS for one look, then gone. */
  private deleteStack(input: any) {
    const stack = this.findStack(input.StackName);
    stack.status = 'DELETE_IN_PROGRESS';
    stack.operationToken = input.ClientRequestToken;
    stack.upcoming = [{ status: 'DELETE_IN_PROGRESS' }, { status: 'DELETE_COMPLETE' }];
    return { output: {} };
  }

  private findStack(name: string): StackModel {
    const stack = this.stacks.get(name) ?? [...this.stacks.values()].find((s) => s.id === name);
    if (!stack) throw awsError('ValidationError', `Stack with id ${name} does not exist`);
    return stack;
  }

  /**
   * A change set by name (with its stack), or by id: CloudFormation takes the change set's ARN as ChangeSetName,
   * the stack then being optional. A change set deleted and created again under the same name has a new id, so
   * the old id finds nothing.
   */
  private findChangeSet(stackName: string | undefined, name: string): ChangeSetModel {
    const cs = name.startsWith('arn:')
      ? [...this.changeSets.values()].find((c) => c.id === name)
      : this.changeSets.get(`${stackName}/${name}`);
    if (!cs) throw new ChangeSetNotFoundException({ message: `ChangeSet [${name}] does not exist`, $metadata: METADATA });
    if (stackName !== undefined && stackName !== cs.stackName && stackName !== this.stacks.get(cs.stackName)?.id) {
      throw awsError('ValidationError', `ChangeSet [${name}] does not belong to stack [${stackName}]`);
    }
    return cs;
  }

  /** CloudFormation reads the template from TemplateBody (at most 51,200 bytes) or from S3 (TemplateURL). */
  private templateOf(input: any): string {
    if (input.TemplateBody !== undefined && input.TemplateURL !== undefined) {
      throw awsError('ValidationError', 'Specify exactly one of TemplateBody or TemplateUrl.');
    }
    if (input.TemplateBody !== undefined) {
      const size = new TextEncoder().encode(input.TemplateBody).length;
      if (size > 51_200) {
        throw awsError('ValidationError',
          "1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to 51200");
      }
      return input.TemplateBody;
    }
    if (input.TemplateURL !== undefined) {
      const template = this.s3?.textAtUrl(input.TemplateURL);
      if (template === undefined) throw awsError('ValidationError', `TemplateURL must be a supported URL: ${input.TemplateURL}`);
      return template;
    }
    throw awsError('ValidationError', 'Either Template URL or Template Body must be specified.');
  }

  /** A change set past its creation: FAILED with its script's reason, or CREATE_COMPLETE and ready to execute. */
  private settle(cs: ChangeSetModel): void {
    if (cs.script.failedReason) {
      cs.status = 'FAILED';
    } else {
      cs.status = 'CREATE_COMPLETE';
      cs.executionStatus = 'AVAILABLE';
    }
  }

  /** A change set on the clock: CREATE_IN_PROGRESS until it is ready. */
  private settleOnClock(cs: ChangeSetModel): void {
    if (cs.status !== 'CREATE_PENDING' && cs.status !== 'CREATE_IN_PROGRESS') return;
    if (this.now() >= cs.readyAt!) this.settle(cs);
    else cs.status = 'CREATE_IN_PROGRESS';
  }

  /** The statuses the stack moves through: one a DescribeStacks call, or in progress until its time on the clock. */
  private startOperation(stack: StackModel, kind: 'CREATE' | 'UPDATE', script: OperationScript): void {
    if (script.outputs) stack.outputs = script.outputs;
    const monitoringMinutes = stack.rollback?.MonitoringTimeInMinutes ?? 0;
    const missing = (stack.rollback?.RollbackTriggers ?? []).find((t) => !this.cloudwatch?.exists(t.Arn!));
    if (missing) {
      // "If a specified trigger is missing, the entire stack operation fails and is rolled back" (RollbackTrigger).
      stack.timed = undefined;
      stack.upcoming = this.rollbackSteps(kind, `Rollback trigger ${missing.Arn} does not exist`, 'stackAndEvent');
      return;
    }
    if (script.durationMs === undefined) {
      stack.timed = undefined;
      const steps = this.operationSteps(kind, script);
      stack.upcoming = script.breach ? this.breachSteps(stack, kind, script) : monitoringMinutes > 0 && !script.failure
        // Monitoring: the resources are deployed, the stack stays in progress while CloudFormation watches the alarms.
        ? [...steps.slice(0, script.inProgressPolls ?? 1), ...Array.from({ length: script.monitoringPolls ?? 2 }, () => ({ status: `${kind}_IN_PROGRESS` })),
          ...steps.slice(script.inProgressPolls ?? 1)]
        : steps;
      return;
    }
    if (script.breach) throw new Error('FakeCloudFormation: a breach on the clock is not modelled');
    // The monitoring period adds to the operation: the stack stays in progress while CloudFormation watches the alarms.
    const durationMs = script.durationMs + monitoringMinutes * 60_000;
    if (script.failure) throw new Error('FakeCloudFormation: a failure on the clock is not modelled');
    stack.upcoming = [];
    stack.timed = {
      ended: false,
      endsAt: this.now() + durationMs,
      end: { status: `${kind}_COMPLETE`, events: [{ LogicalResourceId: '', ResourceType: 'AWS::CloudFormation::Stack', ResourceStatus: `${kind}_COMPLETE` }] },
    };
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

  /** The operation until a rollback alarm goes to ALARM (during it, or during the monitoring period), then the rollback. */
  private breachSteps(stack: StackModel, kind: 'CREATE' | 'UPDATE', script: OperationScript): Step[] {
    const breach = script.breach!;
    const trigger = (stack.rollback?.RollbackTriggers ?? []).find((t) => t.Arn!.endsWith(`:alarm:${breach.alarm}`) || t.Arn === breach.alarm);
    if (!trigger) throw new Error(`FakeCloudFormation: ${breach.alarm} is not a rollback trigger of ${stack.name}`);
    const arn = trigger.Arn!;
    const name = arn.slice(arn.indexOf(':alarm:') + ':alarm:'.length);
    const before = (script.inProgressPolls ?? 1) + (breach.during === 'monitoring' ? script.monitoringPolls ?? 2 : 0);
    const reason = (breach.reason ?? 'Rollback triggered by alarm {arn}').replace('{arn}', arn).replace('{name}', name);
    const steps = this.rollbackSteps(kind, reason, breach.toldIn ?? 'stackAndEvent');
    const alarmFires = () => this.cloudwatch?.setState(name, 'ALARM', breach.stateReason ?? 'Threshold Crossed: 1 datapoint [42.0] was greater than the threshold (10.0).');
    return [...Array.from({ length: before }, () => ({ status: `${kind}_IN_PROGRESS` })), { ...steps[0], onEnter: alarmFires }, ...steps.slice(1)];
  }

  /** CloudFormation rolls the operation back with this reason (told in the stack's status reason and event, or less). */
  private rollbackSteps(kind: 'CREATE' | 'UPDATE', reason: string, toldIn: 'stackAndEvent' | 'eventOnly' | 'nowhere'): Step[] {
    const rollback = kind === 'CREATE' ? 'ROLLBACK' : 'UPDATE_ROLLBACK';
    return [
      {
        status: `${rollback}_IN_PROGRESS`,
        ...(toldIn === 'stackAndEvent' ? { reason } : {}),
        events: [{
          LogicalResourceId: '',
          ResourceType: 'AWS::CloudFormation::Stack',
          ResourceStatus: `${rollback}_IN_PROGRESS`,
          ...(toldIn !== 'nowhere' ? { ResourceStatusReason: reason } : {}),
        }],
      },
      ...(kind === 'UPDATE' ? [{ status: 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS' }] : []),
      { status: `${rollback}_COMPLETE`, events: [{ LogicalResourceId: '', ResourceType: 'AWS::CloudFormation::Stack', ResourceStatus: `${rollback}_COMPLETE` }] },
    ];
  }

  /** What CloudFormation refuses of a RollbackConfiguration (API reference: at most 5 triggers, 0 to 180 minutes, two types). */
  private checkRollback(rc: RollbackConfiguration | undefined): void {
    if (!rc) return;
    const triggers = rc.RollbackTriggers ?? [];
    if (triggers.length > 5) throw awsError('ValidationError', 'Member must have length less than or equal to 5 (RollbackTriggers)');
    const minutes = rc.MonitoringTimeInMinutes ?? 0;
    if (!Number.isInteger(minutes) || minutes < 0 || minutes > 180) throw awsError('ValidationError', 'MonitoringTimeInMinutes must be from 0 to 180');
    for (const t of triggers) {
      if (t.Type !== 'AWS::CloudWatch::Alarm' && t.Type !== 'AWS::CloudWatch::CompositeAlarm') throw awsError('ValidationError', `Unsupported rollback trigger type ${t.Type}`);
      if (!this.cloudwatch) throw new Error('FakeCloudFormation: rollback triggers need a FakeCloudWatch (options.cloudwatch)');
    }
  }

  private enter(stack: StackModel, step: Step): void {
    step.onEnter?.();
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
      Timestamp: new Date(this.now()),
    });
  }
}

function stackId(name: string): string {
  return `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${name}/0000000${stackCounter++}-fake-stack-id`;
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

