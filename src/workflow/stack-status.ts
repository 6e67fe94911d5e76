/** Classification of CloudFormation stack and change set statuses. Pure. */
import { DEFAULTS } from '../shared/contract';

/** Stacks in these states cannot take a change set: the deployment stops and says what to do. */
export const BLOCKED_GUIDANCE: Record<string, string> = {
  ROLLBACK_COMPLETE:
    'its creation failed and was rolled back; delete the stack (aws cloudformation delete-stack) and run the pipeline again',
  ROLLBACK_FAILED: 'its creation failed and the rollback failed; fix or delete the stack, then run the pipeline again',
  UPDATE_ROLLBACK_FAILED:
    'an update rolled back and the rollback failed; continue the rollback (aws cloudformation continue-update-rollback) and run the pipeline again',
  DELETE_FAILED: 'its deletion failed; delete it again or remove the resources that block it',
  IMPORT_ROLLBACK_FAILED: 'a resource import rolled back and the rollback failed; fix the stack, then run the pipeline again',
};

export function isInProgress(status: string): boolean {
  return status.endsWith('_IN_PROGRESS') && status !== 'REVIEW_IN_PROGRESS';
}

/** Outcome of a stack operation whose end state `expected` the workflow waits for. */
export function operationOutcome(status: string, expected: string): 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' {
  if (status === expected) return 'SUCCEEDED';
  if (isInProgress(status)) return 'IN_PROGRESS';
  return 'FAILED';
}

/**
 * The adaptive poll interval: `base` seconds at first, then a tenth of the time elapsed, at most 30 seconds
 * in the first hour and a minute after it. A short operation is seen finishing quickly; a long one costs
 * few transitions, and a 23-hour execution stays far below Step Functions' 25,000 history events.
 */
export function pollSeconds(base: number, elapsedMs: number): number {
  const tenth = Math.floor(elapsedMs / 10_000);
  const cap = elapsedMs < 3_600_000 ? DEFAULTS.maxPollIntervalSeconds : DEFAULTS.maxPollIntervalSecondsAfterAnHour;
  return Math.max(base, Math.min(tenth, cap));
}
