/**
 * The action's configuration and the deployment made of it: read from the UserParameters of a job that
 * CodePipeline confirmed (and, for the settings that do not decide safety, from the S3 input file), validated,
 * and turned into the state machine's input. Pure: no AWS calls, no logging. The trigger builds the
 * deployment with it, and the workflow builds it again from CodePipeline's answer to check its input.
 */
import { CONFIG_VERSION, DEFAULTS, LIMITS, defaultTemplatePath } from './contract';
import type { ActionConfig, ArtifactLocation, Deployment, UnitStack, UnitStackConfig } from './contract';
import { ConfigurationError } from './errors';
import { parseJson } from './json';
import { STACK_NAME, artifactPathProblem, changeSetNameFor, fullStackName } from './naming';
import { DEFAULT_POLICY } from './policy-vocabulary';
import { validatePolicyDocument, validateUnsafeDocument } from './validate-document';

/** A stack's own settings: the single-stack keys of UserParameters, which a unit (`stacks`) gives each stack instead. */
const STACK_SETTINGS = {
  stackName: true,
  templatePath: true,
  templateConfigurationPath: true,
  parameterOverrides: true,
  tags: true,
  capabilities: true,
} as const;

/** The keys UserParameters may hold. */
const KEYS: Record<keyof ActionConfig, true> = {
  v: true,
  ...STACK_SETTINGS,
  environmentName: true,
  roleArn: true,
  assumeRoleArn: true,
  includeNestedStacks: true,
  recreateRolledBackStack: true,
  revertDrift: true,
  report: true,
  stackEvents: true,
  stacks: true,
  prepared: true,
  region: true,
  policy: true,
  onUnsafe: true,
  pollIntervalSeconds: true,
  timeoutMinutes: true,
  s3Bucket: true,
  stateMachineFile: true,
};

/**
 * The keys the S3 input file may set: what to deploy and how, never what decides safety. The policy, the
 * unsafe-change strategy, the stack, the roles, nested-stack inspection, stack deletion and the deadline come
 * from the synthesized action only: whoever may write to that bucket must not be able to turn the gate off.
 */
export const INPUT_FILE_KEYS: readonly (keyof ActionConfig)[] = [
  'templatePath', 'templateConfigurationPath', 'parameterOverrides', 'tags', 'capabilities', 'pollIntervalSeconds',
];

/** Keys of the seed's input file that the job itself now provides; accepted and ignored. */
const SEED_KEYS = ['revisionS3Bucket', 'revisionS3Key'];

const CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'];

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** CloudFormation's change set names: a letter, then letters, digits or hyphens, 128 characters at most. */
const CHANGE_SET_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/** The keys a stack of a review of prepared change sets may hold: its template and settings are the pipeline's. */
const PREPARED_STACK_KEYS: (keyof UnitStackConfig)[] = ['stackName', 'assumeRoleArn', 'region'];

/**
 * Settings for creating change sets and running stack operations, which a review of prepared change sets does not
 * do; and the environment prefix, since the stacks are named as the pipeline deploys them.
 */
const NOT_FOR_PREPARED = ['environmentName', 'templateConfigurationPath', 'parameterOverrides', 'tags', 'capabilities', 'roleArn',
  'recreateRolledBackStack', 'revertDrift', 'includeNestedStacks', 'report', 'stackEvents', 's3Bucket', 'stateMachineFile'] as const;

/** Parses UserParameters: JSON, at most 1000 characters, an object. */
export function parseUserParameters(text: string | undefined): Record<string, unknown> {
  if (text === undefined || text.trim() === '') {
    throw new ConfigurationError('UserParameters is empty: the action needs at least stackName and templatePath');
  }
  if (text.length > LIMITS.userParameters) {
    throw new ConfigurationError(
      `UserParameters is ${text.length} characters, over CodePipeline's ${LIMITS.userParameters}: ` +
      'move the large parts (parameters, tags) to the S3 input file (s3Bucket + stateMachineFile)');
  }
  return parseJsonObject(text, 'UserParameters');
}

