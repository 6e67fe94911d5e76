/**
 * Only the running execution acts. Anyone allowed to invoke the task function can hand it any payload, so a task
 * that writes or publishes anything first confirms its caller with Step Functions: the payload must be the one
 * Step Functions is delivering right now to a Task state of a running execution of this state machine, a state
 * that runs this task. The execution's history says so: it records each state's entry, and for the Lambda call it
 * makes, the exact payload sent (LambdaFunctionScheduled for a Task state whose Resource is the function,
 * TaskScheduled for `lambda:invoke.waitForTaskToken`), linked by previousEventId.
 *
 * The task role may read the history of its own state machine's executions only (IAM): an execution of another
 * state machine is refused as AccessDenied. The state machine's ARN cannot be in the function's environment (the
 * state machine refers to the function), so IAM is what binds the two.
 */
import { isDeepStrictEqual } from 'util';
import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { UnconfirmedDeploymentError } from './support';
import type { TaskDeps, TaskEvent } from './support';
import { statesRunning } from '../../shared/state-names';

/** An execution ARN: `arn:<partition>:states:<region>:<account>:execution:<state machine>:<name>`. */
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_-]{1,80}:[A-Za-z0-9_-]{1,80}$/;

/** Events that end an execution: after one of them nothing of the execution may act. */
const ENDED = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);

/** The events of one call of a Task state, after its TaskStateEntered. */
const CALL_EVENTS = new Set([
  'LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionSucceeded', 'LambdaFunctionFailed', 'LambdaFunctionTimedOut',
  'LambdaFunctionScheduleFailed', 'LambdaFunctionStartFailed',
  'TaskScheduled', 'TaskStarted', 'TaskSubmitted', 'TaskSucceeded', 'TaskFailed', 'TaskTimedOut', 'TaskStartFailed', 'TaskSubmitFailed',
]);
/** The call is under way: Step Functions is invoking the function (a retry schedules it again after a failure). */
const CALLING = new Set(['LambdaFunctionScheduled', 'LambdaFunctionStarted', 'TaskScheduled', 'TaskStarted']);

/** Newest events read: the entry of the state being run is among the last few of its execution's history. */
const PAGE_SIZE = 100;
const MAX_PAGES = 10;

/**
 * Throws UnconfirmedDeploymentError, before the task makes any other AWS call, unless the invocation is a running
 * execution's own call of a state that runs this task, with exactly this payload. Errors say why, never the payload.
 */
export async function confirmCaller(event: TaskEvent, deps: TaskDeps): Promise<void> {
  const refuse = (why: string) => new UnconfirmedDeploymentError(`task ${event.task} refused: ${why}; nothing is done`);
  if (!deps.sfn) throw new Error('the task function has no Step Functions client to confirm its caller');
  const executionArn = event.executionId;
  if (typeof executionArn !== 'string' || !EXECUTION_ARN.test(executionArn)) {
    throw refuse('the call names no execution (executionId): only an execution of the deploy workflow may call this task');
  }
  const states = new Set(statesRunning(event.task));
  const next = new Map<number, HistoryEvent[]>();
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    let history;
    try {
      history = await deps.sfn.send(new GetExecutionHistoryCommand({
        executionArn, reverseOrder: true, maxResults: PAGE_SIZE, includeExecutionData: true, ...(nextToken ? { nextToken } : {}),
      }));
    } catch (e) {
      const name = (e as Error).name;
      if (name === 'AccessDeniedException' || name === 'ExecutionDoesNotExist' || name === 'InvalidArn') {
        throw refuse(`execution ${executionArn} is not one of this deploy workflow's (${name})`);
      }
      throw e;
    }
    const page0 = history.events ?? [];
    if (page === 0) {
      const newest = page0[0];
      if (!newest) throw refuse(`execution ${executionArn} has no history`);
      if (ENDED.has(newest.type ?? '')) throw refuse(`execution ${executionArn} is not running (${newest.type})`);
    }
    for (const e of page0) {
      if (e.previousEventId !== undefined) next.set(e.previousEventId, [...(next.get(e.previousEventId) ?? []), e]);
    }
    // Newest first: every event after an entry is read before the entry itself.
    for (const entered of page0) {
      if (entered.type !== 'TaskStateEntered' || !states.has(entered.stateEnteredEventDetails?.name ?? '')) continue;
      const call = callOf(entered, next);
      if (call && isDeepStrictEqual(parsed(call), JSON.parse(JSON.stringify(event)))) return;
    }
    nextToken = history.nextToken;
    if (!nextToken) break;
  }
  throw refuse(`execution ${executionArn} is not calling it now from ${[...states].join(' or ')} with this payload ` +
    '(a payload is accepted only while its execution runs, from the state that sends it, unchanged)');
}

/** The latest call of a state entry that is still under way, or undefined when the state has moved on. */
function callOf(entered: HistoryEvent, next: Map<number, HistoryEvent[]>): HistoryEvent | undefined {
  let last = entered;
  let scheduled: HistoryEvent | undefined;
  for (;;) {
    const after = next.get(last.id!) ?? [];
    if (after.length === 0) break;
    // Anything but the call's own events (the state's exit, the next state) means the state has moved on.
    if (after.length !== 1 || !CALL_EVENTS.has(after[0].type ?? '')) return undefined;
    last = after[0];
    if (last.type === 'LambdaFunctionScheduled' || last.type === 'TaskScheduled') scheduled = last;
  }
  return CALLING.has(last.type ?? '') ? scheduled : undefined;
}

/** The payload a scheduled call sends, as Step Functions recorded it; undefined when it cannot be read whole. */
function parsed(scheduled: HistoryEvent): unknown {
  try {
    if (scheduled.type === 'LambdaFunctionScheduled') {
      const details = scheduled.lambdaFunctionScheduledEventDetails;
      return details?.inputDetails?.truncated ? undefined : JSON.parse(details?.input ?? 'null');
    }
    const details = scheduled.taskScheduledEventDetails;
    if (details?.resourceType !== 'lambda') return undefined;
    return JSON.parse(details.parameters ?? 'null')?.Payload;
  } catch {
    return undefined;
  }
}
