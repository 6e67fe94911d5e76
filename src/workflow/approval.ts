/**
 * The approval function: a person's decision on a deployment that waits for approval
 * (UnsafeChangeAction.requireApproval()). It is the only way for an approver to answer a wait: approvers may invoke
 * its function URL (AWS_IAM auth, so AWS authenticates the signed request) and nothing else. It reads the execution
 * the approver names, finds the approval it waits for and the action that execution deploys for (the pipeline, stage
 * and action of the job the execution confirmed with CodePipeline at its start), checks that the caller is granted
 * approval on that action and that the digest they send is the digest of what that wait asks to approve (the one its
 * message shows: a late answer to another change set's or round's message decides nothing), and only then sends the decision with the wait's task token, naming the caller as AWS
 * authenticated them. The approver never holds a task token; a token alone answers nothing for them.
 */
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import type { HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { approvalDigest } from './approval-message';
import { ANY_ACTION, APPROVAL_REJECTED } from '../shared/contract';
import type { ApprovalResult, Deployment } from '../shared/contract';
import { STATE_NAMES } from '../shared/state-names';

/** The states that wait for a person. */
export const APPROVAL_STATES: readonly string[] = [STATE_NAMES.waitForApproval, STATE_NAMES.waitForUnitApproval];

/** What the approver sends: the execution, the digest of what they decide on (from the message), and the decision. */
export interface DecisionRequest {
  readonly executionArn: string;
  readonly decision: 'approve' | 'reject';
  /** The approval message's digest (12 to 64 hex characters, lower case): a prefix of the wait's `approvalDigest`. */
  readonly digest: string;
  readonly comment?: string;
}

/** The part of a Lambda function URL's event (payload format 2.0) the function reads. */
export interface FunctionUrlEvent {
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly requestContext?: {
    readonly http?: { readonly method?: string };
    /** Set by Lambda for AWS_IAM auth: the caller as SigV4 authenticated them. */
    readonly authorizer?: { readonly iam?: { readonly userArn?: string; readonly accountId?: string } };
  };
}

/** The function URL's answer. */
export interface FunctionUrlResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** One action's approvers: the key (`approverKey`, or `*` for every action) and the role or user ARNs granted. */
export type ApproverEntry = [key: string, principals: string[]];

export interface ApprovalDeps {
  readonly sfn: SFNClient;
  /** Who may decide, on which action (the function's APPROVERS). */
  readonly approvers: ApproverEntry[];
  readonly log?: (message: string) => void;
}

/** Most history pages read to find the wait (newest first: the wait is among the newest events). */
const MAX_HISTORY_PAGES = 5;
const MAX_COMMENT = 1000;
/** A digest as the approver sends it: the message's 12 hex characters, or more of the digest. */
const REQUEST_DIGEST = /^[0-9a-f]{12,64}$/i;
/** Errors of SendTask* for a wait that has ended (its timeout came first, or another decision). */
const ENDED_WAIT_ERRORS = ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'];

/** A refusal: the answer's status and message; nothing was sent. */
class Refused extends Error {
  constructor(public readonly status: number, message: string) {
    super(message);
  }
}

export async function runApproval(event: FunctionUrlEvent, deps: ApprovalDeps): Promise<FunctionUrlResponse> {
  const log = deps.log ?? (() => undefined);
  try {
    const caller = event?.requestContext?.authorizer?.iam?.userArn;
    if (typeof caller !== 'string' || !caller) {
      throw new Refused(401, 'the request is not signed with AWS credentials (SigV4): the function URL takes AWS_IAM requests only');
    }
    const method = event.requestContext?.http?.method;
    if (method !== undefined && method !== 'POST') throw new Refused(405, `send the decision with POST, not ${method}`);
    const request = decisionOf(event);
    const answer = await decide(request, caller, deps);
    log(`${answer.outcome}: ${request.executionArn} at "${answer.state}" by ${caller}`);
    return respond(200, answer);
  } catch (e) {
    if (e instanceof Refused) {
      log(`refused (${e.status}), nothing sent: ${e.message}`);
      return respond(e.status, { outcome: 'REFUSED', message: e.message });
    }
    throw e;
  }
}

interface Decided {
  readonly outcome: 'APPROVED' | 'REJECTED';
  readonly executionArn: string;
  readonly state: string;
  readonly by: string;
  readonly grantedAs: string;
  readonly message: string;
}

async function decide(request: DecisionRequest, caller: string, deps: ApprovalDeps): Promise<Decided> {
  const { executionArn } = request;
  const execution = await readOrRefuse(() => deps.sfn.send(new DescribeExecutionCommand({ executionArn })), executionArn);
  if (execution.status !== 'RUNNING') {
    throw new Refused(409, `execution ${executionArn} is ${execution.status ?? 'in no known state'}, not RUNNING: it waits for no decision`);
  }
  if (execution.stateMachineArn && `${execution.stateMachineArn.replace(':stateMachine:', ':execution:')}:${execution.name}` !== executionArn) {
    throw new Refused(403, `execution ${executionArn} is not an execution of ${execution.stateMachineArn}`);
  }
  const wait = await currentWait(deps.sfn, executionArn);
  const key = keyOf(wait.deployment);
  const grantedAs = grantedPrincipal(caller, deps.approvers, key);
  if (!grantedAs) {
    throw new Refused(403, `${caller} is not granted approval on the action of stack ${wait.deployment?.stackName ?? '(unknown)'} ` +
      `(approver key ${key ?? 'none: only approvers of every action'}; grantApproval on that action): nothing is sent`);
  }
  // The decision is on what the approver's message showed: the wait this execution is at now must be about it.
  if (!wait.digest) {
    throw new Refused(409, `execution ${executionArn}: the wait at "${wait.state}" holds no judged change set to approve: nothing is sent`);
  }
  if (!wait.digest.startsWith(request.digest)) {
    throw new Refused(409, `execution ${executionArn} now waits on another ${wait.state === STATE_NAMES.waitForUnitApproval ? 'round' : 'change set'} ` +
      `than the one of digest ${request.digest}: nothing is sent; read its latest approval message and decide on what it shows`);
  }
  const comment = request.comment;
  try {
    if (request.decision === 'approve') {
      const output: ApprovalResult = { approved: true, by: caller, grantedAs, ...(comment ? { comment } : {}) };
      await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: wait.token, output: JSON.stringify(output) }));
    } else {
      await deps.sfn.send(new SendTaskFailureCommand({
        taskToken: wait.token, error: APPROVAL_REJECTED, cause: `Rejected by ${caller}${comment ? `: ${comment}` : ''}`.slice(0, 32_768),
      }));
    }
  } catch (e) {
    if (ENDED_WAIT_ERRORS.includes((e as Error).name)) {
      throw new Refused(409, `the wait at "${wait.state}" has ended already (${(e as Error).name}): nothing was decided`);
    }
    throw e;
  }
  const approved = request.decision === 'approve';
  return {
    outcome: approved ? 'APPROVED' : 'REJECTED',
    executionArn,
    state: wait.state,
    by: caller,
    grantedAs,
    message: approved ? 'Approved: the change set will be executed.' : 'Rejected: the change set will be deleted and the deployment fails.',
  };
}

