/**
 * Fake Step Functions: the executions of one state machine, as the trigger starts and follows them, and an
 * execution's history, as the task function reads it.
 */
import {
  DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, GetExecutionHistoryCommand, SFNClient, SendTaskFailureCommand,
  SendTaskSuccessCommand, StartExecutionCommand, TaskDoesNotExist,
} from '@aws-sdk/client-sfn';
import type { ExecutionStatus, HistoryEvent } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { ACCOUNT, CLIENT_CONFIG, METADATA, REGION, refuseUnmodelled } from './aws';

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
  public readonly client = new SFNClient(CLIENT_CONFIG);
  public readonly current = new Map<string, EnteredState>();

  constructor(private readonly stateMachineArn: string = STATE_MACHINE_ARN) {
    const mock = mockClient(this.client);
    refuseUnmodelled(mock, 'FakeExecutionHistory');
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
