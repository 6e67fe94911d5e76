/** What the pipeline console shows: summaries, failure messages and output variables, within CodePipeline's limits. */
import { maskSecrets } from '../policy/safe-value';
import { LIMITS, reviewsOnly } from '../shared/contract';
import type { UnitStackStatus, UnitState, WorkflowState } from '../shared/contract';
import { truncate } from '../shared/errors';
import { STATE_NAMES } from '../shared/state-names';

export type Outcome = 'CREATED' | 'UPDATED' | 'NO_CHANGES' | 'DEPLOYED_TO_NEW_STACK' | 'DEPLOYED' | 'ALLOWED' | 'UNKNOWN';

/** CodePipeline's output variable names. */
const VARIABLE_NAME = /^[A-Za-z0-9@_-]{1,128}$/;

/** The room a unit's output variables may take (CodePipeline allows an action 122,880 characters of them). */
const UNIT_VARIABLES_BUDGET = 100_000;

/**
 * The execution's output: the workflow's state as its last state left it. Read defensively: any part may be
 * missing.
 */
export type WorkflowOutput = Partial<WorkflowState>;

/** What the workflow's output says happened. */
export function workflowOutcome(output: WorkflowOutput): Outcome {
  if (output.unit) {
    if (output.unit.members.some((m) => m.status === 'ALLOWED')) return 'ALLOWED';
    return output.unit.members.some((m) => m.status === 'CREATED' || m.status === 'UPDATED') ? 'DEPLOYED' : 'NO_CHANGES';
  }
  if (output.changeSet?.outcome === 'NO_CHANGES') return 'NO_CHANGES';
  if (output.deployment?.previousStackName) return 'DEPLOYED_TO_NEW_STACK';
  if (output.stack?.next === 'CREATE') return 'CREATED';
  if (output.operation?.outcome === 'SUCCEEDED') return 'UPDATED';
  return 'UNKNOWN';
}

/** The verdict on the change set: the policy's, or the person's. */
export function verdictOf(output: WorkflowOutput): string {
  if (output.unit) return unitVerdictOf(output.unit);
  if (!output.inspection) return 'NONE';
  if (output.approval?.approved) return 'APPROVED';
  return output.inspection.verdict;
}

/**
 * A unit's verdict: APPROVED if a stack that needed a person's approval was deployed, ALLOW if every deployed
 * change set was allowed by the policy, NONE if no stack had a change set to judge.
 */
function unitVerdictOf(unit: UnitState): string {
  const deployed = unit.members.filter((m) => ['CREATED', 'UPDATED', 'NO_CHANGES', 'ALLOWED'].includes(m.status));
  if (deployed.some((m) => m.review?.inspection?.verdict === 'REQUIRE_APPROVAL')) return 'APPROVED';
  return deployed.some((m) => m.review?.inspection) ? 'ALLOW' : 'NONE';
}

/**
 * A unit's summary within 2,048 characters with the link: the stacks grouped by what happened to them, each with
 * its counts while they fit, then who approved; names that still do not fit are counted, never cut in half.
 */
