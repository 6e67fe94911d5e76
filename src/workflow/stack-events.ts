/**
 * The handler of CloudFormation's stack status events: when a stack operation the workflow waits for reaches a
 * final status, it wakes the waiting execution. It decides nothing: what it sends is dropped, and the woken
 * execution reads the stack from CloudFormation before it goes on. Anyone allowed to invoke this function can send
 * it an event, so it first reads the stack itself: while CloudFormation still shows the stack in progress, the event
 * is not believed, nothing is recorded and nobody is woken. The invocation fails instead, so that EventBridge's
 * asynchronous invocation tries again later (an early event whose end DescribeStacks does not show yet); a forged
 * event costs this one read and nothing of the execution. An event is matched to a wait by the stack and the
 * operation's client request token, which only the deploy workflow's own calls carry.
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { FAILURE_NAMES } from '../shared/errors';
import { CHANGE_SET_PREFIX, stackNameOfId } from '../shared/naming';
import { WAIT_RECORD, waitRecordExpiry, waitRecordKey } from '../shared/wait-record';

export interface StackEventDeps {
  readonly cloudformation: CloudFormationClient;
  readonly dynamodb: DynamoDBClient;
  readonly sfn: SFNClient;
  readonly tableName: string;
  readonly now?: () => number;
  readonly log?: (message: string) => void;
}

/** What the handler did with an event. */
export type StackEventOutcome = 'IGNORED' | 'RECORDED' | 'RESUMED' | 'STALE';

/** Errors of SendTaskSuccess for a wait that has ended already (its timeout, or an earlier event, came first). */
const ENDED_WAIT_ERRORS = ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'];

export async function onStackEvent(event: unknown, deps: StackEventDeps): Promise<StackEventOutcome> {
  const log = deps.log ?? (() => undefined);
  const fields = statusChangeOf(event);
  if (!fields) {
    log('ignored: not a CloudFormation stack status change of this library\'s operations');
    return 'IGNORED';
  }
  const { stackName, status, clientRequestToken } = fields;
  if (status.endsWith('_IN_PROGRESS')) return 'IGNORED';
  const current = await currentStatus(deps, stackName);
  if (current?.endsWith('_IN_PROGRESS') && current !== 'REVIEW_IN_PROGRESS') {
    throw new StackStillInProgressError(`stack ${stackName} is ${current}, not ${status}: the event is not recorded and wakes nobody ` +
      '(an early event is delivered again; a forged one costs this read only)');
  }
  const now = (deps.now ?? Date.now)();
  // The operation's end is recorded whether or not a wait has registered yet: a wait that registers after it sees
  // the record and reads the stack at once.
  const updated = await deps.dynamodb.send(new UpdateItemCommand({
    TableName: deps.tableName,
    Key: { [WAIT_RECORD.key]: { S: waitRecordKey(stackName, clientRequestToken) } },
    UpdateExpression: `SET ${WAIT_RECORD.finalStatus} = :status, ${WAIT_RECORD.expiresAt} = :expiresAt`,
    ExpressionAttributeValues: {
      ':status': { S: status },
      ':expiresAt': { N: String(waitRecordExpiry(now)) },
    },
    ReturnValues: 'ALL_NEW',
  }));
  const taskToken = updated.Attributes?.[WAIT_RECORD.taskToken]?.S;
  if (!taskToken) {
    log(`recorded ${status} of stack ${stackName}: no wait registered yet`);
    return 'RECORDED';
  }
  try {
    await deps.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ stackName, status }) }));
  } catch (e) {
    if (ENDED_WAIT_ERRORS.includes((e as Error).name)) {
      log(`stack ${stackName} ${status}: its wait has ended already (${(e as Error).name})`);
      return 'STALE';
    }
    throw e;
  }
  log(`stack ${stackName} ${status}: woke the waiting execution`);
  return 'RESUMED';
}

/** The stack's status as CloudFormation shows it now; undefined when the stack is gone (a deletion's end). */
async function currentStatus(deps: StackEventDeps, stackName: string): Promise<string | undefined> {
  try {
    const described = await deps.cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
    return described.Stacks?.[0]?.StackStatus;
  } catch (e) {
    if ((e as Error).name === 'ValidationError' && /does not exist/.test((e as Error).message)) return undefined;
    throw e;
  }
}

/** The event says an operation ended, but CloudFormation still shows the stack in progress. */
export class StackStillInProgressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = FAILURE_NAMES.stackStillInProgress;
  }
}

/** The fields of a stack status change event of one of this library's operations, or undefined. */
function statusChangeOf(event: unknown): { stackName: string; status: string; clientRequestToken: string } | undefined {
  const e = event as { 'source'?: unknown; 'detail-type'?: unknown; 'detail'?: Record<string, any> } | null;
  if (!e || e.source !== 'aws.cloudformation' || e['detail-type'] !== 'CloudFormation Stack Status Change') return undefined;
  const stackId = e.detail?.['stack-id'];
  const status = e.detail?.['status-details']?.status;
  const token = e.detail?.['client-request-token'];
  if (typeof stackId !== 'string' || typeof status !== 'string' || !/^[A-Z_]{1,64}$/.test(status)) return undefined;
  // Only the workflow's own operations carry a token with the library's change set prefix.
  if (typeof token !== 'string' || !token.startsWith(CHANGE_SET_PREFIX) || token.length > 128) return undefined;
  const stackName = stackNameOfId(stackId);
  return stackName ? { stackName, status, clientRequestToken: token } : undefined;
}