export function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parseJson(text, what);
  } catch (e) {
    throw new ConfigurationError((e as Error).message);
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

/**
 * Validates the action's configuration: UserParameters, with the S3 input file's keys under them
 * (UserParameters wins). The file may set only INPUT_FILE_KEYS. Every problem is named; unknown keys are refused.
 */
export function validateConfig(params: Record<string, unknown>, inputFile: Record<string, unknown> = {}): ActionConfig {
  const owned = (obj: Record<string, unknown>, k: string) => Object.prototype.hasOwnProperty.call(obj, k);
  const fromFile = Object.keys(inputFile).filter((k) => !SEED_KEYS.includes(k));
  const forbidden = fromFile.filter((k) => owned(KEYS, k) && !INPUT_FILE_KEYS.includes(k as keyof ActionConfig));
  if (forbidden.length > 0) {
    throw new ConfigurationError(
      `the S3 input file may not set ${forbidden.map((k) => JSON.stringify(k)).join(', ')}: the policy, the unsafe-change ` +
      'strategy, stack names, roles, nested-stack inspection, stack deletion and the timeout come from the synthesized action only ' +
      `(the file may set ${INPUT_FILE_KEYS.join(', ')})`);
  }
  const merged = { ...inputFile, ...params };
  const problems: string[] = [];
  // An own key of KEYS, not `in`: "constructor", "toString" or "__proto__" are unknown keys too.
  const unknown = Object.keys(merged).filter((k) => !owned(KEYS, k) && !SEED_KEYS.includes(k));
  if (unknown.length > 0) problems.push(`unknown keys ${unknown.map((k) => JSON.stringify(k)).join(', ')}`);

  let c = merged as Record<string, any>;
  if (c.v !== undefined && c.v !== CONFIG_VERSION) problems.push(`"v" is ${JSON.stringify(c.v)}; this version reads ${CONFIG_VERSION}`);
  if (c.prepared !== undefined) problems.push(...preparedProblems(c));
  else if (c.region !== undefined) problems.push('"region" goes with "prepared" only: a deployment\'s stacks are in the workflow\'s region');
  if (c.stacks !== undefined) {
    const unit = unitProblems(c);
    problems.push(...unit.problems);
    // The single-stack checks below then read the first stack.
    if (unit.first) c = { ...c, ...unit.first };
  }
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
    if (c[key] === undefined && c.prepared !== undefined) continue;
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
  for (const key of ['roleArn', 'assumeRoleArn'] as const) {
    if (c[key] !== undefined && (typeof c[key] !== 'string' || !ROLE_ARN.test(c[key]))) {
      problems.push(`"${key}" must be an IAM role ARN`);
    }
  }
  if (c.pollIntervalSeconds !== undefined && !isIntegerIn(c.pollIntervalSeconds, 1, 300)) {
    problems.push('"pollIntervalSeconds" must be a whole number from 1 to 300');
  }
  if (c.timeoutMinutes !== undefined && !isIntegerIn(c.timeoutMinutes, 1, DEFAULTS.maxTimeoutMinutes)) {
    problems.push(`"timeoutMinutes" must be a whole number from 1 to ${DEFAULTS.maxTimeoutMinutes}`);
  }
  for (const key of ['includeNestedStacks', 'recreateRolledBackStack', 'revertDrift', 'report', 'stackEvents'] as const) {
    if (c[key] !== undefined && typeof c[key] !== 'boolean') problems.push(`"${key}" must be true or false`);
  }
  if (c.policy !== undefined) problems.push(...validatePolicyDocument(c.policy).map((p) => `"policy": ${p}`));
  if (c.onUnsafe !== undefined) problems.push(...validateUnsafeDocument(c.onUnsafe).map((p) => `"onUnsafe": ${p}`));
  if (c.onUnsafe?.type === 'requireApproval' && Number.isInteger(c.onUnsafe.timeoutSeconds)
    && c.onUnsafe.timeoutSeconds > (c.timeoutMinutes ?? DEFAULTS.timeoutMinutes) * 60) {
    problems.push('"onUnsafe": the approval timeout is longer than the action\'s timeout; an approval after the deadline could never be executed');
  }

  if (problems.length > 0) throw new ConfigurationError(`invalid action configuration: ${problems.join('; ')}`);
  const { revisionS3Bucket: _b, revisionS3Key: _k, ...config } = c;
  return config as ActionConfig;
}

/** The most stacks one unit may hold. */
export const MAX_UNIT_STACKS = 50;

/** The keys a unit's stack entry may hold (a review of prepared change sets: PREPARED_STACK_KEYS instead). */
const STACK_KEYS: Record<Exclude<keyof UnitStackConfig, 'assumeRoleArn' | 'region'>, true> = {
  ...STACK_SETTINGS,
  roleArn: true,
  dependsOn: true,
  parameterOutputs: true,
};

/** The single-stack keys that `stacks` replaces. */
const SINGLE_STACK_KEYS = Object.keys(STACK_SETTINGS);

/**
 * Checks a unit (`stacks`): each entry a stack name or an object of STACK_KEYS, names unique, dependencies and
 * output references naming earlier stacks of the unit. Returns the first stack's keys for the checks every
 * deployment gets.
 */
function unitProblems(c: Record<string, any>): { problems: string[]; first?: Record<string, unknown> } {
  const problems: string[] = [];
  if (!Array.isArray(c.stacks) || c.stacks.length < 1 || c.stacks.length > MAX_UNIT_STACKS) {
    return { problems: [`"stacks" must be a list of 1 to ${MAX_UNIT_STACKS} stacks`] };
  }
  const given = SINGLE_STACK_KEYS.filter((k) => c[k] !== undefined);
  if (given.length > 0) problems.push(`"stacks" replaces ${given.map((k) => JSON.stringify(k)).join(', ')}: give each stack its own`);
  if (c.onUnsafe?.type === 'deployToNewStack') problems.push('"stacks" cannot switch to new stacks (deployToNewStack)');
  if (c.recreateRolledBackStack) problems.push('"stacks" cannot recreate rolled-back stacks (recreateRolledBackStack)');
  const entries = (c.stacks as unknown[]).map(unitStackConfig);
  entries.forEach((entry, i) => {
    const where = `"stacks"[${i}]`;
    if (entry === undefined) {
      problems.push(`${where} must be a stack name or an object with stackName`);
      return;
    }
    const known = (k: string) => (c.prepared !== undefined
      ? PREPARED_STACK_KEYS.includes(k as keyof UnitStackConfig) : Object.prototype.hasOwnProperty.call(STACK_KEYS, k));
    const unknown = Object.keys(entry).filter((k) => !known(k));
    if (unknown.length > 0) {
      problems.push(`${where} has unknown keys ${unknown.map((k) => JSON.stringify(k)).join(', ')}` +
        (c.prepared !== undefined ? ` (a stack of prepared change sets holds only ${PREPARED_STACK_KEYS.join(', ')})` : ''));
    }
    const name = entry.stackName;
    if (typeof name !== 'string' || !STACK_NAME.test(fullStackName(name, c.environmentName))) {
      problems.push(`${where}: stack name ${JSON.stringify(name)} is invalid: a letter, then letters, digits or hyphens, 128 characters at most`);
    }
    for (const key of ['templatePath', 'templateConfigurationPath'] as const) {
      if (entry[key] === undefined) continue;
      const problem = typeof entry[key] === 'string' ? artifactPathProblem(entry[key]) : 'must be a path';
      if (problem) problems.push(`${where}: "${key}" ${problem}`);
    }
    for (const key of ['parameterOverrides', 'tags', 'parameterOutputs'] as const) {
      if (entry[key] !== undefined && !isStringMap(entry[key])) problems.push(`${where}: "${key}" must be an object of string values`);
    }
    if (entry.capabilities !== undefined && (!Array.isArray(entry.capabilities) || entry.capabilities.some((x) => !CAPABILITIES.includes(x)))) {
      problems.push(`${where}: "capabilities" must be a list of ${CAPABILITIES.join(', ')}`);
    }
    for (const key of ['roleArn', 'assumeRoleArn'] as const) {
      if (entry[key] !== undefined && (typeof entry[key] !== 'string' || !ROLE_ARN.test(entry[key]))) {
        problems.push(`${where}: "${key}" must be an IAM role ARN`);
      }
    }
    if (entry.region !== undefined && (typeof entry.region !== 'string' || !REGION.test(entry.region))) {
      problems.push(`${where}: "region" must be an AWS region name such as eu-west-1`);
    }
  });
  problems.push(...unitOrderProblems(entries.map((entry) => entry ?? {})));
  const first = entries[0];
  return {
    problems,
    ...(first ? { first: { stackName: first.stackName, templatePath: first.templatePath ?? defaultTemplatePath(String(first.stackName)) } } : {}),
  };
}

/**
 * A review of prepared change sets: their name, a unit of stacks (each its name, and the role and region to read it
 * with), and none of the settings for creating change sets, which the pipeline's own action made.
 */
function preparedProblems(c: Record<string, any>): string[] {
  const problems: string[] = [];
  if (typeof c.prepared !== 'string' || !CHANGE_SET_NAME.test(c.prepared)) {
    problems.push('"prepared" must be a change set name: a letter, then letters, digits or hyphens, 128 characters at most');
  }
  if (c.stacks === undefined) problems.push('"prepared" needs "stacks": the stacks whose change sets are reviewed');
  const given = NOT_FOR_PREPARED.filter((k) => c[k] !== undefined);
  if (given.length > 0) {
    problems.push(`"prepared" change sets were made by the pipeline: ${given.map((k) => JSON.stringify(k)).join(', ')} cannot apply ` +
      '(a stack\'s role and region go in its own entry of "stacks")');
  }
  if (c.onUnsafe?.type === 'deployToNewStack') problems.push('"prepared" change sets cannot be deployed to new stacks (deployToNewStack)');
  if (c.region !== undefined && (typeof c.region !== 'string' || !REGION.test(c.region))) {
    problems.push('"region" must be an AWS region name such as eu-west-1');
  }
  return problems;
}

/**
 * The order of a unit's stacks, for the construct and for the configuration alike: each name once, and every
 * stack a stack needs (`dependsOn`, the stack of each `parameterOutputs` value) an earlier one.
 */
export function unitOrderProblems(stacks: { stackName?: unknown; dependsOn?: unknown; parameterOutputs?: unknown }[]): string[] {
  const problems: string[] = [];
  const earlier: unknown[] = [];
  stacks.forEach((stack, i) => {
    if (earlier.includes(stack.stackName)) problems.push(`stacks[${i}]: stack ${stack.stackName} is in the unit twice`);
    if (stack.dependsOn !== undefined && !Array.isArray(stack.dependsOn)) problems.push(`stacks[${i}]: dependsOn must be a list of stack names`);
    const outputs = Object.entries(isStringMap(stack.parameterOutputs) ? stack.parameterOutputs : {});
    for (const [parameter, ref] of outputs.filter(([, r]) => !outputReference(r))) {
      problems.push(`stacks[${i}]: parameterOutputs.${parameter} is ${JSON.stringify(ref)}, not "<earlier stack>.<OutputKey>"`);
    }
    const needs = [
      ...(Array.isArray(stack.dependsOn) ? stack.dependsOn : []).map((name) => ({ name, what: 'dependsOn' })),
      ...outputs.flatMap(([parameter, ref]) => {
        const from = outputReference(ref)?.stackName;
        return from ? [{ name: from, what: `parameterOutputs.${parameter}` }] : [];
      }),
    ];
    for (const need of needs) {
      if (typeof need.name !== 'string' || !earlier.includes(need.name)) {
        problems.push(`stacks[${i}]: ${need.what} names ${JSON.stringify(need.name)}, which is not an earlier stack of the unit ` +
          '(stacks deploy in the order given; parameterOutputs values are "<earlier stack>.<OutputKey>")');
      }
    }
    earlier.push(stack.stackName);
  });
  return problems;
}

/** A unit's stack entry as an object: a plain name is the stack with its CDK template file. */
function unitStackConfig(entry: unknown): Record<string, any> | undefined {
  if (typeof entry === 'string') return { stackName: entry };
  if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) return entry as Record<string, any>;
  return undefined;
}

