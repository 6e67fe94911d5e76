/**
 * The tasks of a unit: several stacks reviewed together before any of them is executed. A wave reviews the
 * next stacks that do not need an earlier stack of the same wave deployed first; the unit's verdict is the worst
 * of the wave's; its stacks then execute one after another in the order given, and the first failure stops the
 * unit. Only `deleteUnitChangeSets` and the wave cut in `judgeUnit` call AWS; the rest is bookkeeping.
 */
import { deleteChangeSet } from './change-set';
import type { TaskDeps } from './support';
import { memberDeployment } from '../../shared/config';
import { LIMITS } from '../../shared/contract';
import type {
  Deployment, InspectionResult, UnitCurrent, UnitMemberState, UnitReview, UnitState, UnitStackStatus, WorkflowState,
} from '../../shared/contract';
import { ConfigurationError, truncate } from '../../shared/errors';

/** CloudFormation's reason for a change set that imports an export no stack has yet. */
const MISSING_EXPORT = /No export named \S+ found/;

/** The next wave: the stacks still waiting, from the first one up to the first that needs one of them deployed. */
export async function planUnitWave(state: WorkflowState): Promise<UnitState> {
  const { deployment } = state;
  const stacks = unitOf(deployment);
  const members: UnitMemberState[] = state.unit?.members
    ?? stacks.map((s) => ({ stackName: s.stackName, status: 'WAITING' as const }));
  const wave = (state.unit?.wave ?? 0) + 1;
  const start = members.findIndex((m) => m.status === 'WAITING');
  if (start < 0) return { members, wave: wave - 1, review: [], next: 'DONE' };
  const inWave: number[] = [];
  for (let i = start; i < members.length && members[i].status === 'WAITING'; i++) {
    const needs = [...stacks[i].dependsOn, ...Object.values(stacks[i].parameterOutputs).map((ref) => ref.slice(0, ref.indexOf('.')))];
    if (inWave.some((j) => needs.includes(stacks[j].stackName))) break;
    inWave.push(i);
  }
  const review: Deployment[] = [];
  const missing: string[] = [];
  for (const i of inWave) {
    const parameters: Record<string, string> = {};
    for (const [parameter, ref] of Object.entries(stacks[i].parameterOutputs)) {
      const dot = ref.indexOf('.');
      const [from, key] = [ref.slice(0, dot), ref.slice(dot + 1)];
      const value = members.find((m) => m.stackName === from)?.outputs?.[key];
      if (value === undefined) missing.push(`${stacks[i].stackName} needs output ${key} of ${from} (parameter ${parameter}), which ${from} does not have`);
      else parameters[parameter] = value;
    }
    const member = memberDeployment(deployment, i, parameters);
    // Each stack's change set has a name of its own in the unit (a change set is found by name in some tools), and
    // a later wave's too: a deleted change set's name and client token are not reused.
    review.push({ ...member, changeSetName: `${member.changeSetName}-${i + 1}${wave === 1 ? '' : `-w${wave}`}` });
  }
  const planned = members.map((m, i) => (inWave.includes(i) ? { ...m, wave } : m));
  if (missing.length > 0) {
    return { members: planned, wave, review: [], next: 'FAIL', reason: truncate(`${missing.join('; ')}. ${progress(planned)}`, LIMITS.failureMessage - 500) };
  }
  return { members: planned, wave, review, next: 'REVIEW' };
}

/**
 * The wave's verdict, from each stack's review: a stack whose change set failed only because it imports an export
 * that an earlier stack of the wave creates goes to the next wave (with the stacks after it, whose change sets
 * are deleted), so the order holds. A failed review fails the unit; otherwise the worst verdict decides.
 */
