/**
 * Reads the output of `aws stepfunctions get-execution-history --output json` into the trace a picture
 * draws: the states entered, in order (every `*StateEntered` event's `stateEnteredEventDetails.name`), the
 * error each state was left with when an error took it to a Catch, the execution's status, and the state
 * it failed in (the last state entered, when the history ends with ExecutionFailed, ExecutionTimedOut or
 * ExecutionAborted).
 *
 * Pages may be given in any order, overlapping, or in reverse order (--reverse-order): events are put in
 * order by their `id` and each id is kept once. Errors name the problem, never the file's content.
 */
import { InvalidInputError, isObject } from './asl';

/** What an execution did, as a picture needs it. */
export interface ExecutionTrace {
  /** The names of the states entered, in order (states of Parallel branches and Map iterations included). */
  readonly states: readonly string[];
  /** The state the execution failed (or timed out, or was aborted) in. */
  readonly failedState?: string;
  /**
   * Same length as `states` when given: the error the state was left with (to a Catch or out of the
   * execution), or undefined when it was left normally.
   */
  readonly exitErrors?: readonly (string | undefined)[];
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED, from the last execution event. */
  readonly status?: string;
}

interface HistoryEvent {
  readonly id: number;
  readonly type: string;
  readonly [key: string]: unknown;
}

const END_STATUS: Record<string, string> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionTimedOut: 'TIMED_OUT',
  ExecutionAborted: 'ABORTED',
};

/**
 * One or more pages of get-execution-history output (or bare lists of events), in any order; `sources`
 * names the pages in messages (their files), page by page.
 */
export function parseExecutionHistory(pages: readonly unknown[], sources: readonly string[] = []): ExecutionTrace {
  const { events, pageOf } = eventsInOrder(pages, sources);
  const states: string[] = [];
  const exitErrors: (string | undefined)[] = [];
  let status: string | undefined;
  for (const event of events) {
    if (event.type.endsWith('StateEntered')) {
      const details = event.stateEnteredEventDetails;
      if (!isObject(details) || typeof details.name !== 'string') {
        throw new InvalidInputError(`${pageOf.get(event.id)}: event ${event.id} (${safeType(event.type)}) has no ` +
          'stateEnteredEventDetails.name');
      }
      states.push(details.name);
      exitErrors.push(undefined);
    } else if (event.type in END_STATUS) {
      status = END_STATUS[event.type];
      if (status !== 'SUCCEEDED' && states.length > 0) exitErrors[states.length - 1] ??= errorOf(event) ?? 'States.Runtime';
    } else if (event.type === 'ExecutionStarted' || event.type === 'ExecutionRedriven') {
      status = 'RUNNING';
    } else if (states.length > 0) {
      // The last outcome before the next state decides how the state was left: a retry that succeeds
      // clears an earlier failure.
      const error = errorOf(event);
      if (/(Failed|TimedOut|Aborted)$/.test(event.type) && error !== undefined) exitErrors[states.length - 1] = error;
      else if (/(Succeeded|StateExited)$/.test(event.type)) exitErrors[states.length - 1] = undefined;
    }
  }
  const failed = status === 'FAILED' || status === 'TIMED_OUT' || status === 'ABORTED';
  return {
    states,
    exitErrors,
    ...(status ? { status } : {}),
    ...(failed && states.length > 0 ? { failedState: states[states.length - 1] } : {}),
  };
}

/** Every page's events, each id once, in the order of their ids; and where each event came from, for messages. */
function eventsInOrder(pages: readonly unknown[], sources: readonly string[]): { events: HistoryEvent[]; pageOf: Map<number, string> } {
  const byId = new Map<number, HistoryEvent>();
  const pageOf = new Map<number, string>();
  pages.forEach((page, p) => {
    const where = sources[p] ?? (pages.length > 1 ? `history page ${p + 1}` : 'the history');
    const events = Array.isArray(page) ? page : isObject(page) ? page.events : undefined;
    if (!Array.isArray(events)) {
      throw new InvalidInputError(`${where} has no "events" list: give the output of ` +
        'aws stepfunctions get-execution-history --execution-arn ARN --output json');
    }
    events.forEach((event, i) => {
      if (!isObject(event) || typeof event.type !== 'string' || typeof event.id !== 'number' || !Number.isInteger(event.id)) {
        throw new InvalidInputError(`${where}: event ${i + 1} has no numeric "id" and "type": ` +
          'give get-execution-history output as the AWS CLI prints it (--output json)');
      }
      byId.set(event.id, event as HistoryEvent);
      pageOf.set(event.id, where);
    });
  });
  return { events: [...byId.values()].sort((a, b) => a.id - b.id), pageOf };
}

/** The error name of a failure event (every `*EventDetails` object with an `error` string). */
function errorOf(event: HistoryEvent): string | undefined {
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith('EventDetails') && isObject(value) && typeof value.error === 'string') return value.error;
  }
  if (event.type.endsWith('TimedOut')) return 'States.Timeout';
  return undefined;
}

/** An event type for a message: only if it looks like one (letters), so no content is echoed. */
function safeType(type: string): string {
  return /^[A-Za-z]{1,64}$/.test(type) ? type : 'an event';
}
