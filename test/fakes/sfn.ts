/**
 * Fake Step Functions: the executions of one state machine, as the trigger starts and follows them, and an
 * execution's history, as the task function reads it.
 */
import { isDeepStrictEqual } from 'util';
import {
  DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, GetExecutionHistoryCommand, SFNClient, SendTaskFailureCommand,
  SendTaskSuccessCommand, StartExecutionCommand, TaskDoesNotExist,
} from '@aws-sdk/client-sfn';
import type { ExecutionStatus, HistoryEvent, HistoryEventType } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { ACCOUNT, CLIENT_CONFIG, METADATA, REGION, refuseUnmodelled } from './aws';
import type { LocalEvent } from '../../demo/lib/local-sfn';
import { TASK_STATES } from '../../src/shared/state-names';

/** The state machine of the fakes, unless a test synthesizes its own. */
export const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:DeployWorkflow`;

/** How an execution ended. */
export interface ExecutionEnd {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

export interface FakeExecution {
  readonly executionArn: string;
  readonly name: string;
  readonly input: string;
  status: ExecutionStatus;
  output?: string;
  error?: string;
  cause?: string;
  /** On the clock: the execution is RUNNING until then, and `end` after (`finish()`). */
  ending?: { readonly at: number; readonly end: ExecutionEnd };
  /** Whether it ran (`runPending()`). */
  ran: boolean;
}

/** Runs an execution to its end, as Step Functions would: the local runs of the synthesized state machine. */
export type ExecutionRunner = (input: any, name: string) => Promise<ExecutionEnd>;

export interface FakeStepFunctionsOptions {
  /** The one state machine: StartExecution on another fails the test. @default - executions of any state machine */
  readonly stateMachineArn?: string;
  /** Runs the executions started, when the test lets time pass (`runPending()`). @default - they run only as the test says */
  readonly runner?: ExecutionRunner;
  /** The fake's time (epoch ms): executions' start dates, and their ends on the clock (`finish()`). @default Date.now */
  readonly clock?: () => number;
}

/**
 * Step Functions for one state machine. StartExecution is idempotent as in AWS: the same name with the same input
 * while the execution runs returns it again; the same name otherwise fails with ExecutionAlreadyExists. An execution
 * stays RUNNING until the test ends it: it sets its status, lets time pass (`runPending()`, with a runner), or gives
 * it an end on the clock (`finish()`).
 */
export class FakeStepFunctions {
  public readonly executions: FakeExecution[] = [];
  public readonly client = new SFNClient(CLIENT_CONFIG);
  public readonly mock = mockClient(this.client);
  /** Every StartExecution: the name, and the error it got. */
  public readonly startCalls: { name: string; error?: string }[] = [];
  private readonly stateMachineArn?: string;
  private readonly runner?: ExecutionRunner;
  private readonly now: () => number;

  constructor(options: FakeStepFunctionsOptions = {}) {
    this.stateMachineArn = options.stateMachineArn;
    this.runner = options.runner;
    this.now = options.clock ?? Date.now;
    refuseUnmodelled(this.mock, 'FakeStepFunctions');
    this.mock.on(StartExecutionCommand).callsFake(async (input) => {
      if (this.stateMachineArn && input.stateMachineArn !== this.stateMachineArn) {
        throw new Error(`FakeStepFunctions: StartExecution on ${input.stateMachineArn}, not ${this.stateMachineArn}`);
      }
      const existing = this.executions.find((e) => e.name === input.name);
      if (existing) {
        if (existing.status === 'RUNNING' && existing.input === input.input) {
          this.startCalls.push({ name: input.name! });
          return { executionArn: existing.executionArn, startDate: new Date(this.now()) };
        }
        this.startCalls.push({ name: input.name!, error: 'ExecutionAlreadyExists' });
        throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${existing.executionArn}'`, $metadata: METADATA });
      }
      this.startCalls.push({ name: input.name! });
      const execution = this.add({ name: input.name!, input: input.input! }, input.stateMachineArn);
      return { executionArn: execution.executionArn, startDate: new Date(this.now()) };
    });
    this.mock.on(DescribeExecutionCommand).callsFake(async (input) => {
      const execution = this.executions.find((e) => e.executionArn === input.executionArn);
      if (!execution) {
        throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${input.executionArn}'`, $metadata: METADATA });
      }
      if (execution.ending && this.now() >= execution.ending.at) this.end(execution, execution.ending.end);
      return {
        executionArn: execution.executionArn,
        stateMachineArn: execution.executionArn.replace(/:execution:(.*):[^:]*$/, ':stateMachine:$1'),
        name: execution.name,
        status: execution.status,
        input: execution.input,
        startDate: new Date(this.now()),
        ...(execution.output !== undefined ? { output: execution.output } : {}),
        ...(execution.error !== undefined ? { error: execution.error } : {}),
        ...(execution.cause !== undefined ? { cause: execution.cause } : {}),
      };
    });
  }

  /** The one execution started. */
  public only(): FakeExecution {
    expect(this.executions).toHaveLength(1);
    return this.executions[0];
  }

  /** Registers an execution that was started earlier (by another invocation). */
  public add(
    execution: Partial<Omit<FakeExecution, 'executionArn'>> & { name: string }, stateMachineArn = this.stateMachineArn ?? STATE_MACHINE_ARN,
  ): FakeExecution {
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${execution.name}`;
    const created: FakeExecution = { executionArn, input: '{}', status: 'RUNNING', ran: false, ...execution };
    this.executions.push(created);
    return created;
  }

  /** The execution ends `end` at `at` on the clock (it is RUNNING until then). */
  public finish(executionArn: string, at: number, end: ExecutionEnd): void {
    this.executions.find((e) => e.executionArn === executionArn)!.ending = { at, end };
  }

  /** Lets time pass: every execution not yet run runs to its end. */
  public async runPending(): Promise<void> {
    if (!this.runner) throw new Error('FakeStepFunctions: no runner to run the executions');
    for (const execution of this.executions) {
      if (execution.ran) continue;
      execution.ran = true;
      this.end(execution, await this.runner(JSON.parse(execution.input), execution.name));
    }
  }

  private end(execution: FakeExecution, end: ExecutionEnd): void {
    execution.status = end.status;
    if (end.status === 'SUCCEEDED') execution.output = JSON.stringify(end.output);
    if (end.error !== undefined) execution.error = end.error;
    if (end.cause !== undefined) execution.cause = end.cause;
  }
}

/** An execution is at a Task state, calling the task function (`FakeExecutionHistory.current.set`). */
export interface EnteredState {
  readonly executionArn: string;
  /** The Task state's name. */
  readonly name: string;
  /** The state's input (the payload's state is the part of it `TASK_STATES` names). */
  readonly input: unknown;
  /** The task token, for a state that waits for a person. @default - `fake-task-token` */
  readonly token?: string;
}

/** The task function's ARN in the fake histories' scheduled events. */
export const TASK_FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:DeployTaskFunction`;

/** The events that end an execution. */
const END_EVENTS = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);