export async function judgeUnit(state: WorkflowState, deps: TaskDeps): Promise<UnitState> {
  const unit = unitStateOf(state);
  const reviews = state.reviews;
  if (!Array.isArray(reviews) || reviews.length !== unit.review.length) {
    throw new ConfigurationError('judgeUnit needs one review per stack of the wave');
  }
  const deploysSomething = (r: UnitReview) => r.plan === 'EXECUTE' || r.plan === 'CREATE';
  const cut = reviews.findIndex((r, k) => r.plan === 'FAILED' && MISSING_EXPORT.test(r.changeSet?.reason ?? '')
    && reviews.slice(0, k).some(deploysSomething));
  const kept = cut < 0 ? reviews : reviews.slice(0, cut);
  // The stacks cut from the wave are reviewed again once the earlier ones are deployed.
  for (const [k, r] of reviews.entries()) {
    if (cut >= 0 && k >= cut && r.plan === 'EXECUTE') await deleteChangeSet({ deployment: unit.review[k] }, deps);
  }
  const members = unit.members.map((m): UnitMemberState => {
    const k = reviews.findIndex((r) => r.stackName === m.stackName);
    if (k < 0) return m;
    if (cut >= 0 && k >= cut) return { stackName: m.stackName, status: 'WAITING' };
    const review = trimmed(reviews[k]);
    if (review.plan === 'NONE') return { ...m, status: 'NO_CHANGES', review, ...(review.stack?.outputs ? { outputs: review.stack.outputs } : {}) };
    return { ...m, status: 'REVIEWED', review };
  });
  const base = { members, wave: unit.wave, review: unit.review.slice(0, kept.length) };

  const failed = kept.filter((r) => r.plan === 'FAILED' || r.plan === 'BLOCKED');
  if (failed.length > 0) {
    const why = failed.map((r) => (r.plan === 'FAILED' ? r.changeSet?.reason : r.stack?.reason) ?? `${r.stackName}: no reason given`);
    const untouched = markUntouched(members);
    return { ...base, members: untouched, next: 'FAIL', reason: unitReason(`The unit cannot be deployed: ${why.join(' ')}`, untouched) };
  }
  const inspections = kept.map((r) => r.inspection).filter((i): i is InspectionResult => i !== undefined);
  const verdict = inspections.some((i) => i.verdict === 'UNSAFE') ? 'UNSAFE'
    : inspections.some((i) => i.verdict === 'NEEDS_APPROVAL') ? 'NEEDS_APPROVAL' : 'SAFE';
  const flagged = inspections.filter((i) => i.verdict !== 'SAFE').map((i) => i.reason);
  if (verdict === 'UNSAFE') {
    const untouched = markUntouched(members);
    return {
      ...base, members: untouched, verdict, next: 'REFUSE',
      reason: unitReason(`The unit is refused: no change set of this wave is executed. ${flagged.join(' ')}`, untouched),
    };
  }
  if (verdict === 'NEEDS_APPROVAL') {
    const timeouts = inspections.map((i) => i.approvalTimeoutSeconds).filter((t): t is number => t !== undefined);
    return {
      ...base, verdict, next: 'APPROVE', reason: truncate(flagged.join(' '), LIMITS.failureMessage - 500),
      approvalTimeoutSeconds: timeouts.length > 0 ? Math.min(...timeouts) : 1,
    };
  }
  return { ...base, verdict, next: 'EXECUTE' };
}

/**
 * Records how the stack just deployed ended, then picks the next stack of the wave to deploy, in the order given.
 * A failure stops the unit: the stacks after it are not executed. Nothing is picked unless the wave was judged
 * safe, or needed approval and a person approved it.
 */
