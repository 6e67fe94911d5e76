/**
 * The tasks of a unit: several stacks reviewed together before any of them is executed. A round reviews the
 * next stacks that do not need an earlier stack of the same round deployed first; the unit's verdict is the worst
 * of the round's; its stacks then execute one after another in the order given, and the first failure stops the
 * unit. Only the deletions (`deleteUnitChangeSets`, the round cut in `judgeUnit`) and the last look at the prepared
 * change sets before they are allowed call AWS; the rest is bookkeeping.
 */
import { deleteChangeSet, describedStatus, sameAsJudged } from './change-set';
import { memberDeps, waitFor } from './support';
import type { TaskDeps } from './support';
import { combine } from '../../policy/evaluate';
import { memberDeployment, outputReference } from '../../shared/config';
import { APPROVAL_REJECTED, LIMITS, reviewsOnly } from '../../shared/contract';
import type {
  Deployment, InspectionResult, UnitCurrent, UnitMemberState, UnitReview, UnitState, UnitStackStatus, WorkflowState,
} from '../../shared/contract';
import { CHANGE_SET_BEING_CREATED, ConfigurationError, truncate } from '../../shared/errors';

/** CloudFormation's reason for a change set that imports an export no stack has yet. */
const MISSING_EXPORT = /No export named \S+ found/;

/** The next round: the stacks still waiting, from the first one up to the first that needs one of them deployed. */
export async function planUnitRound(state: WorkflowState): Promise<UnitState> {
  const { deployment } = state;
  const stacks = unitStacksOf(deployment);
  const members: UnitMemberState[] = state.unit?.members
    ?? stacks.map((s) => ({ stackName: s.stackName, status: 'WAITING' as const }));
  const round = (state.unit?.round ?? 0) + 1;
  const start = members.findIndex((m) => m.status === 'WAITING');
  if (start < 0) return { members, round: round - 1, review: [], next: 'DONE' };
  const inRound: number[] = [];
  for (let i = start; i < members.length && members[i].status === 'WAITING'; i++) {
    const needs = [...stacks[i].dependsOn ?? [], ...Object.values(stacks[i].parameterOutputs ?? {}).map((ref) => outputReference(ref)!.stackName)];
    if (inRound.some((j) => needs.includes(stacks[j].stackName))) break;
    inRound.push(i);
  }
  const review: Deployment[] = [];
  const missing: string[] = [];
  for (const i of inRound) {
    const parameters: Record<string, string> = {};
    for (const [parameter, ref] of Object.entries(stacks[i].parameterOutputs ?? {})) {
      const { stackName: from, outputKey: key } = outputReference(ref)!;
      const value = members.find((m) => m.stackName === from)?.outputs?.[key];
      if (value === undefined) missing.push(`${stacks[i].stackName} needs output ${key} of ${from} (parameter ${parameter}), which ${from} does not have`);
      else parameters[parameter] = value;
    }
    const member = memberDeployment(deployment, i, parameters);
    // Prepared change sets keep the pipeline's name: that is how its own action executes them.
    if (reviewsOnly(deployment)) {
      review.push(member);
      continue;
    }
    // Each stack's change set has a name of its own in the unit (a change set is found by name in some tools), and
    // a later round's too: a deleted change set's name and client token are not reused.
    review.push({ ...member, changeSetName: `${member.changeSetName}-${i + 1}${round === 1 ? '' : `-w${round}`}` });
  }
  const planned = members.map((m, i) => (inRound.includes(i) ? { ...m, round } : m));
  const approvals = approvalsOf(state.unit);
  if (missing.length > 0) {
    return { members: planned, round, review: [], next: 'FAIL', reason: unitReason(`${missing.join('; ')}.`, planned), ...approvals };
  }
  return { members: planned, round, review, next: 'REVIEW', ...approvals };
}

/**
 * The round's verdict, from each stack's review: a stack whose change set failed only because it imports an export
 * that an earlier stack of the round creates goes to the next round (with the stacks after it, whose change sets
 * are deleted), so the order holds. A failed review fails the unit; otherwise the worst verdict decides.
 */