/** A Task call under way: the thread it runs in, and its state. */
interface OpenCall {
  readonly thread: string;
  readonly state: string;
  readonly approval: boolean;
}

/**
 * One execution's history as Step Functions writes it: events numbered from 1 in the order they happen, each with
 * its timestamp and the id of the event before it in its own thread (`previousEventId`: the iterations of a Map
 * state interleave, each chained on its own). A Task state whose Resource is the function writes TaskStateEntered,
 * LambdaFunctionScheduled (with the payload as `input`), LambdaFunctionStarted, then LambdaFunctionSucceeded or
 * LambdaFunctionFailed (a retry schedules again after it), and TaskStateExited; a `lambda:invoke.waitForTaskToken`
 * state writes TaskScheduled (with the parameters, the payload under `Payload`), TaskStarted, TaskSubmitted once the
 * function returned, and TaskSucceeded or TaskFailed with the person's answer. Nothing follows an end event.
 */
export class ExecutionLog {
  public readonly events: HistoryEvent[] = [];
  /** The last event of each thread: `main`, or a Map iteration's. */
  private readonly threads = new Map<string, number>();
  private readonly mapStarted = new Map<string, number>();

  constructor(public readonly executionArn: string, input: unknown, private readonly clock: () => number = Date.now) {
    this.add('main', 'ExecutionStarted', { executionStartedEventDetails: { input: JSON.stringify(input) } });
  }