/** A read of the execution; one IAM refuses (another state machine's) or that does not exist is a refusal. */
async function readOrRefuse<T>(read: () => Promise<T>, executionArn: string): Promise<T> {
  try {
    return await read();
  } catch (e) {
    const name = (e as Error).name;
    if (name === 'AccessDeniedException') throw new Refused(403, `execution ${executionArn} is not an execution of this deploy workflow`);
    if (name === 'ExecutionDoesNotExist' || name === 'InvalidArn') throw new Refused(404, `there is no execution ${executionArn} (${name})`);
    throw e;
  }
}

interface Wait {
  readonly state: string;
  readonly token: string;
  readonly deployment?: Partial<Deployment>;
  /** The digest of what the wait asks to approve (`approvalDigest` of its scheduled state); undefined: nothing to approve. */
  readonly digest?: string;
}

/**
 * The approval the execution waits for now, from its history (newest first): the newest state entered must be a
 * state that waits for a person, its task scheduled and not ended. The token and the confirmed job come from the
 * task's parameters as Step Functions resolved them, never from the request.
 */
async function currentWait(sfn: SFNClient, executionArn: string): Promise<Wait> {
  const newer: HistoryEvent[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
    const history = await readOrRefuse(() => sfn.send(new GetExecutionHistoryCommand({
      executionArn, reverseOrder: true, includeExecutionData: true, maxResults: 100, nextToken,
    })), executionArn);
    for (const event of history.events ?? []) {
      if (event.type?.endsWith('StateEntered')) return waitAt(event, newer, executionArn);
      newer.push(event);
    }
    nextToken = history.nextToken;
    if (!nextToken) break;
  }
  throw new Refused(409, `execution ${executionArn} is at no state that waits for a person`);
}

function waitAt(entered: HistoryEvent, newer: HistoryEvent[], executionArn: string): Wait {
  const state = entered.stateEnteredEventDetails?.name ?? '';
  if (entered.type !== 'TaskStateEntered' || !APPROVAL_STATES.includes(state)) {
    throw new Refused(409, `execution ${executionArn} is at "${state}", not at a state that waits for a person`);
  }
  // Newest first: the task scheduled last, and nothing that ended it after it.
  const scheduledAt = newer.findIndex((e) => e.type === 'TaskScheduled');
  const ended = newer.slice(0, scheduledAt < 0 ? newer.length : scheduledAt)
    .some((e) => /^(Task(Succeeded|Failed|TimedOut|StartFailed|SubmitFailed)|TaskStateExited)$/.test(e.type ?? ''));
  if (scheduledAt < 0 || ended) {
    throw new Refused(409, `execution ${executionArn} is at "${state}" but its wait is not under way: try again in a moment`);
  }
  const parameters = parseJson(newer[scheduledAt].taskScheduledEventDetails?.parameters);
  const payload = parameters?.Payload;
  if (payload?.task !== 'requestApproval' || typeof payload.token !== 'string' || !payload.token) {
    throw new Refused(409, `execution ${executionArn}: the wait at "${state}" has no task token in its history: nothing is sent`);
  }
  return { state, token: payload.token, deployment: payload.state?.deployment, digest: approvalDigest(payload.state) };
}