export async function judgeUnit(state: WorkflowState, deps: TaskDeps): Promise<UnitState> {
  const unit = unitStateOf(state);
  const reviews = state.reviews;
  if (!Array.isArray(reviews) || reviews.length !== unit.review.length) {
    throw new ConfigurationError('judgeUnit needs one review per stack of the round');
  }
  const cut = roundCut(state.deployment, reviews);
  const kept = cut < 0 ? reviews : reviews.slice(0, cut);
  // The stacks cut from the round are reviewed again once the earlier ones are deployed.
  // Every change set they had is deleted (whatever their review found: one that ended on an error may have one).
  for (const [k, r] of reviews.entries()) {
    if (cut >= 0 && k >= cut && r.plan !== 'CREATE') await deleteChangeSet({ deployment: unit.review[k] }, memberDeps(unit.review[k], state.deployment, deps));
  }
  const members = reviewedMembers(unit.members, reviews, cut);
  const base = { members, round: unit.round, review: unit.review.slice(0, kept.length), ...approvalsOf(unit) };
  const judged = roundVerdict(state.deployment, base, kept);
  // A round that may run goes straight on: its first stack is picked here, as `nextUnitStack` picks every later one.
  return judged.next === 'EXECUTE' ? pickNextStack(state, deps, judged) : judged;
}

/** A unit's state before its next step is decided: what each task carries on. */
type UnitStateSoFar = Omit<UnitState, 'next'>;

/**
 * Where the round is cut: at the first stack whose change set failed only because it imports an export that an
 * earlier stack of the round creates (-1: nowhere).
 */
function roundCut(deployment: Deployment, reviews: UnitReview[]): number {
  const deploysSomething = (r: UnitReview) => r.plan === 'EXECUTE' || r.plan === 'CREATE';
  // Prepared change sets are the pipeline's, in its order: none is cut from the round (and made again here).
  return reviewsOnly(deployment) ? -1 : reviews.findIndex((r, k) => r.plan === 'FAILED' && MISSING_EXPORT.test(r.changeSet?.reason ?? '')
    && reviews.slice(0, k).some(deploysSomething));
}

/** Each stack with its review: reviewed, or up to date (with its outputs); a stack cut from the round waits again. */
function reviewedMembers(members: UnitMemberState[], reviews: UnitReview[], cut: number): UnitMemberState[] {
  return members.map((m): UnitMemberState => {
    const k = reviews.findIndex((r) => r.stackName === m.stackName);
    if (k < 0) return m;
    if (cut >= 0 && k >= cut) return { stackName: m.stackName, status: 'WAITING' };
    const review = reviews[k];
    if (review.plan === 'NONE') return { ...m, status: 'NO_CHANGES', review, ...(review.stack?.outputs ? { outputs: review.stack.outputs } : {}) };
    return { ...m, status: 'REVIEWED', review };
  });
}

/** What the reviews kept in the round decide: a failed review fails the unit; otherwise the worst verdict decides. */
function roundVerdict(deployment: Deployment, base: UnitStateSoFar, kept: UnitReview[]): UnitState {
  const { members } = base;
  const failed = kept.filter((r) => r.plan === 'FAILED' || r.plan === 'BLOCKED' || r.plan === 'ERROR');
  if (failed.length > 0) {
    const why = shares(failed.map((r) => failureOf(r)));
    const untouched = markUntouched(members);
    return { ...base, members: untouched, next: 'FAIL', reason: unitReason(`The unit cannot be deployed: ${why.join(' ')}`, untouched) };
  }
  const inspections = kept.map((r) => r.inspection).filter((i): i is InspectionResult => i !== undefined);
  const verdict = combine(inspections.map((i) => i.verdict));
  const flagged = shares(inspections.filter((i) => i.verdict !== 'ALLOW').map((i) => i.reason));
  if (verdict === 'DENY') {
    const untouched = markUntouched(members);
    return {
      ...base,
      members: untouched,
      verdict,
      next: 'REFUSE',
      reason: unitReason(reviewsOnly(deployment)
        ? `The change sets the pipeline prepared are refused: none of them may be executed. ${flagged.join(' ')}`
        : `The unit is refused: no change set of this round is executed. ${flagged.join(' ')}`, untouched),
    };
  }
  if (verdict === 'REQUIRE_APPROVAL') {
    const timeouts = inspections.map((i) => i.approvalTimeoutSeconds).filter((t): t is number => t !== undefined);
    return {
      ...base,
      verdict,
      next: 'APPROVE',
      reason: truncate(flagged.join(' '), LIMITS.failureMessage - 500),
      approvalTimeoutSeconds: timeouts.length > 0 ? Math.min(...timeouts) : 1,
    };
  }
  return { ...base, verdict, next: 'EXECUTE' };
}