function unitSummary(unit: UnitState, link: string, reviewOnly: boolean): string {
  const tail = ` ${link}`;
  const room = LIMITS.summary - tail.length;
  const n = unit.members.length;
  const stacks = `${n} ${n === 1 ? 'stack' : 'stacks'}`;
  const deployed = unit.members.some((m) => m.status === 'CREATED' || m.status === 'UPDATED');
  const head = reviewOnly
    ? `Reviewed the change sets the pipeline prepared for ${stacks}: ` + (unit.members.some((m) => m.status === 'ALLOWED')
      ? 'allowed; the pipeline\'s deploy actions execute them.' : 'nothing to allow, no change set holds changes.')
    : deployed ? `Deployed ${stacks} as one unit (${unit.round} ${unit.round === 1 ? 'round' : 'rounds'}).`
      : `Reviewed ${stacks} as one unit: nothing to deploy.`;
  const approvals = [...(unit.approvals ?? []), ...(unit.approval ? [unit.approval] : [])].filter((a) => a.approved);
  const approved = approvals.map((a) => ` Approved${a.by ? ` by ${a.by}` : ''}${a.comment ? `: ${a.comment}` : ''}.`).join('');
  const groups = (withCounts: boolean) => (Object.entries(UNIT_STATUS_LABELS) as [UnitStackStatus, string][]).flatMap(([status, label]) => {
    const names = unit.members.filter((m) => m.status === status).map((m) => {
      const counts = withCounts && status === 'UPDATED' && m.review?.inspection ? ` (${formatCounts(m.review.inspection.counts)})` : '';
      return `${m.stackName}${counts}`;
    });
    return names.length > 0 ? [{ label, names }] : [];
  });
  const render = (list: { label: string; names: string[] }[]) => list.map((g) => ` ${g.label}: ${g.names.join(', ')}.`).join('');
  for (const withCounts of [true, false]) {
    const text = `${head}${render(groups(withCounts))}${approved}`;
    if (text.length <= room) return text + tail;
  }
  // Too many long names: as many as fit, then how many more; the approvals are cut first.
  const names = groups(false);
  let text = head;
  let left = unit.members.length;
  for (const group of names) {
    let part = ` ${group.label}:`;
    for (const [i, name] of group.names.entries()) {
      const next = `${i === 0 ? ' ' : ', '}${name}`;
      if ((text + part + next).length > room - 40) {
        return `${text}${part} ... and ${left} more (see the execution).`.slice(0, room) + tail;
      }
      part += next;
      left--;
    }
    text += `${part}.`;
  }
  return truncate(`${text}${approved}`, room) + tail;
}

const UNIT_STATUS_LABELS: Partial<Record<UnitStackStatus, string>> = {
  UPDATED: 'Updated', CREATED: 'Created', NO_CHANGES: 'Up to date', ALLOWED: 'Allowed',
};

/** The pipeline's summary: what changed, what was refused and why, within 2,048 characters. */
export function successSummary(output: WorkflowOutput, link: string, report?: string): string {
  if (output.unit) return unitSummary(output.unit, link, output.deployment !== undefined && reviewsOnly(output.deployment));
  const { deployment, inspection, approval } = output;
  const stackName = deployment?.stackName ?? 'the stack';
  const counts = inspection ? ` (${formatCounts(inspection.counts)})` : '';
  const refused = inspection && inspection.violationCount > 0
    ? ` Refused by the policy: ${inspection.violations.map((v) => `${v.logicalId} (${v.action}, ${v.rule}${v.properties ? `: ${v.properties[0]}` : ''})`).join('; ')}` +
      `${inspection.violationCount > inspection.violations.length ? ` and ${inspection.violationCount - inspection.violations.length} more` : ''}.`
    : '';
  const approvedBy = approval?.approved ? ` Approved${approval.by ? ` by ${approval.by}` : ''}${approval.comment ? `: ${approval.comment}` : ''}.` : '';
  const text = {
    CREATED: `Created stack ${stackName}.`,
    UPDATED: `Updated stack ${stackName}${counts}.${approvedBy}${approvedBy ? refused : ''}`,
    NO_CHANGES: `Stack ${stackName} is up to date: no changes to deploy.`,
    DEPLOYED: `Deployed ${stackName}.`,
    ALLOWED: `Allowed the change set of ${stackName}.`,
    DEPLOYED_TO_NEW_STACK: `The change set for stack ${deployment?.previousStackName} was refused, so the template was deployed ` +
      `to a new stack, ${stackName} (blue/green).${refused}`,
    UNKNOWN: `Deployment of ${stackName} finished.`,
  }[workflowOutcome(output)];
  // Where the change report is comes first after the link's room: it must never be cut off.
  const tail = `${report ? ` ${report}` : ''} ${link}`;
  return truncate(text, LIMITS.summary - tail.length) + tail;
}

