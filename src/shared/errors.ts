/** Errors the handlers raise; their `name` is what Step Functions sees as the error. */

/**
 * Every error name a deployment's execution fails with or catches by name, as its history and the pipeline
 * action's failure show them: the errors the functions raise, a person's rejection, and the workflow's own Fail
 * states. One table, so each name is written once.
 */
export const FAILURE_NAMES = {
  // Raised by the functions.
  /** The deployment's configuration or input is wrong: nothing a retry would fix. */
  configurationError: 'ConfigurationError',
  /** Throttling, a server error or the network: the state machine retries it. */
  transientAwsError: 'TransientAwsError',
  /** A change set still being created cannot be deleted yet: the deletion is retried. */
  changeSetBeingCreated: 'ChangeSetBeingCreated',
  /** A change set that cannot be read whole. */
  incompleteChangeSet: 'IncompleteChangeSet',
  /** The change set about to be executed is not exactly the one judged. */
  changeSetChanged: 'ChangeSetChanged',
  /** The action's deadline passed before the change set could be executed. */
  deadlinePassed: 'DeadlinePassed',
  /** A task asked to act for an execution or a job that is not what it claims. */
  unconfirmedDeployment: 'UnconfirmedDeployment',
  /** A stack event the stack event function does not believe yet (the stack is still in progress). */
  stackStillInProgress: 'StackStillInProgress',
  /** CodePipeline does not show the job in progress for this action. */
  jobNotConfirmed: 'JobNotConfirmed',
  /**
   * CodePipeline described the job otherwise than this library assumes (GetJobDetails or ListActionExecutions
   * left out a field it needs, or gave it another shape): nothing is deployed, and the message says what to report.
   */
  jobConfirmationAssumptionFailed: 'JobConfirmationAssumptionFailed',
  /** A person rejected the change set (the approval function's SendTaskFailure). */
  approvalRejected: 'ApprovalRejected',
  // The workflow's Fail states.
  /** The stack check found a stack no deployment can update (for example ROLLBACK_COMPLETE without recreation). */
  stackNotUpdatable: 'StackNotUpdatable',
  stackCreationFailed: 'StackCreationFailed',
  stackUpdateFailed: 'StackUpdateFailed',
  stackDeletionFailed: 'StackDeletionFailed',
  changeSetFailed: 'ChangeSetFailed',
  /** The safety policy refused the change set (or a unit's). */
  unsafeChangeSet: 'UnsafeChangeSet',
  /** Nobody decided within the approval timeout. */
  approvalTimedOut: 'ApprovalTimedOut',
  /** A unit could not be reviewed, or a stack's review failed. */
  unitReviewFailed: 'UnitReviewFailed',
  /** A stack of a unit failed to deploy: the unit stopped. */
  unitStackFailed: 'UnitStackFailed',
} as const;

/** Where a failure that is this library's to fix is reported (the repository of package.json, with /issues). */
export const ISSUES_URL = 'https://github.com/cdk-stepfunctions-deploy-action/cdk-stepfunctions-deploy-action/issues';

/** The deployment's configuration or input is wrong: nothing a retry would fix. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = FAILURE_NAMES.configurationError;
  }
}

/** A transient AWS error (throttling, 5xx, network): the state machine retries these. */
export class TransientAwsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = FAILURE_NAMES.transientAwsError;
  }
}

/** A change set CloudFormation is still creating cannot be deleted yet: the deletion is retried until it can. */
export class ChangeSetBeingCreatedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = FAILURE_NAMES.changeSetBeingCreated;
  }
}

export const CHANGE_SET_BEING_CREATED = FAILURE_NAMES.changeSetBeingCreated;

/** Error name of a throttled or transient failure, as the state machine's Retry lists it. */
export const TRANSIENT_ERROR = FAILURE_NAMES.transientAwsError;

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

/**
 * How a failure says that CloudFormation rolled the operation back because a rollback alarm went to ALARM: the words
 * the operation's reason carries, and the change report looks for.
 */
export const ROLLED_BACK_ON_ALARM = 'CloudFormation rolled the operation back on its rollback trigger';
