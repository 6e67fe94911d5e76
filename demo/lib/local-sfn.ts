/**
 * The one local Step Functions of the project: aws-local-stepfunctions (with the Promise.withResolvers it needs on
 * Node.js 20), and `startLocalExecution()`, which runs a definition with every Task state answered in-process.
 * The demo's control plane, the benchmark and the execution tests run their executions here.
 *
 * Wait states take no real time, nor do retry intervals unless asked. What time a Wait takes is the caller's
 * (`afterWait`): a Wait state's override is read when the Wait runs (it records the Wait as pending and returns 0),
 * and the Task state after it reads the seconds from its own input, which is the Wait's (every Wait must go straight
 * to a Task state, or to a Choice whose every branch is one, and pass its input through), exactly as Step Functions
 * would, before it calls the handler. So a
 * clock moves by what the definition asks for, in the order the states run, with no race with the event log.
 */
import type { StateMachine as LocalStateMachine, StateMachineDefinition as LocalDefinition } from 'aws-local-stepfunctions' with { 'resolution-mode': 'import' };
import type { StateMachineDefinition } from './definition';
import { allStates, statesOfType } from './definition';
import { rawInputOf, waitSecondsOf } from './virtual-time';

// aws-local-stepfunctions v3 uses Promise.withResolvers, which Node.js 20 lacks.
const promises = Promise as unknown as { withResolvers?: unknown };
if (typeof promises.withResolvers !== 'function') {
  promises.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

// aws-local-stepfunctions is an ES module package that also ships a CommonJS build; this project is CommonJS.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { StateMachine } = require('aws-local-stepfunctions') as { StateMachine: typeof LocalStateMachine };

/** An event of the local execution's log (StateEntered, StateExited, StateRetried, ...). */
export type LocalEvent = ReturnType<LocalStateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export interface LocalExecutionOptions {
  /** Answers a Task state: its name and the payload the state sends (as JSON, as Lambda receives it). */
  readonly task: (stateName: string, payload: any) => Promise<unknown>;
  /**
   * Called when a Task state that follows a Wait state starts, with the seconds that Wait asked for: the time the
   * Wait takes is the caller's to spend (move a virtual clock, sleep on one). Every Wait state must then lead
   * straight to a Task state (or to a Choice whose every branch is one) and pass its input through. Inside a Map's iterations, which run at once, each Task
   * takes the pending Wait that leads to it, so their waits are spent one after another: an upper bound of the time.
   * @default - Wait states take no time at all
   */
  readonly afterWait?: (wait: { readonly state: string; readonly seconds: number }) => void | Promise<void>;
  /** The context object's fields Step Functions sets and the local engine does not (the execution's Id, a task token). */
  readonly context?: Record<string, unknown>;
  /** The execution is aborted when more Task states than this ran (a polling loop that never ends). @default 5000 */
  readonly maxTaskInvocations?: number;
  /** The local engine checks that every Resource is an ARN. @default false (it checks the paths in any case) */
  readonly checkArn?: boolean;
  /** Retry intervals as the definition says (real time) instead of none. @default false */
  readonly realRetryIntervals?: boolean;
  /** Sees each event of the execution's log as it comes. */
  readonly onEvent?: (event: LocalEvent) => void;
}

/** How a local execution ended, with its whole event log. */
export interface LocalResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: any;
  readonly error?: string;
  readonly cause?: string;
  readonly events: LocalEvent[];
  /** The Task states run (Lambda invocations). */
  readonly taskInvocations: number;
}

/** Thrown when an execution ran more than `maxTaskInvocations` Task states. */
export class RunawayExecution extends Error {
  constructor(max: number) {
    super(`more than ${max} Task states ran: a polling loop never ended`);
    this.name = 'RunawayExecution';
  }
}

const machines = [new WeakMap<StateMachineDefinition, LocalStateMachine>(), new WeakMap<StateMachineDefinition, LocalStateMachine>()];

/** One validated StateMachine per definition and ARN check (validation costs more than a run). */
function machineOf(definition: StateMachineDefinition, checkArn: boolean): LocalStateMachine {
  const cache = machines[checkArn ? 1 : 0];
  let machine = cache.get(definition);
  if (!machine) {
    machine = new StateMachine(definition as unknown as LocalDefinition, { validationOptions: { checkArn, checkPaths: true } });
    cache.set(definition, machine);
  }
  return machine;
}

