/** What the pipeline console shows: summaries, failure messages and output variables, within CodePipeline's limits. */
import { LIMITS } from '../shared/contract';
import type { WorkflowState } from '../shared/contract';
import { truncate } from '../shared/errors';
import { STATE_NAMES } from '../shared/state-names';

export type Outcome = 'CREATED' | 'UPDATED' | 'NO_CHANGES' | 'DEPLOYED_TO_NEW_STACK' | 'UNKNOWN';

/**
 * The execution's output: the workflow's state as its last state left it. Read defensively: any part may be
 * missing.
 */
export type WorkflowOutput = Partial<WorkflowState>;

/** What the workflow's output says happened. */
export function outcomeOf(output: WorkflowOutput): Outcome {
  if (output.changeSet?.outcome === 'NO_CHANGES') return 'NO_CHANGES';
  if (output.deployment?.previousStackName) return 'DEPLOYED_TO_NEW_STACK';
  if (output.stack?.next === 'CREATE') return 'CREATED';
  if (output.operation?.outcome === 'SUCCEEDED') return 'UPDATED';
  return 'UNKNOWN';
}

/** The verdict on the change set: the policy's, or the person's. */
export function verdictOf(output: WorkflowOutput): string {
  if (!output.inspection) return 'NONE';
  if (output.approval?.approved) return 'APPROVED';
  return output.inspection.verdict;
}

/** The pipeline's summary: what changed, what was refused and why, within 2,048 characters. */
export function successSummary(output: WorkflowOutput, link: string, report?: string): string {
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
    DEPLOYED_TO_NEW_STACK: `The change set for stack ${deployment?.previousStackName} was refused, so the template was deployed ` +
      `to a new stack, ${stackName} (blue/green).${refused}`,
    UNKNOWN: `Deployment of ${stackName} finished.`,
  }[outcomeOf(output)];
  // Where the change report is comes first after the link's room: it must never be cut off.
  const tail = `${report ? ` ${report}` : ''} ${link}`;
  return truncate(text, LIMITS.summary - tail.length) + tail;
}

/** While the execution runs: where it is, and what a person can do when it waits for one. */
export function runningSummary(state: string | undefined): string {
  if (state === STATE_NAMES.waitForApproval) {
    return 'Deployment waiting for a person\'s approval of destructive changes: see the message on the approval topic ' +
      '(cdk-sfn-deploy approve|reject).';
  }
  return state ? `Deployment running: ${state}.` : 'Deployment running.';
}

export function failureMessage(status: string, error: string | undefined, cause: string | undefined, link: string, report?: string): string {
  const head = `Deployment ${status.toLowerCase().replace('_', ' ')}${error ? ` (${error})` : ''}`;
  const tail = `${report ? ` ${report}` : ''} Execution: ${link}`;
  const text = lambdaErrorMessage(cause)?.trim() || 'no cause reported';
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
  const deployment = output.deployment;
  // Without changes there is no operation: the outputs are the stack's as it was checked.
  const outcome = outcomeOf(output);
  const stackOutputs = (outcome === 'NO_CHANGES' ? output.stack?.outputs : output.operation?.outputs) ?? {};
  const valid = Object.entries(stackOutputs).filter(([key, value]) => /^[A-Za-z0-9@_-]{1,128}$/.test(key) && typeof value === 'string');
  return {
    ...Object.fromEntries(valid),
    StackName: deployment?.stackName ?? '',
    Outcome: outcome,
    Verdict: verdictOf(output),
    ChangeSetName: deployment?.changeSetName ?? '',
  };
}

export function formatCounts(counts: Record<string, number>): string {
  const parts = Object.entries(counts).filter(([, n]) => n > 0).map(([action, n]) => `${n} ${action}`);
  return parts.length > 0 ? parts.join(', ') : 'no changes';
}