/** `<stack name>.<output key>`: the stack name has no dots, so the first dot splits them. */
export function outputReference(ref: unknown): { stackName: string; outputKey: string } | undefined {
  if (typeof ref !== 'string') return undefined;
  const dot = ref.indexOf('.');
  if (dot < 1 || dot === ref.length - 1) return undefined;
  return { stackName: ref.slice(0, dot), outputKey: ref.slice(dot + 1) };
}

/** What the deployment needs to know about the job: CodePipeline's answer, not the event. */
export interface JobFacts {
  readonly id: string;
  readonly artifact?: ArtifactLocation;
  /** When CodePipeline started the action (epoch milliseconds): the timeout counts from there. */
  readonly startedAt: number;
}

/** The state machine input for one job. Everything in it follows from the job and the configuration. */
export function toDeployment(config: ActionConfig, job: JobFacts): Deployment {
  if (!job.artifact && !config.prepared) {
    throw new ConfigurationError('the job has no input artifact in S3: give the action the artifact that holds the template');
  }
  const timeoutMinutes = config.timeoutMinutes ?? DEFAULTS.timeoutMinutes;
  const unit = config.stacks ? unitOf(config) : undefined;
  const head = unit?.[0];
  return {
    stackName: fullStackName(config.stackName, config.environmentName),
    templatePath: config.templatePath,
    ...(config.templateConfigurationPath ? { templateConfigurationPath: config.templateConfigurationPath } : {}),
    parameterOverrides: config.parameterOverrides ?? {},
    tags: config.tags ?? {},
    capabilities: config.capabilities ?? [],
    ...(config.roleArn ? { roleArn: config.roleArn } : {}),
    ...(config.assumeRoleArn ? { assumeRoleArn: config.assumeRoleArn } : {}),
    ...(config.region ? { region: config.region } : {}),
    policy: config.policy ?? DEFAULT_POLICY,
    onUnsafe: config.onUnsafe ?? { type: 'fail' },
    ...(job.artifact ? { artifact: job.artifact } : {}),
    // Prepared change sets are the pipeline's, found by their name; the workflow's own are named after the job.
    ...(config.prepared ? { changeSetName: config.prepared, prepared: true } : { changeSetName: changeSetNameFor(job.id) }),
    pollIntervalSeconds: config.pollIntervalSeconds ?? DEFAULTS.pollIntervalSeconds,
    startedAt: job.startedAt,
    deadline: job.startedAt + timeoutMinutes * 60_000,
    jobId: job.id,
    // Nested stacks are inspected unless the action says otherwise.
    includeNestedStacks: config.includeNestedStacks ?? true,
    ...(config.recreateRolledBackStack ? { recreateRolledBackStack: true } : {}),
    ...(config.revertDrift ? { revertDrift: true } : {}),
    ...(config.report ? { report: true } : {}),
    // Events of another account's stacks do not reach this account's rule: a cross-account deployment polls. Always
    // written: a Choice state's condition on a path that is not there fails the execution in Step Functions.
    stackEvents: config.stackEvents === true && !config.assumeRoleArn && !config.prepared,
    ...(head ? { ...unitHead(head), unit } : {}),
  };
}