/** Starts an execution of `definition` with `input`; its result settles when it ends (a RunawayExecution if aborted). */
export function startLocalExecution(original: StateMachineDefinition, input: unknown, options: LocalExecutionOptions): Promise<LocalResult> {
  if (options.afterWait) checkWaitsLeadToTasks(original);
  const definition = options.afterWait ? withWaitInputsCarried(original) : original;
  const states = allStates(definition);
  const byName = Object.fromEntries(states);

  // Without Map or Parallel states one Wait at a time is pending; iterations that run at once may each have one.
  const concurrent = states.some(([, s]) => s.Type === 'Map' || s.Type === 'Parallel');
  const pendingWaits: string[] = [];
  let protocolError: Error | undefined;
  const waitTimeOverrides: Record<string, number> = {};
  for (const [name] of states.filter(([, s]) => s.Type === 'Wait')) {
    Object.defineProperty(waitTimeOverrides, name, {
      enumerable: true,
      get: () => {
        if (!options.afterWait) return 0;
        if (pendingWaits.length > 0 && !concurrent) protocolError ??= new Error(`Wait "${name}" ran while Wait "${pendingWaits[0]}" was still pending`);
        pendingWaits.push(name);
        return 0;
      },
    });
  }

  const maxTasks = options.maxTaskInvocations ?? 5_000;
  let taskInvocations = 0;
  let aborted = false;
  let execution: ReturnType<LocalStateMachine['run']> | undefined;
  const taskResourceLocalHandlers: Record<string, (payload: any) => Promise<any>> = {};
  for (const [name, task] of states.filter(([, s]) => s.Type === 'Task')) {
    taskResourceLocalHandlers[name] = async (payload: any) => {
      const waited = concurrent ? pendingWaits.findIndex((w) => tasksAfter(byName, w).includes(name)) : pendingWaits.length > 0 ? 0 : -1;
      if (waited >= 0) {
        const [waitState] = pendingWaits.splice(waited, 1);
        const wait = byName[waitState];
        if (!tasksAfter(byName, waitState).includes(name)) throw new Error(`Wait "${waitState}" was followed by "${name}", not by ${tasksAfter(byName, waitState).join(' or ')}`);
        await options.afterWait?.({ state: waitState, seconds: waitSecondsOf(waitState, wait, rawInputOf(name, task, payload)) });
      }
      if (payload && typeof payload === 'object' && CARRIED_INPUT in payload) {
        // The input the local copy added for the Wait's seconds: the handler gets the Parameters the definition has.
        const { [CARRIED_INPUT]: _carried, ...parameters } = payload;
        payload = parameters;
      }
      if (++taskInvocations > maxTasks) {
        aborted = true;
        execution?.abort();
        throw new RunawayExecution(maxTasks);
      }
      // Lambda receives and returns JSON.
      const result = await options.task(name, JSON.parse(JSON.stringify(payload)));
      return result === undefined ? null : JSON.parse(JSON.stringify(result));
    };
  }
  const retryIntervalOverrides = options.realRetryIntervals ? undefined
    : Object.fromEntries(states.filter(([, s]) => Array.isArray(s.Retry)).map(([name]) => [name, 0]));

  const machine = machineOf(definition, options.checkArn ?? false);
  execution = machine.run(input as any, {
    overrides: { taskResourceLocalHandlers, waitTimeOverrides, ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}) },
    ...(options.context ? { context: options.context as any } : {}),
  });
  const events: LocalEvent[] = [];
  const logs = (async () => {
    for await (const event of execution.eventLogs) {
      events.push(event);
      options.onEvent?.(event);
    }
  })();
  const ended = execution.result.then(
    (output: unknown) => ({ status: 'SUCCEEDED' as const, output }),
    (e: any) => {
      const caught = e?.cause ?? e;
      return { status: 'FAILED' as const, error: String(caught?.name ?? 'Error'), cause: String(caught?.message ?? caught) };
    });
  return Promise.all([ended, logs]).then(([end]) => {
    if (aborted) throw new RunawayExecution(maxTasks);
    if (protocolError) throw protocolError;
    if (pendingWaits.length > 0) throw new Error(`the execution ended during Wait "${pendingWaits[0]}"`);
    return { ...end, events, taskInvocations };
  });
}

/**
 * The Task states a Wait state leads to: the state after it, or, when that is a Choice (which passes its input on
 * as it is), each state the Choice can go to.
 */
function tasksAfter(states: Record<string, Record<string, any>>, waitName: string): string[] {
  const next = states[waitName].Next;
  const choice = states[next];
  if (choice?.Type !== 'Choice') return [next];
  return [...(choice.Choices ?? []).map((rule: Record<string, any>) => rule.Next), choice.Default].filter((n) => n !== undefined);
}

/** Key of the input the local copy adds to a Task's payload, when its Parameters do not carry it, for its Wait's seconds. */
const CARRIED_INPUT = 'localWaitInput';

const carriedCopies = new WeakMap<StateMachineDefinition, StateMachineDefinition>();

/**
 * The definition as run with a clock: a Task state after a Wait whose Parameters do not carry its input (a DynamoDB
 * PutItem, say) gets it under CARRIED_INPUT too, so the Wait's seconds can be read from it as from any other Task's;
 * the handler is given the Parameters without it. Step Functions sends the Parameters as they are.
 */
function withWaitInputsCarried(definition: StateMachineDefinition): StateMachineDefinition {
  const cached = carriedCopies.get(definition);
  if (cached) return cached;
  const copy: StateMachineDefinition = JSON.parse(JSON.stringify(definition));
  const states = Object.fromEntries(allStates(copy));
  for (const name of statesOfType(copy, 'Wait')) {
    for (const taskName of tasksAfter(states, name)) {
      const task = states[taskName];
      try {
        rawInputOf(taskName, task, {});
      } catch {
        task.Parameters = { ...task.Parameters, [`${CARRIED_INPUT}.$`]: '$' };
      }
    }
  }
  carriedCopies.set(definition, copy);
  return copy;
}

function checkWaitsLeadToTasks(definition: StateMachineDefinition): void {
  const states = Object.fromEntries(allStates(definition));
  for (const name of statesOfType(definition, 'Wait')) {
    const wait = states[name];
    const choice = states[wait.Next]?.Type === 'Choice' ? states[wait.Next] : undefined;
    if (choice && ((choice.InputPath ?? '$') !== '$' || (choice.OutputPath ?? '$') !== '$')) {
      throw new Error(`Choice state "${wait.Next}" after Wait state "${name}" filters its input or output: the next Task's input is not the Wait's`);
    }
    const notTasks = tasksAfter(states, name).filter((next) => states[next]?.Type !== 'Task');
    if (notTasks.length > 0) {
      throw new Error(`Wait state "${name}" is followed by "${notTasks.join('", "')}", not a Task state: the clock cannot be advanced there`);
    }
    if ((wait.InputPath ?? '$') !== '$' || (wait.OutputPath ?? '$') !== '$') {
      throw new Error(`Wait state "${name}" filters its input or output: its input cannot be read from the next Task`);
    }
  }
}
