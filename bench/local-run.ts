/**
 * The benchmark's executions: a state machine definition run by the project's local Step Functions
 * (demo/lib/local-sfn.ts) on a virtual clock. Every Task state is answered by the caller's in-process handler and
 * takes no virtual time; the clock moves by what each Wait state asks for (its `Seconds` or `SecondsPath`, read
 * from its input as Step Functions would), in the order the states run, so a handler sees the time its poll
 * would really happen at.
 */
import type { StateMachineDefinition } from '../demo/lib/definition';
import { startLocalExecution } from '../demo/lib/local-sfn';
import type { VirtualClock } from '../demo/lib/virtual-time';

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
  /** The context object Step Functions gives the states (the execution's Id and Name). */
  readonly context?: Record<string, unknown>;
}

export async function runOnVirtualClock(
  definition: StateMachineDefinition, input: unknown, clock: VirtualClock, handler: TaskHandler, options: LocalRunOptions = {},
): Promise<LocalRun> {
  const waits: { state: string; from: number; to: number }[] = [];
  const startedAt = clock.now();
  const result = await startLocalExecution(definition, input, {
    task: handler,
    afterWait: ({ state, seconds }) => {
      const from = clock.now();
      clock.advance(seconds * 1000);
      waits.push({ state, from, to: clock.now() });
    },
    ...(options.context ? { context: options.context } : {}),
  });
  return {
    status: result.status,
    ...(result.status === 'FAILED' ? { error: result.error, cause: result.cause } : { output: result.output }),
    entered: result.events.flatMap((e) => (e.type === 'StateEntered' ? [e.state.name] : [])),
    taskInvocations: result.taskInvocations,
    startedAt,
    endedAt: clock.now(),
    waits,
  };
}
