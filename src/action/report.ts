/** What the pipeline console shows: summaries, failure messages and output variables, within CodePipeline's limits. */
import { LIMITS } from '../shared/contract';
import type { CheckStackResult, Deployment, InspectionResult } from '../shared/contract';
import { truncate } from '../shared/errors';

/** What the workflow's output says happened. */
export function outcomeOf(output: Record<string, any>): 'CREATED' | 'UPDATED' | 'NO_CHANGES' | 'UNKNOWN' {
  const stack = output.stack as CheckStackResult | undefined;
  if (output.changeSet?.outcome === 'NO_CHANGES') return 'NO_CHANGES';
  if (stack?.next === 'CREATE') return 'CREATED';
  if (output.operation?.outcome === 'SUCCEEDED') return 'UPDATED';
  return 'UNKNOWN';
}

export function successSummary(output: Record<string, any>, link: string): string {
  const deployment = output.deployment as Deployment | undefined;
  const inspection = output.inspection as InspectionResult | undefined;
  const stackName = deployment?.stackName ?? 'the stack';
  const outcome = outcomeOf(output);
  const counts = inspection ? ` (${formatCounts(inspection.counts)})` : '';
  const text = {
    CREATED: `Created stack ${stackName}.`,
    UPDATED: `Updated stack ${stackName}${counts}.`,
    NO_CHANGES: `Stack ${stackName} is up to date: no changes to deploy.`,
    UNKNOWN: `Deployment of ${stackName} finished.`,
  }[outcome];
  return truncate(`${text} ${link}`, LIMITS.summary);
}

export function failureMessage(status: string, error: string | undefined, cause: string | undefined, link: string): string {
  const head = `Deployment ${status.toLowerCase().replace('_', ' ')}${error ? ` (${error})` : ''}`;
  const tail = ` Execution: ${link}`;
  return truncate(`${head}: ${lambdaErrorMessage(cause) ?? 'no cause reported'}.`, LIMITS.failureMessage - tail.length) + tail;
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

export function outputVariables(output: Record<string, any>): Record<string, string> {
  const deployment = output.deployment as Deployment | undefined;
  return {
    StackName: deployment?.stackName ?? '',
    Outcome: outcomeOf(output),
    ChangeSetName: deployment?.changeSetName ?? '',
  };
}

export function formatCounts(counts: Record<string, number>): string {
  const parts = Object.entries(counts).filter(([, n]) => n > 0).map(([action, n]) => `${n} ${action}`);
  return parts.length > 0 ? parts.join(', ') : 'no changes';
}