export async function nextUnitStack(state: WorkflowState): Promise<UnitState> {
  const unit = unitStateOf(state);
  let members = unit.members;
  const current = unit.current;
  if (current) {
    const operation = current.operation;
    const done: UnitStackStatus = operation?.outcome === 'SUCCEEDED' ? (operation.expectedStatus === 'CREATE_COMPLETE' ? 'CREATED' : 'UPDATED') : 'FAILED';
    members = members.map((m, i) => (i !== current.index ? m : {
      ...m,
      status: done,
      ...(operation?.outputs ? { outputs: operation.outputs } : {}),
      ...(done === 'FAILED' ? { reason: operation?.reason ?? `the operation on ${m.stackName} did not succeed` } : {}),
    }));
    if (done === 'FAILED') {
      const untouched = markUntouched(members);
      return {
        members: untouched, wave: unit.wave, review: unit.review, next: 'STOP',
        reason: unitReason(`Stack ${members[current.index].stackName} failed: ${members[current.index].reason}`, untouched),
      };
    }
  }
  const { verdict, approval } = unit;
  const allowed = verdict === 'SAFE' || (verdict === 'NEEDS_APPROVAL' && approval?.approved === true);
  const index = members.findIndex((m) => m.status === 'REVIEWED');
  const base = { members, wave: unit.wave, review: unit.review, ...(verdict ? { verdict } : {}), ...(approval ? { approval } : {}) };
  if (index < 0) {
    if (members.some((m) => m.status === 'WAITING')) return { ...base, next: 'REVIEW' };
    return { ...base, next: 'DONE', reason: truncate(progress(members), LIMITS.summary) };
  }
  if (!allowed) {
    // Defence in depth: the state machine reaches this only when the wave may be executed.
    throw new Error(`refusing to deploy stack ${members[index].stackName}: its unit was neither judged safe nor approved`);
  }
  const review = members[index].review!;
  const deployment = unit.review.find((d) => d.stackName === members[index].stackName);
  if (!deployment) throw new ConfigurationError(`stack ${members[index].stackName} has no deployment in this wave`);
  const next: UnitCurrent = {
    index,
    deployment,
    ...(review.stack ? { stack: review.stack } : {}),
    ...(review.changeSet ? { changeSet: review.changeSet } : {}),
    ...(review.template ? { template: review.template } : {}),
    ...(review.inspection ? { inspection: review.inspection } : {}),
    ...(approval && review.inspection?.verdict === 'NEEDS_APPROVAL' ? { approval } : {}),
  };
  return { ...base, next: review.plan === 'CREATE' ? 'CREATE' : 'EXECUTE', current: next };
}

/**
 * Deletes the change sets of the wave's stacks that were not executed (a refused, failed or stopped unit, or an
 * error). A change set that is gone already, or a stack that was never created, is no error.
 */
export async function deleteUnitChangeSets(state: WorkflowState, deps: TaskDeps): Promise<{ deleted: string[] }> {
  const unit = unitStateOf(state);
  const executed: UnitStackStatus[] = ['CREATED', 'UPDATED', 'FAILED'];
  const deleted: string[] = [];
  for (const deployment of unit.review) {
    const member = unit.members.find((m) => m.stackName === deployment.stackName);
    if (member && executed.includes(member.status)) continue;
    await deleteChangeSet({ deployment }, deps);
    deleted.push(deployment.stackName);
  }
  return { deleted };
}

function unitOf(deployment: Deployment) {
  if (!deployment.unit || deployment.unit.length === 0) throw new ConfigurationError('this deployment is not a unit of stacks');
  return deployment.unit;
}

function unitStateOf(state: WorkflowState): UnitState {
  unitOf(state.deployment);
  if (!state.unit) throw new ConfigurationError('the state has no unit');
  return state.unit;
}

/** Each stack keeps a share of the state: the unit's stacks must fit in it together. */
function trimmed(review: UnitReview): UnitReview {
  if (!review.inspection) return review;
  const { changes: _changes, ...inspection } = review.inspection;
  return { ...review, inspection };
}

/** Stacks not deployed (reviewed or waiting) are left untouched. */
function markUntouched(members: UnitMemberState[]): UnitMemberState[] {
  return members.map((m) => (m.status === 'REVIEWED' || m.status === 'WAITING' ? { ...m, status: 'UNTOUCHED' } : m));
}

function unitReason(head: string, members: UnitMemberState[]): string {
  const tail = ` ${progress(members)}`;
  return truncate(head, LIMITS.failureMessage - 600 - tail.length) + tail;
}

/** Which stacks were deployed, which failed, which were left as they were. */
export function progress(members: UnitMemberState[]): string {
  const named = (status: UnitStackStatus[]) => members.filter((m) => status.includes(m.status)).map((m) => m.stackName);
  const parts = [
    ['Deployed', named(['CREATED', 'UPDATED'])],
    ['Up to date', named(['NO_CHANGES'])],
    ['Failed', named(['FAILED'])],
    ['Untouched', named(['UNTOUCHED', 'WAITING', 'REVIEWED'])],
  ] as const;
  return parts.filter(([, names]) => names.length > 0).map(([label, names]) => `${label}: ${names.join(', ')}.`).join(' ');
}
