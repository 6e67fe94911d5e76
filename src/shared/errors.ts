/** Errors the handlers raise; their `name` is what Step Functions sees as the error. */

/**
 * Every error name the workflow fails with or catches by name: the errors its functions raise and the errors of
 * its Fail states. One table, so a name is written once (key and value are the same word).
 */
export const FAILURE_NAMES = {
  // Raised by the functions.
  ConfigurationError: 'ConfigurationError',
  TransientAwsError: 'TransientAwsError',
  ChangeSetBeingCreated: 'ChangeSetBeingCreated',
  IncompleteChangeSet: 'IncompleteChangeSet',
  ChangeSetChanged: 'ChangeSetChanged',
  DeadlinePassed: 'DeadlinePassed',
  UnconfirmedDeployment: 'UnconfirmedDeployment',
  StackStillInProgress: 'StackStillInProgress',
  JobNotConfirmed: 'JobNotConfirmed',
  // A person's decision (SendTaskFailure).
  ApprovalRejected: 'ApprovalRejected',
  // The Fail states of the workflow.
  StackCreationFailed: 'StackCreationFailed',
  StackUpdateFailed: 'StackUpdateFailed',
  StackDeletionFailed: 'StackDeletionFailed',
  StackNotUpdatable: 'StackNotUpdatable',
  ChangeSetFailed: 'ChangeSetFailed',
  UnsafeChangeSet: 'UnsafeChangeSet',
  ApprovalTimedOut: 'ApprovalTimedOut',
  UnitStackFailed: 'UnitStackFailed',
  UnitReviewFailed: 'UnitReviewFailed',
} as const;

/** The deployment's configuration or input is wrong: nothing a retry would fix. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = FAILURE_NAMES.ConfigurationError;
  }
}

/** A transient AWS error (throttling, 5xx, network): the state machine retries these. */
export class TransientAwsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = FAILURE_NAMES.TransientAwsError;
  }
}

/** A change set CloudFormation is still creating cannot be deleted yet: the deletion is retried until it can. */
export class ChangeSetBeingCreatedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = FAILURE_NAMES.ChangeSetBeingCreated;
  }
}

export const CHANGE_SET_BEING_CREATED = FAILURE_NAMES.ChangeSetBeingCreated;

/** Error name of a throttled or transient failure, as the state machine's Retry lists it. */
export const TRANSIENT_ERROR = FAILURE_NAMES.TransientAwsError;

const THROTTLING = new Set([
  'Throttling', 'ThrottlingException', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded',
  'SlowDown', 'RequestThrottled', 'RequestThrottledException', 'ProvisionedThroughputExceededException',
]);

/** True for throttling, server-side and network errors of the AWS SDK. */
export function isTransient(error: unknown): boolean {
  const e = error as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number }; code?: string };
  if (!e || typeof e !== 'object') return false;
  if (e.name && THROTTLING.has(e.name)) return true;
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  return ['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'TimeoutError'].includes(e.code ?? e.name ?? '');
}

/** Rethrows transient AWS errors as TransientAwsError (retried by the state machine), others unchanged. */
export function classify(error: unknown): Error {
  if (isTransient(error)) {
    const e = error as Error;
    return new TransientAwsError(`${e.name}: ${e.message}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = ' ... (truncated)';
  return text.slice(0, Math.max(0, max - marker.length)) + marker;
}