/** The unit's stacks with every default filled in and full names. */
function unitOf(config: ActionConfig): UnitStack[] {
  const full = (name: string) => fullStackName(name, config.environmentName);
  return (config.stacks ?? []).map((entry) => {
    const s: UnitStackConfig = typeof entry === 'string' ? { stackName: entry } : entry;
    const parameterOutputs = Object.fromEntries(Object.entries(s.parameterOutputs ?? {}).map(([parameter, ref]) => {
      const { stackName, outputKey } = outputReference(ref)!;
      return [parameter, `${full(stackName)}.${outputKey}`];
    }));
    return {
      stackName: full(s.stackName),
      templatePath: s.templatePath ?? defaultTemplatePath(s.stackName),
      ...(s.templateConfigurationPath ? { templateConfigurationPath: s.templateConfigurationPath } : {}),
      parameterOverrides: s.parameterOverrides ?? {},
      tags: s.tags ?? {},
      capabilities: s.capabilities ?? [],
      ...(s.roleArn ?? config.roleArn ? { roleArn: s.roleArn ?? config.roleArn } : {}),
      ...(s.assumeRoleArn ?? config.assumeRoleArn ? { assumeRoleArn: s.assumeRoleArn ?? config.assumeRoleArn } : {}),
      ...(s.region ?? config.region ? { region: s.region ?? config.region } : {}),
      dependsOn: (s.dependsOn ?? []).map(full),
      parameterOutputs,
    };
  });
}