/**
 * Records how the stack just deployed ended, then picks the next stack of the round to deploy. A failure stops the
 * unit: the stacks after it are not executed.
 */
export async function nextUnitStack(state: WorkflowState, deps: TaskDeps): Promise<UnitState> {
  const unit = unitStateOf(state);
  const current = unit.current;
  if (!current) return pickNextStack(state, deps, unit);
  // A stack is picked, then its operation runs: a pick without one (an execution of an older graph, whose judgement
  // did not pick) is no stack that ended. The error's clean-up deletes the change sets not executed.
  if (!current.operation) throw new Error(`stack ${current.deployment.stackName} was picked but no operation of it ran: nothing is deployed`);
  const done = endedStatus(current);
  const members = withEndedStack(unit.members, current, done);
  if (done === 'FAILED') return stoppedByFailure(unit, members, current.index);
  return pickNextStack(state, deps, { ...unit, members });
}

/**
 * The next stack of the round, in the order given: after the round's judgement, a person's approval, or the stack
 * before it. Nothing is picked unless the round was judged safe, or needed approval and a person approved it. With
 * none left, the next round is reviewed after the poll interval, or the unit is done.
 */
async function pickNextStack(state: WorkflowState, deps: TaskDeps, unit: UnitState): Promise<UnitState> {
  const { members, verdict, approval } = unit;
  const allowed = verdict === 'ALLOW' || (verdict === 'REQUIRE_APPROVAL' && approval?.approved === true);
  const index = members.findIndex((m) => m.status === 'REVIEWED');
  const base = {
    members,
    round: unit.round,
    review: unit.review,
    ...(verdict ? { verdict } : {}),
    ...(approval ? { approval } : {}),
    ...(unit.approvals ? { approvals: unit.approvals } : {}),
  };
  if (reviewsOnly(state.deployment) && index >= 0) {
    if (!allowed) throw new Error('refusing to allow the prepared change sets: the unit was neither judged safe nor approved');
    return allowPreparedChangeSets(state, deps, base);
  }
  if (index < 0) {
    if (members.some((m) => m.status === 'WAITING')) return { ...base, next: 'REVIEW', waitSeconds: waitFor(state.deployment, deps) };
    return { ...base, next: 'DONE', reason: truncate(progress(members), LIMITS.summary) };
  }
  if (!allowed) {
    // Defence in depth: the state machine reaches this only when the round may be executed.
    throw new Error(`refusing to deploy stack ${members[index].stackName}: its unit was neither judged safe nor approved`);
  }
  const { deadline } = state.deployment;
  if ((deps.now ?? Date.now)() > deadline) return stoppedAtDeadline(base, deadline, members[index].stackName);
  const next = nextCurrent(base, index);
  return { ...base, next: members[index].review!.plan === 'CREATE' ? 'CREATE' : 'EXECUTE', current: next };
}

/** How the stack just deployed ended: created or updated when its operation succeeded, else failed. */
function endedStatus(current: UnitCurrent): UnitStackStatus {
  const operation = current.operation;
  return operation?.outcome === 'SUCCEEDED' ? (operation.expectedStatus === 'CREATE_COMPLETE' ? 'CREATED' : 'UPDATED') : 'FAILED';
}

/** The members with the stack just deployed marked as it ended, with its outputs, and why it failed. */
function withEndedStack(members: UnitMemberState[], current: UnitCurrent, done: UnitStackStatus): UnitMemberState[] {
  const operation = current.operation;
  return members.map((m, i) => (i !== current.index ? m : {
    ...m,
    status: done,
    ...(operation?.outputs ? { outputs: operation.outputs } : {}),
    ...(done === 'FAILED' ? { reason: operation?.reason ?? `the operation on ${m.stackName} did not succeed` } : {}),
  }));
}

/** The unit stops at the stack that failed: the stacks after it are left untouched. */
function stoppedByFailure(unit: UnitState, members: UnitMemberState[], index: number): UnitState {
  const untouched = markUntouched(members);
  return {
    members: untouched,
    round: unit.round,
    review: unit.review,
    next: 'STOP',
    reason: unitReason(`Stack ${members[index].stackName} failed: ${members[index].reason}`, untouched),
  };
}