  public get ended(): boolean {
    return this.events.some((e) => END_EVENTS.has(e.type!));
  }

  /** The last event of a thread. */
  public last(thread: string): HistoryEvent | undefined {
    const id = this.threads.get(thread);
    return id === undefined ? undefined : this.events[id - 1];
  }

  /** Writes the next event of a thread (after the event `after`, by default the thread's last). */
  public add(thread: string, type: HistoryEventType, details: Partial<HistoryEvent> = {}, after?: number): HistoryEvent {
    if (this.ended) throw new Error(`FakeExecutionHistory: ${this.executionArn} has ended; Step Functions writes nothing after its end`);
    const event: HistoryEvent = {
      id: this.events.length + 1,
      previousEventId: after ?? this.threads.get(thread) ?? 0,
      timestamp: new Date(this.clock()),
      type,
      ...details,
    };
    this.events.push(event);
    this.threads.set(thread, event.id!);
    return event;
  }

  /** A state of the local engine's log, as Step Functions records it (the Task calls are written by `call`). */
  public record(event: LocalEvent): void {
    const thread = 'index' in event && event.index !== undefined ? `iteration ${event.index}` : 'main';
    switch (event.type) {
      case 'StateEntered': {
        const { name, type, input } = event.state;
        this.add(thread, `${type}StateEntered` as HistoryEventType, { stateEnteredEventDetails: { name, input: JSON.stringify(input) } });
        if (type === 'Map') this.mapStarted.set(name, this.add(thread, 'MapStateStarted', { mapStateStartedEventDetails: { length: 0 } }).id!);
        return;
      }
      case 'StateExited': {
        const { name, type, output } = event.state;
        if (type === 'Fail') return;
        if (type === 'Map') this.add(thread, 'MapStateSucceeded');
        this.add(thread, `${type}StateExited` as HistoryEventType, { stateExitedEventDetails: { name, output: JSON.stringify(output ?? null) } });
        return;
      }
      case 'MapIterationStarted':
        this.add(`iteration ${event.index}`, 'MapIterationStarted',
          { mapIterationStartedEventDetails: { name: event.parentState.name, index: event.index } }, this.mapStarted.get(event.parentState.name));
        return;
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        this.add(`iteration ${event.index}`, event.type, { mapIterationSucceededEventDetails: { name: event.parentState.name, index: event.index } });
        return;
      case 'ExecutionSucceeded':
        this.add('main', 'ExecutionSucceeded', { executionSucceededEventDetails: { output: JSON.stringify(event.output) } });
        return;
      case 'ExecutionFailed':
        this.add('main', 'ExecutionFailed', { executionFailedEventDetails: { error: event.Error, cause: String(event.Cause) } });
        return;
      default:
        return;
    }
  }