/** The single-stack fields of a unit's deployment: its first stack's. */
function unitHead(head: UnitStack): Partial<Deployment> {
  return {
    stackName: head.stackName,
    templatePath: head.templatePath,
    ...(head.templateConfigurationPath ? { templateConfigurationPath: head.templateConfigurationPath } : {}),
    parameterOverrides: head.parameterOverrides,
    tags: head.tags,
    capabilities: head.capabilities,
  };
}

/**
 * The deployment of one stack of a unit: the unit's, with that stack's fields; without the unit (the stack tasks
 * see one stack). `parameters` are the values its parameterOutputs resolved to.
 */
export function memberDeployment(deployment: Deployment, index: number, parameters: Record<string, string> = {}): Deployment {
  const { unit, templateConfigurationPath: _t, roleArn: _r, ...shared } = deployment;
  const s = unit![index];
  return {
    ...shared,
    stackName: s.stackName,
    templatePath: s.templatePath,
    ...(s.templateConfigurationPath ? { templateConfigurationPath: s.templateConfigurationPath } : {}),
    parameterOverrides: { ...s.parameterOverrides, ...parameters },
    tags: s.tags,
    capabilities: s.capabilities,
    ...(s.roleArn ? { roleArn: s.roleArn } : {}),
    ...(s.assumeRoleArn ? { assumeRoleArn: s.assumeRoleArn } : {}),
    ...(s.region ? { region: s.region } : {}),
    unitSize: unit!.length,
  };
}

function isStringMap(value: unknown): value is Record<string, string> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    && Object.values(value as object).every((v) => typeof v === 'string');
}

function isIntegerIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}