/**
 * Allows the round's prepared change sets. Never executed here: the pipeline's own action executes each allowed
 * change set, by name, after this one succeeds. Each is described again first and must be the one judged, unchanged
 * (however long a person took).
 */
async function allowPreparedChangeSets(state: WorkflowState, deps: TaskDeps, base: UnitStateSoFar): Promise<UnitState> {
  const { members } = base;
  for (const member of members.filter((m) => m.status === 'REVIEWED' && m.review?.inspection)) {
    const deployment = base.review.find((d) => d.stackName === member.stackName);
    if (!deployment) throw new ConfigurationError(`stack ${member.stackName} has no deployment in this round`);
    await sameAsJudged({ deployment, changeSet: member.review!.changeSet, inspection: member.review!.inspection },
      memberDeps(deployment, state.deployment, deps));
  }
  const allowedMembers = members.map((m) => (m.status === 'REVIEWED' ? { ...m, status: 'ALLOWED' as const } : m));
  return { ...base, members: allowedMembers, next: 'DONE', reason: truncate(progress(allowedMembers), LIMITS.summary) };
}

/** The action's timeout passed before the next stack was deployed: the unit stops, the stacks not deployed yet untouched. */
function stoppedAtDeadline(base: UnitStateSoFar, deadline: number, stackName: string): UnitState {
  const untouched = markUntouched(base.members);
  return {
    ...base,
    members: untouched,
    next: 'STOP',
    reason: unitReason(`The action's timeout passed at ${new Date(deadline).toISOString()} before stack ${stackName} ` +
      'was deployed: the stacks not deployed yet are left as they were.', untouched),
  };
}

/** The stack to deploy next, with its review and, when its change set needed it, the round's approval. */
function nextCurrent(base: UnitStateSoFar, index: number): UnitCurrent {
  const { members, approval } = base;
  const review = members[index].review!;
  const deployment = base.review.find((d) => d.stackName === members[index].stackName);
  if (!deployment) throw new ConfigurationError(`stack ${members[index].stackName} has no deployment in this round`);
  return {
    index,
    deployment,
    ...(review.stack ? { stack: review.stack } : {}),
    ...(review.changeSet ? { changeSet: review.changeSet } : {}),
    ...(review.template ? { template: review.template } : {}),
    ...(review.inspection ? { inspection: review.inspection } : {}),
    ...(approval && review.inspection?.verdict === 'REQUIRE_APPROVAL' ? { approval } : {}),
  };
}

/**
 * Deletes the change sets of the round's stacks that were not executed (a refused, failed or stopped unit, a
 * person's rejection, or an error), every one of them even if one cannot be deleted yet (that one's error is raised
 * at the end, so the task is retried). A change set that is gone already, or a stack never created, is no error;
 * the stack being deployed keeps its change set once CloudFormation executes it. After an error or a person's
 * decision, `reason` says what happened, with what became of each stack.
 */
export async function deleteUnitChangeSets(state: WorkflowState, deps: TaskDeps): Promise<{ deleted: string[]; reason?: string }> {
  const unit = unitStateOf(state);
  const done: UnitStackStatus[] = ['CREATED', 'UPDATED', 'FAILED'];
  const deleted: string[] = [];
  const errors: Error[] = [];
  let interrupted = -1;
  for (const deployment of unit.review) {
    const index = unit.members.findIndex((m) => m.stackName === deployment.stackName);
    if (done.includes(unit.members[index]?.status)) continue;
    try {
      // The stack being deployed: its change set is CloudFormation's once executed (even if the task that executed it failed).
      const stackDeps = memberDeps(deployment, state.deployment, deps);
      if (index === unit.current?.index && (unit.current.operation || (await describedStatus(stackDeps, deployment)).executed)) {
        interrupted = index;
        continue;
      }
      await deleteChangeSet({ deployment }, stackDeps);
      deleted.push(deployment.stackName);
    } catch (e) {
      errors.push(e as Error);
    }
  }
  // A change set still being created is waited for (its error is retried) before any other error ends the task.
  if (errors.length > 0) throw errors.find((e) => e.name === CHANGE_SET_BEING_CREATED) ?? errors[0];
  const head = whatHappened(state);
  if (!head) return { deleted };
  const members = markUntouched(unit.members.map((m, i) => (i === interrupted ? { ...m, status: 'INTERRUPTED' as const } : m)));
  return { deleted, reason: unitReason(head, members) };
}

