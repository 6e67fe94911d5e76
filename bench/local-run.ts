/**
 * Runs a state machine definition with aws-local-stepfunctions on a virtual clock.
 *
 * Every Task state is overridden by an in-process handler (the caller's), every Wait state waits 0 ms of
 * real time, and the virtual clock is advanced by the time each Wait would have taken in Step Functions.
 *
 * How the clock is advanced, and why this way: aws-local-stepfunctions reads a Wait state's override as
 * `overrides.waitTimeOverrides[stateName]` at the moment the Wait state runs, and an override of 0 returns
 * at once, without a timer. The event log (StateEntered) cannot drive the clock: it is read asynchronously and
 * would lag behind a 0 ms wait, so the next Task could run before the clock moved. Instead:
 *  1. each Wait state's override is a getter, called synchronously when that Wait runs; it records
 *     "this Wait is pending" and returns 0;
 *  2. every Wait state of the definitions measured here goes straight to a Task state (checked up front), and a
 *     Wait passes its input through unchanged (no InputPath/OutputPath, checked too), so the next Task's raw
 *     input IS the Wait's input. The Task override, before it calls the handler, evaluates the pending Wait's
 *     `Seconds` or `SecondsPath` on that input, exactly as Step Functions would, and advances the clock.
 * So the clock moves by what the definition itself asks for, in the order the states run, with no races,
 * and the handler sees the time the poll would really happen at. Task states take no virtual time.
 */
import '../demo/lib/polyfill';
import type { StateMachine as LocalStateMachine } from 'aws-local-stepfunctions' with { 'resolution-mode': 'import' };
import type { StateMachineDefinition } from '../demo/lib/definition';
import { statesOfType } from '../demo/lib/definition';
import { rawInputOf, waitSecondsOf } from '../demo/lib/virtual-time';
import type { VirtualClock } from '../demo/lib/virtual-time';

// aws-local-stepfunctions is an ES module package that also ships a CommonJS build; this project is CommonJS
// (as in demo/lib/control-plane.ts).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { StateMachine } = require('aws-local-stepfunctions') as { StateMachine: typeof LocalStateMachine };

/** An in-process stand-in for the Lambda function behind a Task state. */
export type TaskHandler = (stateName: string, payload: any) => Promise<unknown>;

export interface LocalRun {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: any;
  readonly error?: string;
  readonly cause?: string;
  /** State transitions: the StateEntered events, in order. */
  readonly entered: string[];
  /** Lambda invocations: Task state runs. */
  readonly taskInvocations: number;
  readonly startedAt: number;
  readonly endedAt: number;
  /** The Wait states run, with the virtual time each started and ended. */
  readonly waits: { readonly state: string; readonly from: number; readonly to: number }[];
}

export interface LocalRunOptions {
  /** Aborts an execution that runs more Task states than this (a polling loop that never ends). */
  readonly maxTaskInvocations?: number;
  /** The context object Step Functions gives the states (the execution's Id and Name). */
  readonly context?: Record<string, unknown>;
}

export async function runOnVirtualClock(
  definition: StateMachineDefinition, input: unknown, clock: VirtualClock, handler: TaskHandler, options: LocalRunOptions = {},
): Promise<LocalRun> {
  const states = definition.States;
  const waitStates = statesOfType(definition, 'Wait');
  const taskStates = statesOfType(definition, 'Task');
  for (const name of waitStates) {
    const wait = states[name];
    if (states[wait.Next]?.Type !== 'Task') {
      throw new Error(`Wait state "${name}" is followed by "${wait.Next}", not a Task state: the clock cannot be advanced there`);
    }
    if ((wait.InputPath ?? '$') !== '$' || (wait.OutputPath ?? '$') !== '$') {
      throw new Error(`Wait state "${name}" filters its input or output: its input cannot be read from the next Task`);
    }
  }
  if (Object.values(states).some((s) => s.Type === 'Map' || s.Type === 'Parallel')) {
    throw new Error('nested state machines (Map, Parallel) are not modelled');
  }

  let pendingWait: string | undefined;
  const waits: { state: string; from: number; to: number }[] = [];
  let protocolError: Error | undefined;
  const waitTimeOverrides: Record<string, number> = {};
  for (const name of waitStates) {
    Object.defineProperty(waitTimeOverrides, name, {
      enumerable: true,
      get: () => {
        if (pendingWait) protocolError ??= new Error(`Wait "${name}" ran while Wait "${pendingWait}" was still pending`);
        pendingWait = name;
        return 0;
      },
    });
  }

  const maxTasks = options.maxTaskInvocations ?? 5_000;
  let taskInvocations = 0;
  let execution: ReturnType<LocalStateMachine['run']> | undefined;
  const overrides: Record<string, (payload: any) => Promise<any>> = {};
  for (const name of taskStates) {
    overrides[name] = async (payload: any) => {
      if (pendingWait) {
        const wait = states[pendingWait];
        if (wait.Next !== name) throw new Error(`Wait "${pendingWait}" was followed by "${name}", not by "${wait.Next}"`);
        const from = clock.now();
        clock.advance(waitSecondsOf(pendingWait, wait, rawInputOf(name, states[name], payload)) * 1000);
        waits.push({ state: pendingWait, from, to: clock.now() });
        pendingWait = undefined;
      }
      if (++taskInvocations > maxTasks) {
        execution?.abort();
        throw new Error(`more than ${maxTasks} Task states ran: a polling loop never ended`);
      }
      // Lambda receives and returns JSON.
      const result = await handler(name, JSON.parse(JSON.stringify(payload)));
      return result === undefined ? null : JSON.parse(JSON.stringify(result));
    };
  }
  const retryIntervalOverrides = Object.fromEntries(
    Object.entries(states).filter(([, s]) => Array.isArray(s.Retry)).map(([name]) => [name, 0]));

  const startedAt = clock.now();
  const machine = machineOf(definition);
  execution = machine.run(input as any, {
    overrides: { taskResourceLocalHandlers: overrides, waitTimeOverrides, retryIntervalOverrides },
    ...(options.context ? { context: options.context as any } : {}),
  });
  let output: any;
  let failure: { error: string; cause: string } | undefined;
  try {
    output = await execution.result;
  } catch (e) {
    const caught = (e as any).cause ?? e;
    failure = { error: String(caught?.name ?? 'Error'), cause: String(caught?.message ?? caught) };
  }
  const entered: string[] = [];
  for await (const event of execution.eventLogs) {
    if (event.type === 'StateEntered') entered.push((event as any).state.name);
  }
  if (protocolError) throw protocolError;
  if (pendingWait) throw new Error(`the execution ended during Wait "${pendingWait}"`);
  return {
    status: failure ? 'FAILED' : 'SUCCEEDED',
    ...(failure ?? { output }),
    entered,
    taskInvocations,
    startedAt,
    endedAt: clock.now(),
    waits,
  };
}

const machines = new WeakMap<StateMachineDefinition, LocalStateMachine>();

/** One validated StateMachine per definition (validation costs more than a run). */
function machineOf(definition: StateMachineDefinition): LocalStateMachine {
  let machine = machines.get(definition);
  if (!machine) {
    machine = new StateMachine(definition as any, { validationOptions: { checkArn: false } });
    machines.set(definition, machine);
  }
  return machine;
}