/** While the execution runs: where it is, and what a person can do when it waits for one. */
export function runningSummary(state: string | undefined): string {
  if (state === STATE_NAMES.waitForUnitApproval) {
    return 'Deployment of a unit of stacks waiting for a person\'s approval: nothing of the round is executed before it; see the ' +
      'message on the approval topic (cdk-sfn-deploy approve|reject).';
  }
  if (state === STATE_NAMES.waitForApproval) {
    return 'Deployment waiting for a person\'s approval of destructive changes: see the message on the approval topic ' +
      '(cdk-sfn-deploy approve|reject).';
  }
  return state ? `Deployment running: ${state}.` : 'Deployment running.';
}

export function failureMessage(status: string, error: string | undefined, cause: string | undefined, link: string, report?: string): string {
  const head = `Deployment ${status.toLowerCase().replace('_', ' ')}${error ? ` (${error})` : ''}`;
  const tail = `${report ? ` ${report}` : ''} Execution: ${link}`;
  // A cause may quote values (CloudFormation's reasons, a task's error): shown as far as they are safe to show.
  const text = maskSecrets(lambdaErrorMessage(cause)?.trim() || 'no cause reported');
  const sentence = /[.!?]$/.test(text) ? text : `${text}.`;
  return truncate(`${head}: ${sentence}`, LIMITS.failureMessage - tail.length) + tail;
}

/**
 * A task function's error reaches the execution's cause as the Lambda runtime's JSON
 * (`{"errorType","errorMessage","trace"}`); the pipeline shows its message, not the JSON and stack trace.
 */
function lambdaErrorMessage(cause: string | undefined): string | undefined {
  if (!cause?.startsWith('{')) return cause;
  try {
    const parsed = JSON.parse(cause);
    return typeof parsed?.errorMessage === 'string' && typeof parsed?.errorType === 'string' ? parsed.errorMessage : cause;
  } catch {
    return cause;
  }
}

/**
 * The action's output variables: StackName, Outcome, Verdict, ChangeSetName, and the stack's outputs under
 * their own keys (the fixed names win; outputs with names CodePipeline does not accept are left out).
 */
export function outputVariables(output: WorkflowOutput): Record<string, string> {
  if (output.unit) return unitVariables(output.unit, output);
  const deployment = output.deployment;
  // Without changes there is no operation: the outputs are the stack's as it was checked.
  const outcome = workflowOutcome(output);
  const stackOutputs = (outcome === 'NO_CHANGES' ? output.stack?.outputs : output.operation?.outputs) ?? {};
  const valid = Object.entries(stackOutputs).filter(([key, value]) => VARIABLE_NAME.test(key) && typeof value === 'string');
  return {
    ...Object.fromEntries(valid),
    StackName: deployment?.stackName ?? '',
    Outcome: outcome,
    Verdict: verdictOf(output),
    ChangeSetName: deployment?.changeSetName ?? '',
  };
}

/**
 * A unit's output variables: its Outcome and Verdict, and per stack `<stack>_Outcome` and `<stack>_<OutputKey>`
 * (names CodePipeline does not accept are left out; stack outputs stop at the budget, the outcomes always fit).
 */
function unitVariables(unit: UnitState, output: WorkflowOutput): Record<string, string> {
  const variables: Record<string, string> = {
    Outcome: workflowOutcome(output),
    Verdict: verdictOf(output),
    StackCount: String(unit.members.length),
  };
  for (const m of unit.members) {
    if (VARIABLE_NAME.test(`${m.stackName}_Outcome`)) variables[`${m.stackName}_Outcome`] = m.status;
  }
  let size = Object.entries(variables).reduce((n, [k, v]) => n + k.length + v.length, 0);
  for (const m of unit.members) {
    for (const [key, value] of Object.entries(m.outputs ?? {})) {
      const name = `${m.stackName}_${key}`;
      if (!VARIABLE_NAME.test(name) || typeof value !== 'string' || name in variables) continue;
      if (size + name.length + value.length > UNIT_VARIABLES_BUDGET) continue;
      variables[name] = value;
      size += name.length + value.length;
    }
  }
  return variables;
}

export function formatCounts(counts: Record<string, number>): string {
  const parts = Object.entries(counts).filter(([, n]) => n > 0).map(([action, n]) => `${n} ${action}`);
  return parts.length > 0 ? parts.join(', ') : 'no changes';
}