/** After an error or a person's decision: what happened, for the execution's cause. */
function whatHappened(state: WorkflowState): string | undefined {
  const decision = state.approvalError as { Error?: string; Cause?: string } | undefined;
  if (decision?.Error === APPROVAL_REJECTED) {
    return `The round was rejected${decision.Cause ? `: ${causeText(decision.Cause)}` : ''}. Its change sets were deleted and not executed.`;
  }
  if (decision) return 'Nobody decided within the approval timeout: the round\'s change sets were deleted and not executed.';
  const error = state.error as { Error?: string; Cause?: string } | undefined;
  return error ? `${error.Error ?? 'Error'}: ${causeText(error.Cause)}` : undefined;
}

function unitStacksOf(deployment: Deployment) {
  if (!deployment.unit || deployment.unit.length === 0) throw new ConfigurationError('this deployment is not a unit of stacks');
  return deployment.unit;
}

function unitStateOf(state: WorkflowState): UnitState {
  unitStacksOf(state.deployment);
  if (!state.unit) throw new ConfigurationError('the state has no unit');
  return state.unit;
}

/** The approvals of the rounds so far: the one of the round just ended joins those of the earlier ones. */
function approvalsOf(unit: UnitState | undefined): { approvals?: UnitState['approvals'] } {
  const approvals = [...(unit?.approvals ?? []), ...(unit?.approval ? [unit.approval] : [])];
  return approvals.length > 0 ? { approvals } : {};
}

/** Why a stack's review failed. */
function failureOf(review: UnitReview): string {
  if (review.plan === 'FAILED') return review.changeSet?.reason ?? `Change set for stack ${review.stackName} failed: no reason given`;
  if (review.plan === 'BLOCKED') return review.stack?.reason ?? `Stack ${review.stackName} cannot be updated`;
  return `The review of stack ${review.stackName} failed: ${review.error?.Error ?? 'Error'}: ${causeText(review.error?.Cause)}`;
}

/** A Lambda error's message (its Cause is the runtime's JSON), or the cause as it is. */
function causeText(cause: string | undefined): string {
  if (!cause) return 'no cause reported';
  try {
    const parsed = JSON.parse(cause);
    return typeof parsed?.errorMessage === 'string' ? parsed.errorMessage : cause;
  } catch {
    return cause;
  }
}

/** Each stack's text gets an equal share of the message, so every stack of a large unit is named. */
function shares(texts: string[]): string[] {
  const share = Math.max(200, Math.floor((LIMITS.failureMessage - 1500) / Math.max(1, texts.length)));
  return texts.map((text) => truncate(text, share));
}

/** Stacks not deployed (reviewed or waiting) are left untouched. */
function markUntouched(members: UnitMemberState[]): UnitMemberState[] {
  return members.map((m) => (m.status === 'REVIEWED' || m.status === 'WAITING' ? { ...m, status: 'UNTOUCHED' } : m));
}

function unitReason(head: string, members: UnitMemberState[]): string {
  const tail = `${/[.:]$/.test(head.trim()) ? '' : '.'} ${progress(members)}`;
  return truncate(head, LIMITS.failureMessage - 600 - tail.length) + tail;
}

/** Which stacks were deployed, which failed, which were left as they were. */
export function progress(members: UnitMemberState[]): string {
  const named = (status: UnitStackStatus[]) => members.filter((m) => status.includes(m.status)).map((m) => m.stackName);
  const parts = [
    ['Deployed', named(['CREATED', 'UPDATED'])],
    ['Up to date', named(['NO_CHANGES'])],
    ['Allowed (the pipeline executes them next)', named(['ALLOWED'])],
    ['Failed', named(['FAILED'])],
    ['Interrupted by the error (see the stack for how it ended)', named(['INTERRUPTED'])],
    ['Untouched', named(['UNTOUCHED', 'WAITING', 'REVIEWED'])],
  ] as const;
  return parts.filter(([, names]) => names.length > 0).map(([label, names]) => `${label}: ${names.join(', ')}.`).join(' ');
}
