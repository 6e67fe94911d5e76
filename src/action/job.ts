/**
 * Reading a CodePipeline job event and the action's configuration. Pure: no AWS calls, no logging.
 */
import { validatePolicyDocument, validateUnsafeDocument } from '../policy/validate-document';
import { CONFIG_VERSION, DEFAULTS, LIMITS } from '../shared/contract';
import type { ActionConfig, ArtifactLocation, Deployment } from '../shared/contract';
import { ConfigurationError } from '../shared/errors';
import { STACK_NAME, artifactPathProblem, changeSetNameFor, fullStackName } from '../shared/naming';

/** The parts of a CodePipeline job the trigger reads. Never log a whole job: it carries artifact credentials. */
export interface PipelineJob {
  readonly id: string;
  readonly accountId?: string;
  readonly userParameters?: string;
  readonly continuationToken?: string;
  readonly artifact?: ArtifactLocation;
}

/** The continuation token the trigger hands to CodePipeline between invocations. */
export interface ContinuationToken {
  readonly executionArn: string;
}

export function parseJobEvent(event: unknown): PipelineJob {
  const job = (event as Record<string, any> | undefined)?.['CodePipeline.job'];
  if (!job || typeof job !== 'object' || typeof job.id !== 'string' || job.id.length === 0) {
    throw new ConfigurationError('the event is not a CodePipeline job: "CodePipeline.job.id" is missing');
  }
  const data = job.data ?? {};
  const s3 = Array.isArray(data.inputArtifacts) ? data.inputArtifacts[0]?.location?.s3Location : undefined;
  const artifact = s3 && typeof s3.bucketName === 'string' && typeof s3.objectKey === 'string'
    ? { bucket: s3.bucketName, key: s3.objectKey }
    : undefined;
  const userParameters = data.actionConfiguration?.configuration?.UserParameters;
  return {
    id: job.id,
    ...(typeof job.accountId === 'string' ? { accountId: job.accountId } : {}),
    ...(typeof userParameters === 'string' ? { userParameters } : {}),
    ...(typeof data.continuationToken === 'string' && data.continuationToken.length > 0
      ? { continuationToken: data.continuationToken } : {}),
    ...(artifact ? { artifact } : {}),
  };
}

export function encodeContinuationToken(token: ContinuationToken): string {
  const encoded = JSON.stringify(token);
  if (encoded.length > LIMITS.continuationToken) {
    throw new Error(`continuation token of ${encoded.length} characters is over CodePipeline's ${LIMITS.continuationToken}`);
  }
  return encoded;
}

export function decodeContinuationToken(token: string): ContinuationToken {
  let parsed: any;
  try {
    parsed = JSON.parse(token);
  } catch {
    throw new ConfigurationError('the continuation token is not JSON; it was not written by this action');
  }
  if (!parsed || typeof parsed.executionArn !== 'string' || !parsed.executionArn.startsWith('arn:')) {
    throw new ConfigurationError('the continuation token has no execution ARN; it was not written by this action');
  }
  return { executionArn: parsed.executionArn };
}

/** Parses UserParameters: JSON, at most 1000 characters, an object. */
export function parseUserParameters(text: string | undefined): Record<string, unknown> {
  if (text === undefined || text.trim() === '') {
    throw new ConfigurationError('UserParameters is empty: the action needs at least stackName and templatePath');
  }
  if (text.length > LIMITS.userParameters) {
    throw new ConfigurationError(
      `UserParameters is ${text.length} characters, over CodePipeline's ${LIMITS.userParameters}: ` +
      'move the large parts (parameters, tags, rules) to the S3 input file (s3Bucket + stateMachineFile)');
  }
  return parseJsonObject(text, 'UserParameters');
}

