/** Names and their CloudFormation rules; pure, shared by the constructs and the handlers. */

/** CloudFormation stack names: a letter, then letters, digits and hyphens, 128 characters at most. */
export const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/** CloudFormation change set names: same shape, 128 characters at most. */
export const CHANGE_SET_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/** The environment name, when given, prefixes the stack name (`prod-sample-app`). */
export function fullStackName(stackName: string, environmentName?: string): string {
  return environmentName ? `${environmentName}-${stackName}` : stackName;
}

/** Every change set this library creates starts with this; its IAM rights are limited to it. */
export const CHANGE_SET_PREFIX = 'sfn-deploy-';

/** A change set name unique to one pipeline job, valid for CloudFormation. */
export function changeSetNameFor(jobId: string): string {
  const suffix = jobId.replace(/[^A-Za-z0-9]/g, '').slice(0, 64);
  return `${CHANGE_SET_PREFIX}${suffix || 'job'}`;
}

/** The default suffix of a blue/green stack: this letter and the first characters of the job id. */
export const NEW_STACK_SUFFIX_PREFIX = 'g';
export const NEW_STACK_ID_LENGTH = 8;

/** The default blue/green suffix for a job: `g` and 8 letters or digits of the job id (a UUID has 32). */
export function newStackSuffixFor(jobId: string): string {
  return `${NEW_STACK_SUFFIX_PREFIX}${jobId.replace(/[^A-Za-z0-9]/g, '').slice(0, NEW_STACK_ID_LENGTH)}`;
}

/** A Step Functions execution name derived from the pipeline job, so a duplicate call starts nothing new. */
export function executionNameFor(jobId: string): string {
  return `cp-${jobId.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 80);
}

/** Checks a path inside the input artifact: relative, forward slashes, no `..` segment. */
export function artifactPathProblem(path: string): string | undefined {
  if (typeof path !== 'string' || path.length === 0) return 'is empty';
  if (path.length > 1024) return 'is longer than 1024 characters';
  if (path.startsWith('/')) return 'must be relative to the artifact root, not start with "/"';
  if (path.includes('\\')) return 'must use forward slashes';
  if (path.split('/').some((s) => s === '..' || s === '.')) return 'must not contain "." or ".." segments';
  return undefined;
}

/** The stack name in a stack id (`arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>`). */
export function stackNameOfId(stackId: string): string | undefined {
  const match = /^arn:aws[a-z-]*:cloudformation:[a-z0-9-]+:\d{12}:stack\/([A-Za-z][A-Za-z0-9-]{0,127})\/[^/]+$/.exec(stackId);
  return match?.[1];
}

/** The first characters of a change set's digest, for people to compare what they approve with what runs. */
export function shortDigest(digest: string): string {
  return digest.slice(0, 12);
}