  /**
   * Step Functions calls the function for the Task state `state` with `payload`: in the thread that entered that
   * state (or whose call of it failed, for a retry) with the input the payload was made from.
   */
  public call(state: string, payload: any, enteredWith: (input: unknown) => unknown): OpenCall {
    const approval = payload.task === 'requestApproval';
    const thread = [...this.threads.keys()].find((t) => {
      const last = this.last(t)!;
      const entered = this.enteredOf(last);
      const waiting = last.type === 'TaskStateEntered' || last.type === 'LambdaFunctionFailed' || last.type === 'LambdaFunctionTimedOut';
      return waiting && entered?.stateEnteredEventDetails?.name === state
        && isDeepStrictEqual(enteredWith(JSON.parse(entered.stateEnteredEventDetails.input ?? 'null')), payload.state);
    });
    if (!thread) throw new Error(`FakeExecutionHistory: no thread of ${this.executionArn} entered "${state}" with this payload's state`);
    if (approval) {
      this.add(thread, 'TaskScheduled', {
        taskScheduledEventDetails: {
          resourceType: 'lambda',
          resource: 'invoke.waitForTaskToken',
          region: REGION,
          parameters: JSON.stringify({ FunctionName: TASK_FUNCTION_ARN, Payload: payload }),
        },
      });
      this.add(thread, 'TaskStarted', { taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' } });
    } else {
      this.add(thread, 'LambdaFunctionScheduled', { lambdaFunctionScheduledEventDetails: { resource: TASK_FUNCTION_ARN, input: JSON.stringify(payload) } });
      this.add(thread, 'LambdaFunctionStarted');
    }
    return { thread, state, approval };
  }

  /** The function returned (`error`: it failed); a person's answer ends a wait for a task token (`answered`). */
  public returned(call: OpenCall, error?: { name: string; message: string }): void {
    if (call.approval) {
      this.add(call.thread, error ? 'TaskFailed' : 'TaskSubmitted', error
        ? { taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', error: error.name, cause: error.message } }
        : { taskSubmittedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' } });
      return;
    }
    this.add(call.thread, error ? 'LambdaFunctionFailed' : 'LambdaFunctionSucceeded', error
      ? { lambdaFunctionFailedEventDetails: { error: error.name, cause: error.message } } : { lambdaFunctionSucceededEventDetails: {} });
  }

  /** A person answered a wait for a task token. */
  public answered(call: OpenCall, error?: { name: string; message: string }): void {
    this.add(call.thread, error ? 'TaskFailed' : 'TaskSucceeded', error
      ? { taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', error: error.name, cause: error.message } }
      : { taskSucceededEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' } });
  }

  /** The state entry an event of a Task call belongs to. */
  private enteredOf(event: HistoryEvent): HistoryEvent | undefined {
    let e: HistoryEvent | undefined = event;
    while (e && e.type !== 'TaskStateEntered') {
      if (!e.type!.startsWith('LambdaFunction') && !e.type!.startsWith('Task')) return undefined;
      e = this.events[e.previousEventId! - 1];
    }
    return e;
  }
}

/**
 * GetExecutionHistory as Step Functions answers it: the executions' histories (`ExecutionLog`), oldest first or
 * newest first (`reverseOrder`), in pages of `maxResults` (100 by default, 1000 at most) with a `nextToken`, and
 * without the states' data unless `includeExecutionData` (true by default). Executions of other state machines are
 * refused as IAM refuses them (the task function may read its own state machine's only).
 */
export class FakeExecutionHistory {
  public readonly client = new SFNClient(CLIENT_CONFIG);
  public readonly logs = new Map<string, ExecutionLog>();
  /** Every GetExecutionHistory call. */
  public readonly calls: { executionArn?: string; nextToken?: string }[] = [];
  /** The Task state the handler tests' execution is at (`current.set`). */
  private open?: string;
  /**
   * Puts an execution at a Task state calling the task function, as the handler tests need it: the state is entered
   * with `input`, and the function is called with the payload the state makes of it (the previous call returns first).
   */
  public readonly current = {
    set: (executionArn: string, entered: EnteredState) => this.calling(executionArn, entered),
  };

  constructor(private readonly stateMachineArn: string = STATE_MACHINE_ARN, private readonly clock: () => number = Date.now) {
    const mock = mockClient(this.client);
    refuseUnmodelled(mock, 'FakeExecutionHistory');
    mock.on(GetExecutionHistoryCommand).callsFake(async (input) => {
      this.calls.push({ executionArn: input.executionArn, nextToken: input.nextToken });
      const ours = `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:`;
      if (!input.executionArn?.startsWith(ours)) {
        const error = new Error(`User is not authorized to perform: states:GetExecutionHistory on resource: ${input.executionArn}`);
        error.name = 'AccessDeniedException';
        throw error;
      }
      const log = this.logs.get(input.executionArn);
      if (!log) throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${input.executionArn}'`, $metadata: METADATA });
      const size = input.maxResults || 100;
      if (size > 1000) throw new Error('FakeExecutionHistory: maxResults is at most 1000');
      const ordered = input.reverseOrder ? [...log.events].reverse() : log.events;
      const from = input.nextToken ? Number(Buffer.from(input.nextToken, 'base64').toString()) : 0;
      const page = ordered.slice(from, from + size).map((e) => (input.includeExecutionData === false ? withoutData(e) : structuredClone(e)));
      const more = from + size < ordered.length;
      return { events: page, ...(more ? { nextToken: Buffer.from(String(from + size)).toString('base64') } : {}) };
    });
  }

  /** The history of an execution, started with `input` if it is new. */
  public log(executionArn: string, input: unknown = {}): ExecutionLog {
    let log = this.logs.get(executionArn);
    if (!log) {
      log = new ExecutionLog(executionArn, input, this.clock);
      this.logs.set(executionArn, log);
    }
    return log;
  }

  private calling(executionArn: string, entered: EnteredState): void {
    const log = this.log(executionArn);
    const main = log.last('main')!;
    if (main.type === 'LambdaFunctionStarted' || main.type === 'TaskStarted') {
      log.add('main', main.type === 'TaskStarted' ? 'TaskSucceeded' : 'LambdaFunctionSucceeded');
      log.add('main', 'TaskStateExited', { stateExitedEventDetails: { name: this.open ?? '' } });
    }
    const { task, statePath } = TASK_STATES[entered.name] ?? { task: undefined };
    log.add('main', 'TaskStateEntered', { stateEnteredEventDetails: { name: entered.name, input: JSON.stringify(entered.input) } });
    this.open = entered.name;
    if (!task) return;
    const state = statePath ? (entered.input as any)?.unit?.current : entered.input;
    const payload = { task, state, executionId: executionArn, ...(task === 'requestApproval' ? { token: entered.token ?? 'fake-task-token' } : {}) };
    log.call(entered.name, JSON.parse(JSON.stringify(payload)), (input) => (statePath ? (input as any)?.unit?.current : input));
  }

}

/** An event as GetExecutionHistory gives it with includeExecutionData false: no input, output or parameters. */
function withoutData(event: HistoryEvent): HistoryEvent {
  const copy: any = structuredClone(event);
  for (const [key, value] of Object.entries(copy)) {
    if (!key.endsWith('EventDetails') || typeof value !== 'object' || value === null) continue;
    for (const data of ['input', 'output', 'parameters']) delete (value as any)[data];
  }
  return copy;
}

/** An answer a wait got (SendTaskSuccess or SendTaskFailure). */
export interface TaskAnswer {
  readonly executionArn: string;
  readonly state: string;
  readonly output?: any;
  readonly error?: string;
  readonly cause?: string;
}

/** A wait for a task token: the state that waits, the Task state's resolved parameters (with the token). */
export interface FakeWait {
  readonly state: string;
  readonly parameters: unknown;
  readonly token: string;
  /** The wait's task was scheduled (not only its state entered). @default true */
  readonly scheduled?: boolean;
}

/**
 * Executions that wait for a task token, as the approval function reads and answers them: DescribeExecution,
 * GetExecutionHistory (newest first, with data: the entered Task state, its TaskScheduled event with the resolved
 * parameters, TaskStarted and TaskSubmitted), SendTaskSuccess and SendTaskFailure. IAM allows the calls on this one
 * state machine only (its executions, its tokens): anything else is AccessDeniedException. A token answers once;
 * after that, or for a token of no open wait, SendTask* fails with TaskDoesNotExist.
 */
export class FakeTaskWaits {
  public readonly client = new SFNClient(CLIENT_CONFIG);
  public readonly mock = mockClient(this.client);
  public readonly answers: TaskAnswer[] = [];
  private readonly executions = new Map<string, { status: ExecutionStatus; wait?: FakeWait; stateMachineArn: string }>();

  constructor(public readonly stateMachineArn: string = STATE_MACHINE_ARN) {
    refuseUnmodelled(this.mock, 'FakeTaskWaits');
    this.mock.on(DescribeExecutionCommand).callsFake(async (input) => {
      const execution = this.readable(input.executionArn!, 'DescribeExecution');
      return {
        executionArn: input.executionArn,
        stateMachineArn: execution.stateMachineArn,
        name: input.executionArn!.split(':').pop(),
        status: execution.status,
        input: '{}',
        startDate: new Date(),
      };
    });
    this.mock.on(GetExecutionHistoryCommand).callsFake(async (input) => {
      const execution = this.readable(input.executionArn!, 'GetExecutionHistory');
      if (!input.reverseOrder || !input.includeExecutionData) throw new Error('FakeTaskWaits: only the newest-first history with data is modelled');
      return { events: historyOf(execution.wait) };
    });
    this.mock.on(SendTaskSuccessCommand).callsFake(async (input) => {
      const [executionArn, wait] = this.open(input.taskToken!, 'SendTaskSuccess');
      this.answers.push({ executionArn, state: wait.state, output: JSON.parse(input.output!) });
    });
    this.mock.on(SendTaskFailureCommand).callsFake(async (input) => {
      const [executionArn, wait] = this.open(input.taskToken!, 'SendTaskFailure');
      this.answers.push({ executionArn, state: wait.state, error: input.error, cause: input.cause });
    });
  }

  /** An execution of this state machine (or `stateMachineArn`'s), RUNNING at `wait` unless told otherwise. */
  public add(name: string, wait?: FakeWait, status: ExecutionStatus = 'RUNNING', stateMachineArn = this.stateMachineArn): string {
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    this.executions.set(executionArn, { status, wait, stateMachineArn });
    return executionArn;
  }

  /** Every SendTask* call, answered or not. */
  public sendCalls(): number {
    return this.mock.commandCalls(SendTaskSuccessCommand).length + this.mock.commandCalls(SendTaskFailureCommand).length;
  }

  private readable(executionArn: string, operation: string) {
    const execution = this.executions.get(executionArn);
    if (!execution || execution.stateMachineArn !== this.stateMachineArn) {
      if (!executionArn.startsWith(`${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:`)) throw accessDenied(operation, executionArn);
      throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${executionArn}'`, $metadata: METADATA });
    }
    return execution;
  }

  private open(token: string, operation: string): [string, FakeWait] {
    for (const [executionArn, execution] of this.executions) {
      if (execution.wait?.token !== token) continue;
      if (execution.stateMachineArn !== this.stateMachineArn) throw accessDenied(operation, execution.stateMachineArn);
      if (execution.status !== 'RUNNING') break;
      const wait = execution.wait;
      execution.wait = undefined;
      return [executionArn, wait];
    }
    throw new TaskDoesNotExist({ message: 'Task Does Not Exist', $metadata: METADATA });
  }
}

function accessDenied(operation: string, resource: string): Error {
  const error = new Error(`User is not authorized to perform: states:${operation} on resource: ${resource}`);
  error.name = 'AccessDeniedException';
  return error;
}

/** The newest events of an execution waiting at `wait` (newest first); a finished wait leaves its state exited. */
function historyOf(wait: FakeWait | undefined): HistoryEvent[] {
  const at = (id: number, type: string, extra: Partial<HistoryEvent> = {}): HistoryEvent =>
    ({ id, previousEventId: id - 1, timestamp: new Date(), type: type as HistoryEvent['type'], ...extra });
  if (!wait) {
    return [at(3, 'TaskStateExited', { stateExitedEventDetails: { name: 'Confirm Job' } }), at(2, 'TaskStateEntered', { stateEnteredEventDetails: { name: 'Confirm Job' } })];
  }
  const entered = at(2, 'TaskStateEntered', { stateEnteredEventDetails: { name: wait.state, input: '{}' } });
  if (wait.scheduled === false) return [entered];
  return [
    at(5, 'TaskSubmitted', { taskSubmittedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' } }),
    at(4, 'TaskStarted', { taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' } }),
    at(3, 'TaskScheduled', {
      taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', region: REGION, parameters: JSON.stringify(wait.parameters) },
    }),
    entered,
  ];
}