export function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigurationError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigurationError(`${what} must be a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** Where the S3 input file is, when UserParameters names one (the seed's form). */
export function inputFileOf(params: Record<string, unknown>): ArtifactLocation | undefined {
  const bucket = params.s3Bucket;
  const key = params.stateMachineFile;
  if (bucket === undefined && key === undefined) return undefined;
  if (typeof bucket !== 'string' || bucket === '' || typeof key !== 'string' || key === '') {
    throw new ConfigurationError('UserParameters: "s3Bucket" and "stateMachineFile" go together, both non-empty strings');
  }
  return { bucket, key };
}

const KEYS: Record<keyof ActionConfig, true> = {
  v: true,
  stackName: true,
  environmentName: true,
  templatePath: true,
  templateConfigurationPath: true,
  parameterOverrides: true,
  tags: true,
  capabilities: true,
  roleArn: true,
  assumeRoleArn: true,
  includeNestedStacks: true,
  recreateRolledBackStack: true,
  policy: true,
  onUnsafe: true,
  pollIntervalSeconds: true,
  timeoutMinutes: true,
  s3Bucket: true,
  stateMachineFile: true,
};
/** Keys of the seed's input file that the job itself now provides; accepted and ignored. */
const SEED_KEYS = ['revisionS3Bucket', 'revisionS3Key'];

const CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'];

/**
 * Validates the action's configuration: UserParameters merged over the S3 input file's keys
 * (UserParameters wins). Every problem is named; unknown keys are refused.
 */
export function validateConfig(merged: Record<string, unknown>): ActionConfig {
  const problems: string[] = [];
  // An own key of KEYS, not `in`: "constructor", "toString" or "__proto__" are unknown keys too.
  const unknown = Object.keys(merged).filter((k) => !Object.prototype.hasOwnProperty.call(KEYS, k) && !SEED_KEYS.includes(k));
  if (unknown.length > 0) problems.push(`unknown keys ${unknown.map((k) => JSON.stringify(k)).join(', ')}`);

  const c = merged as Record<string, any>;
  if (c.v !== undefined && c.v !== CONFIG_VERSION) problems.push(`"v" is ${JSON.stringify(c.v)}; this version reads ${CONFIG_VERSION}`);
  if (typeof c.stackName !== 'string') {
    problems.push('"stackName" is missing');
  } else {
    const full = fullStackName(c.stackName, typeof c.environmentName === 'string' ? c.environmentName : undefined);
    if (!STACK_NAME.test(full)) {
      problems.push(`stack name ${JSON.stringify(full)} is invalid: a letter, then letters, digits or hyphens, 128 characters at most`);
    }
  }
  if (c.environmentName !== undefined && (typeof c.environmentName !== 'string' || !/^[A-Za-z][A-Za-z0-9-]*$/.test(c.environmentName))) {
    problems.push('"environmentName" must start with a letter and hold letters, digits or hyphens');
  }
  for (const key of ['templatePath', 'templateConfigurationPath'] as const) {
    if (c[key] === undefined && key === 'templateConfigurationPath') continue;
    const problem = typeof c[key] === 'string' ? artifactPathProblem(c[key]) : 'is missing';
    if (problem) problems.push(`"${key}" ${problem}`);
  }
  for (const key of ['parameterOverrides', 'tags'] as const) {
    if (c[key] === undefined) continue;
    if (!isStringMap(c[key])) problems.push(`"${key}" must be an object of string values`);
  }
  if (c.capabilities !== undefined) {
    if (!Array.isArray(c.capabilities) || c.capabilities.some((x: unknown) => !CAPABILITIES.includes(x as string))) {
      problems.push(`"capabilities" must be a list of ${CAPABILITIES.join(', ')}`);
    }
  }
  if (c.roleArn !== undefined && (typeof c.roleArn !== 'string' || !/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(c.roleArn))) {
    problems.push('"roleArn" must be an IAM role ARN');
  }
  if (c.assumeRoleArn !== undefined && (typeof c.assumeRoleArn !== 'string' || !/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(c.assumeRoleArn))) {
    problems.push('"assumeRoleArn" must be an IAM role ARN');
  }
  if (c.pollIntervalSeconds !== undefined && !isIntegerIn(c.pollIntervalSeconds, 1, 300)) {
    problems.push('"pollIntervalSeconds" must be a whole number from 1 to 300');
  }
  if (c.timeoutMinutes !== undefined && !isIntegerIn(c.timeoutMinutes, 1, DEFAULTS.maxTimeoutMinutes)) {
    problems.push(`"timeoutMinutes" must be a whole number from 1 to ${DEFAULTS.maxTimeoutMinutes}`);
  }
  for (const key of ['includeNestedStacks', 'recreateRolledBackStack'] as const) {
    if (c[key] !== undefined && typeof c[key] !== 'boolean') problems.push(`"${key}" must be true or false`);
  }
  if (c.policy !== undefined) problems.push(...validatePolicyDocument(c.policy).map((p) => `"policy": ${p}`));
  if (c.onUnsafe !== undefined) problems.push(...validateUnsafeDocument(c.onUnsafe).map((p) => `"onUnsafe": ${p}`));

  if (problems.length > 0) throw new ConfigurationError(`invalid action configuration: ${problems.join('; ')}`);
  const { revisionS3Bucket: _b, revisionS3Key: _k, ...config } = c;
  return config as ActionConfig;
}

/** The state machine input for one job. */
export function toDeployment(config: ActionConfig, job: PipelineJob, now: number): Deployment {
  if (!job.artifact) {
    throw new ConfigurationError('the job has no input artifact in S3: give the action the artifact that holds the template');
  }
  const timeoutMinutes = config.timeoutMinutes ?? DEFAULTS.timeoutMinutes;
  return {
    stackName: fullStackName(config.stackName, config.environmentName),
    templatePath: config.templatePath,
    ...(config.templateConfigurationPath ? { templateConfigurationPath: config.templateConfigurationPath } : {}),
    parameterOverrides: config.parameterOverrides ?? {},
    tags: config.tags ?? {},
    capabilities: config.capabilities ?? [],
    ...(config.roleArn ? { roleArn: config.roleArn } : {}),
    ...(config.assumeRoleArn ? { assumeRoleArn: config.assumeRoleArn } : {}),
    policy: config.policy ?? { type: 'denyDestructive' },
    onUnsafe: config.onUnsafe ?? { type: 'fail' },
    artifact: job.artifact,
    changeSetName: changeSetNameFor(job.id),
    pollIntervalSeconds: config.pollIntervalSeconds ?? DEFAULTS.pollIntervalSeconds,
    startedAt: now,
    deadline: now + timeoutMinutes * 60_000,
    jobId: job.id,
    ...(config.includeNestedStacks ? { includeNestedStacks: true } : {}),
    ...(config.recreateRolledBackStack ? { recreateRolledBackStack: true } : {}),
  };
}

function isStringMap(value: unknown): value is Record<string, string> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    && Object.values(value as object).every((v) => typeof v === 'string');
}

function isIntegerIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}
