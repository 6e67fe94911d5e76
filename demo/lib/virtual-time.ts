/**
 * Time as Step Functions and CodePipeline would spend it, for runs where AWS answers at once (the demo, the
 * benchmark): a clock that only moves when told to, and the seconds a Wait state asks for.
 */

/**
 * ASSUMPTION: how often CodePipeline invokes the trigger again after it answered with a continuation token.
 * AWS does not document it; 30 s is taken here (docs/operations.md says so).
 */
export const CODEPIPELINE_REINVOCATION_SECONDS = 30;

/** A clock in epoch milliseconds that only moves when told to. */
export class VirtualClock {
  constructor(private time: number) {}
  public readonly now = (): number => this.time;
  public advance(ms: number): void {
    if (!(ms >= 0)) throw new Error(`the virtual clock cannot move by ${ms} ms`);
    this.time += ms;
  }
  public set(time: number): void {
    if (time < this.time) throw new Error('the virtual clock cannot go back');
    this.time = time;
  }
}

/**
 * A virtual clock that executions sleep on: an execution's Wait state sleeps until the clock reaches its end,
 * and the clock is moved by its owner (CodePipeline's side). One execution sleeps at a time.
 */
export class SleepingClock extends VirtualClock {
  private sleeper?: { readonly at: number; readonly wake: () => void };
  private sleepListener?: () => void;

  /** Resolves when the clock reaches `at` (at once if it has). */
  public sleepUntil(at: number): Promise<void> {
    if (at <= this.now()) return Promise.resolve();
    if (this.sleeper) throw new Error('two executions sleep on the demo clock at once');
    return new Promise<void>((wake) => {
      this.sleeper = { at, wake };
      this.sleepListener?.();
    });
  }

  /** Resolves when an execution sleeps on the clock (at once if one does). */
  public asleep(): Promise<void> {
    if (this.sleeper) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.sleepListener = () => {
        this.sleepListener = undefined;
        resolve();
      };
    });
  }

  /** Moves the clock to `time`, waking the execution whose Wait ends by then. */
  public override set(time: number): void {
    super.set(time);
    if (this.sleeper && this.sleeper.at <= time) {
      const { wake } = this.sleeper;
      this.sleeper = undefined;
      wake();
    }
  }
}

/** The Task state's own input, before its Parameters made the Lambda payload. */
export function rawInputOf(name: string, task: Record<string, any>, payload: any): any {
  if ((task.InputPath ?? '$') !== '$') throw new Error(`Task "${name}" has an InputPath: not modelled`);
  if (task.Parameters === undefined) return payload;
  // The deploy workflow's payload is { task, state.$: "$" }: the whole input is under one key; or, for the stack
  // a unit deploys, { task, state.$: "$.unit.current" }: that part of the input, which is all its Wait reads.
  const carried = Object.entries(task.Parameters as Record<string, unknown>)
    .find(([key, value]) => key.endsWith('.$') && typeof value === 'string' && /^\$(\.[A-Za-z0-9_]+)*$/.test(value));
  if (!carried) throw new Error(`Task "${name}": its Parameters do not carry its input ("key.$": "$" or "$.a.b")`);
  const keys = (carried[1] as string).split('.').slice(1);
  return keys.reduceRight((inner: any, key) => ({ [key]: inner }), payload[carried[0].slice(0, -2)]);
}

/** The seconds a Wait state waits for, from `Seconds` or a `SecondsPath` of the form $.a.b.c. */
export function waitSecondsOf(name: string, wait: Record<string, any>, input: any): number {
  if (typeof wait.Seconds === 'number') return wait.Seconds;
  if (typeof wait.SecondsPath === 'string') {
    const path = wait.SecondsPath as string;
    if (!/^\$(\.[A-Za-z0-9_]+)+$/.test(path)) throw new Error(`Wait "${name}": SecondsPath ${path} is not a plain $.a.b path`);
    const value = path.split('.').slice(1).reduce((node: any, key) => node?.[key], input);
    if (!Number.isInteger(value) || value < 0) throw new Error(`Wait "${name}": ${path} is ${JSON.stringify(value)}, not a whole number of seconds`);
    return value;
  }
  throw new Error(`Wait "${name}": only Seconds and SecondsPath are modelled (not Timestamp or TimestampPath)`);
}