/** The action's approver key, from the deployment the execution confirmed with the pipeline job. */
function keyOf(deployment: Partial<Deployment> | undefined): string | undefined {
  const onUnsafe = deployment?.onUnsafe;
  return onUnsafe?.type === 'requireApproval' && typeof onUnsafe.approvers === 'string' ? onUnsafe.approvers : undefined;
}

/** An IAM role or user as a grant names it, or a caller as AWS authenticated them. */
interface Identity {
  readonly partition: string;
  readonly account: string;
  readonly kind: 'role' | 'user';
  readonly name: string;
}

/** A granted role or user ARN (`arn:<p>:iam::<account>:role/<path/>name`, `.../user/<path/>name`). */
export function grantedIdentity(arn: string): Identity | undefined {
  const match = /^arn:([a-z-]+):iam::(\d{12}):(role|user)\/(?:[^/]+\/)*([\w+=,.@-]{1,128})$/.exec(arn);
  return match ? { partition: match[1], account: match[2], kind: match[3] as 'role' | 'user', name: match[4] } : undefined;
}

/**
 * The caller as the function URL's authorizer gives them: an IAM user (`arn:<p>:iam::<account>:user/<path/>name`), or
 * a session of a role (`arn:<p>:sts::<account>:assumed-role/<role name>/<session>`), which is that role. Role and user
 * names are unique in an account, whatever their path. Anything else (an account's root, a federated user) is no one
 * a grant names.
 */
export function callerIdentity(arn: string): Identity | undefined {
  const session = /^arn:([a-z-]+):sts::(\d{12}):assumed-role\/([\w+=,.@-]{1,64})\/[\w+=,.@-]{2,64}$/.exec(arn);
  if (session) return { partition: session[1], account: session[2], kind: 'role', name: session[3] };
  const user = grantedIdentity(arn);
  return user?.kind === 'user' ? user : undefined;
}

/** The granted role or user ARN the caller is, among the approvers of `key` and of every action; undefined if none. */
export function grantedPrincipal(caller: string, approvers: ApproverEntry[], key: string | undefined): string | undefined {
  const who = callerIdentity(caller);
  if (!who) return undefined;
  const granted = approvers.filter(([k]) => (key !== undefined && k === key) || k === ANY_ACTION).flatMap(([, principals]) => principals);
  return granted.find((arn) => {
    const g = grantedIdentity(arn);
    return !!g && g.partition === who.partition && g.account === who.account && g.kind === who.kind && g.name === who.name;
  });
}

/** The approvers as the function's environment holds them; anything malformed counts as no approver. */
export function approversOf(text: string | undefined): ApproverEntry[] {
  try {
    const value = JSON.parse(text ?? '[]');
    if (!Array.isArray(value)) return [];
    return value.filter((entry): entry is ApproverEntry => Array.isArray(entry) && typeof entry[0] === 'string' &&
      Array.isArray(entry[1]) && entry[1].every((p: unknown) => typeof p === 'string'));
  } catch {
    return [];
  }
}

function decisionOf(event: FunctionUrlEvent): DecisionRequest {
  const text = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : event.body ?? '';
  const body = parseJson(text);
  const usage = 'send JSON {"executionArn": "<the execution in the approval message>", "decision": "approve" | "reject", ' +
    '"digest": "<the approve digest in the approval message>", "comment": "why"}';
  if (!body || typeof body !== 'object') throw new Refused(400, `the body is not JSON: ${usage}`);
  const { executionArn, decision, digest, comment } = body;
  if (typeof executionArn !== 'string' || !/^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:execution:[\w.-]{1,80}:[\w.-]{1,80}$/.test(executionArn)) {
    throw new Refused(400, `executionArn is not an execution ARN: ${usage}`);
  }
  if (decision !== 'approve' && decision !== 'reject') throw new Refused(400, `decision must be "approve" or "reject": ${usage}`);
  if (typeof digest !== 'string' || !REQUEST_DIGEST.test(digest)) {
    throw new Refused(400, `digest must be the approve digest of the approval message you decide on (12 hex characters or more): ${usage}`);
  }
  if (comment !== undefined && (typeof comment !== 'string' || comment.length > MAX_COMMENT)) {
    throw new Refused(400, `comment must be text of at most ${MAX_COMMENT} characters`);
  }
  // No control characters reach the reports and the pipeline's summary.
  const clean = comment?.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return { executionArn, decision, digest: digest.toLowerCase(), ...(clean ? { comment: clean } : {}) };
}

function parseJson(text: string | undefined): any {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
}

function respond(statusCode: number, body: unknown): FunctionUrlResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
