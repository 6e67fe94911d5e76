/**
 * The action's configuration and the stack settings it holds, in one model: one table of its keys (where each may
 * be and what it takes), one validator, and one normaliser that turns the configuration into the state machine's
 * input with every default filled in. The constructs run the validator at synth on the configuration their props
 * make; the trigger and the workflow run it at run time on UserParameters (and, for the settings that do not decide
 * safety, the S3 input file) of a job CodePipeline confirmed. Pure: no AWS calls, no logging.
 */
import { CONFIG_VERSION, DEFAULTS, LIMITS, defaultTemplatePath } from './contract';
import type { ActionConfig, ArtifactLocation, Deployment, StackConfig, StackSettings } from './contract';
import { ConfigurationError } from './errors';
import { parseJson, quotedKey } from './json';
import { CHANGE_SET_NAME, STACK_NAME, artifactPathProblem, changeSetNameFor, fullStackName } from './naming';
import { refusalOf, strategyOf } from './policy-document';
import { DEFAULT_POLICY } from './policy-vocabulary';
import { validatePolicyDocument, validateUnsafeDocument } from './validate-document';

/** The most stacks one unit may hold. */
export const MAX_UNIT_STACKS = 50;

/** The first poll interval, in whole seconds. */
export const POLL_INTERVAL_SECONDS = { min: 1, max: 300 } as const;

/** The action's timeout, in whole minutes (CodePipeline gives a Lambda invoke action 24 hours). */
export const TIMEOUT_MINUTES = { min: 1, max: DEFAULTS.maxTimeoutMinutes } as const;

/** CloudFormation's limits for rollback triggers: at most 5 alarms, watched up to 180 minutes after the resources are deployed. */
export const MAX_ROLLBACK_ALARMS = 5;
export const MONITORING_MINUTES = { min: 0, max: 180 } as const;
/** The most alarms besides the rollback alarms that keep a deployment from starting. */
export const MAX_BLOCKING_ALARMS = 20;

const ALARM_ARN = /^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:[^:].{0,254}$/;

const CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'];

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * Where a key may be used: in every deployment (`any`), in every deployment but a review of prepared change sets
 * (`notPrepared`: that review creates and executes nothing), or only in such a review (`preparedOnly`).
 */
type Use = 'any' | 'notPrepared' | 'preparedOnly';

/** One key of the configuration. */
interface Key {
  /** At the top of UserParameters (for a unit: the setting of every stack, or of the deployment). */
  readonly top?: Use;
  /** In an entry of `stacks`. */
  readonly stack?: Use;
  /** A stack's own setting: at the top for one stack; a unit gives each stack its own in `stacks` instead. */
  readonly ownSetting?: true;
  /** The S3 input file may set it: it decides nothing about safety. */
  readonly inputFile?: true;
  /** What is wrong with a value, in words that follow the key's name; undefined when nothing is. */
  readonly check?: (value: unknown) => string | undefined;
  /** A policy document: each problem it has. */
  readonly document?: (value: unknown) => string[];
  /** The construct property that sets it, when the property has another name (messages at synth name the property). */
  readonly prop?: string;
}

const path = (value: unknown) => (typeof value === 'string' ? artifactPathProblem(value) : 'must be a path');
const stringMap = (value: unknown) => (isStringMap(value) ? undefined : 'must be an object of string values');
const isRoleArn = (value: unknown) => (typeof value === 'string' && ROLE_ARN.test(value) ? undefined : 'must be an IAM role ARN');
const isRegion = (value: unknown) => (typeof value === 'string' && REGION.test(value) ? undefined : 'must be an AWS region name such as eu-west-1');
const flag = (value: unknown) => (typeof value === 'boolean' ? undefined : 'must be true or false');
const alarmList = (max: number, remedy: string) => (value: unknown) => (Array.isArray(value) && value.length <= max
  && value.every((a) => a !== null && typeof a === 'object' && typeof a.arn === 'string' && ALARM_ARN.test(a.arn)
    && Object.keys(a).every((k) => k === 'arn' || (k === 'composite' && typeof a.composite === 'boolean')))
  ? undefined
  : `must be a list of at most ${max} CloudWatch alarms, each {"arn": "arn:aws:cloudwatch:<region>:<account>:alarm:<name>"}${remedy}`);
const wholeNumber = ({ min, max }: { min: number; max: number }) => (value: unknown) =>
  (isIntegerIn(value, min, max) ? undefined : `must be a whole number from ${min} to ${max}`);

/**
 * Every key of the configuration: where it may be, what it takes. The stack name, `stacks` and `v` are checked on
 * their own (a stack name with its environment prefix; a unit's entries and order; the format's version).
 */
const KEYS: Record<keyof ActionConfig | keyof StackConfig, Key> = {
  v: { top: 'any' },
  stackName: { top: 'any', stack: 'any', ownSetting: true },
  templatePath: { top: 'any', stack: 'notPrepared', ownSetting: true, inputFile: true, check: path },
  templateConfigurationPath: { top: 'notPrepared', stack: 'notPrepared', ownSetting: true, inputFile: true, check: path, prop: 'templateConfiguration' },
  parameterOverrides: { top: 'notPrepared', stack: 'notPrepared', ownSetting: true, inputFile: true, check: stringMap },
  tags: { top: 'notPrepared', stack: 'notPrepared', ownSetting: true, inputFile: true, check: stringMap },
  capabilities: {
    top: 'notPrepared',
    stack: 'notPrepared',
    ownSetting: true,
    inputFile: true,
    check: (value) => (Array.isArray(value) && value.every((x) => CAPABILITIES.includes(x)) ? undefined : `must be a list of ${CAPABILITIES.join(', ')}`),
    prop: 'cfnCapabilities',
  },
  roleArn: { top: 'notPrepared', stack: 'notPrepared', check: isRoleArn, prop: 'deploymentRole' },
  rollbackAlarms: {
    top: 'notPrepared',
    stack: 'notPrepared',
    check: alarmList(MAX_ROLLBACK_ALARMS, ' (CloudFormation takes at most 5 rollback triggers: combine more alarms into a composite alarm)'),
  },
  monitoringMinutes: { top: 'notPrepared', stack: 'notPrepared', check: wholeNumber(MONITORING_MINUTES), prop: 'monitoringTime' },
  // DescribeAlarms reads at most 100 alarms by name in one call, rollback alarms included.
  blockingAlarms: { top: 'notPrepared', check: alarmList(MAX_BLOCKING_ALARMS, '') },
  whenAlarmFiring: { top: 'notPrepared', check: (value) => (value === 'WAIT' || value === 'FAIL' ? undefined : 'must be WAIT or FAIL') },
  dependsOn: { stack: 'notPrepared' },
  parameterOutputs: { stack: 'notPrepared', check: stringMap },
  assumeRoleArn: { top: 'any', stack: 'preparedOnly', check: isRoleArn, prop: 'targetAccountRole' },
  region: { top: 'preparedOnly', stack: 'preparedOnly', check: isRegion },
  environmentName: {
    top: 'notPrepared',
    check: (value) => (typeof value === 'string' && /^[A-Za-z][A-Za-z0-9-]*$/.test(value) ? undefined
      : 'must start with a letter and hold letters, digits or hyphens'),
  },
  recreateRolledBackStack: { top: 'notPrepared', check: flag },
  revertDrift: { top: 'notPrepared', check: flag },
  includeNestedStacks: { top: 'notPrepared', check: flag },
  report: { top: 'notPrepared', check: flag, prop: 'reportArtifact' },
  stackEvents: { top: 'notPrepared', check: flag },
  s3Bucket: { top: 'notPrepared', prop: 'inputFileBucket' },
  stateMachineFile: { top: 'notPrepared', prop: 'inputFileKey' },
  stacks: { top: 'any' },
  prepared: {
    top: 'any',
    check: (value) => (typeof value === 'string' && CHANGE_SET_NAME.test(value) ? undefined
      : 'must be a change set name: a letter, then letters, digits or hyphens, 128 characters at most'),
  },
  policy: { top: 'any', document: validatePolicyDocument, prop: 'safetyPolicy' },
  onUnsafe: { top: 'any', document: validateUnsafeDocument, prop: 'onUnsafeChange' },
  pollIntervalSeconds: { top: 'any', inputFile: true, check: wholeNumber(POLL_INTERVAL_SECONDS), prop: 'pollInterval' },
  timeoutMinutes: { top: 'any', check: wholeNumber(TIMEOUT_MINUTES), prop: 'timeout' },
};

type KeyName = keyof typeof KEYS;
const ALL_KEYS = Object.keys(KEYS) as KeyName[];

/** Whether a key used so may be given in this deployment (a review of prepared change sets or not). */
function usableIn(use: Use | undefined, prepared: boolean): boolean {
  return use !== undefined && (use === 'any' || (use === 'preparedOnly') === prepared);
}

/**
 * The keys the S3 input file may set: what to deploy and how, never what decides safety. The policy, the
 * unsafe-change strategy, the stack, the roles, nested-stack inspection, stack deletion and the deadline come
 * from the synthesized action only: whoever may write to that bucket must not be able to turn the gate off.
 */
export const INPUT_FILE_KEYS: readonly (keyof ActionConfig)[] = ALL_KEYS.filter((k) => KEYS[k].inputFile) as (keyof ActionConfig)[];

/** Keys of the original sample's input file that the job itself now provides; accepted and ignored. */
const SAMPLE_INPUT_FILE_KEYS = ['revisionS3Bucket', 'revisionS3Key'];

const owned = (obj: object, k: string) => Object.prototype.hasOwnProperty.call(obj, k);

/** A stack or parameter name as is when it is plain letters, digits and hyphens; quoted (quotedKey) otherwise. */
function plainOrQuoted(name: unknown): string {
  if (typeof name !== 'string') return JSON.stringify(name);
  return /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/.test(name) ? name : quotedKey(name);
}

/** The keys UserParameters may hold at the top, sorted (what an unknown key is told it could have been). */
export const TOP_LEVEL_KEYS: readonly string[] = ALL_KEYS.filter((k) => KEYS[k].top).sort();

/** The keys at the top of a configuration that it cannot hold ("constructor" or "__proto__" included). */
export function unknownTopLevelKeys(config: Record<string, unknown>): string[] {
  return Object.keys(config).filter((k) => !(owned(KEYS, k) && KEYS[k as KeyName].top) && !SAMPLE_INPUT_FILE_KEYS.includes(k));
}

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

/** Where the S3 input file is, when UserParameters names one (the original sample's form). */
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
 * Validates the action's configuration at run time: UserParameters, with the S3 input file's keys under them
 * (UserParameters wins). The file may set only INPUT_FILE_KEYS. Every problem is named; unknown keys are refused.
 */
export function validateConfig(params: Record<string, unknown>, inputFile: Record<string, unknown> = {}): ActionConfig {
  const fromFile = Object.keys(inputFile).filter((k) => !SAMPLE_INPUT_FILE_KEYS.includes(k));
  const forbidden = fromFile.filter((k) => owned(KEYS, k) && KEYS[k as KeyName].top && !KEYS[k as KeyName].inputFile);
  if (forbidden.length > 0) {
    throw new ConfigurationError(
      `the S3 input file may not set ${forbidden.map((k) => JSON.stringify(k)).join(', ')}: the policy, the unsafe-change ` +
      'strategy, stack names, roles, nested-stack inspection, stack deletion and the timeout come from the synthesized action only ' +
      `(the file may set ${INPUT_FILE_KEYS.join(', ')})`);
  }
  const merged = { ...inputFile, ...params };
  const problems = configProblems(merged);
  if (problems.length > 0) throw new ConfigurationError(`invalid action configuration: ${problems.join('; ')}`);
  const { revisionS3Bucket: _b, revisionS3Key: _k, ...config } = merged;
  return config as unknown as ActionConfig;
}

/** How the validator names things and which values it leaves alone. */
export interface ConfigCheckOptions {
  /**
   * Name the keys as the construct's properties, unquoted (`deploymentRole`, `stacks[0]: templatePath`): the
   * messages at synth. By default they are named as the configuration's keys, quoted (`"stacks"[0]: "templatePath"`).
   */
  readonly asProps?: boolean;
  /** A value that is not known yet (a CDK token at synth): it is checked at run time instead. */
  readonly isUnresolved?: (value: unknown) => boolean;
}

/**
 * Every problem of a configuration, at synth and at run time alike: unknown keys, keys where they cannot be (a
 * unit's own settings at the top, creation settings in a review of prepared change sets), values that are not what
 * their key takes, a unit's size and order, and strategies the deployment cannot keep.
 */
export function configProblems(config: Record<string, unknown>, options: ConfigCheckOptions = {}): string[] {
  const c = config as Record<string, any>;
  const name = nameOf(options);
  const names = (ks: KeyName[]) => ks.map(name).join(', ');
  const known = (value: unknown) => value !== undefined && !options.isUnresolved?.(value);
  const prepared = c.prepared !== undefined;
  const problems: string[] = [];

  // An own key of KEYS, not `in`: "constructor", "toString" or "__proto__" are unknown keys too.
  const unknown = unknownTopLevelKeys(c);
  if (unknown.length > 0) problems.push(`unknown keys ${unknown.map(quotedKey).join(', ')} (known: ${TOP_LEVEL_KEYS.join(', ')})`);
  if (c.v !== undefined && c.v !== CONFIG_VERSION) problems.push(`"v" is ${JSON.stringify(c.v)}; this version reads ${CONFIG_VERSION}`);

  const given = (ks: KeyName[]) => ks.filter((k) => c[k] !== undefined);
  if (prepared) {
    if (c.stacks === undefined) problems.push(`${name('prepared')} needs ${name('stacks')}: the stacks whose change sets are reviewed`);
    const cannot = given(ALL_KEYS.filter((k) => KEYS[k].top === 'notPrepared'));
    if (cannot.length > 0) {
      problems.push(`${name('prepared')} change sets were made by the pipeline: ${names(cannot)} cannot apply ` +
        `(a stack's role and region go in its own entry of ${name('stacks')})`);
    }
    const refused = refusalOf(c.onUnsafe, 'prepared');
    if (refused) problems.push(`${name('prepared')} ${refused.config} (${c.onUnsafe.type})`);
  } else if (c.region !== undefined) {
    problems.push(`${name('region')} goes with ${name('prepared')} only: a deployment's stacks are in the workflow's region`);
  }

  if (c.stacks !== undefined) {
    problems.push(...unitProblems(c, options));
  } else if (typeof c.stackName !== 'string' && !options.isUnresolved?.(c.stackName)) {
    problems.push(`${name('stackName')} is missing`);
  } else {
    problems.push(...stackNameProblems('', c.stackName, c.environmentName, options));
    if (c.templatePath === undefined && !prepared) problems.push(`${name('templatePath')} is missing`);
  }

  for (const k of ALL_KEYS) {
    const key = KEYS[k];
    if (!usableIn(key.top, prepared) || !known(c[k])) continue;
    const problem = key.check?.(c[k]);
    if (problem) problems.push(`${name(k)} ${problem}`);
    problems.push(...(key.document?.(c[k]) ?? []).map((p) => `${name(k)}: ${p}`));
  }
  problems.push(...monitoringProblems(c, options));
  const approvalSeconds = strategyOf(c.onUnsafe?.type)?.approvalSeconds?.(c.onUnsafe);
  if (Number.isInteger(approvalSeconds) && (approvalSeconds as number) > (c.timeoutMinutes ?? DEFAULTS.timeoutMinutes) * 60) {
    problems.push(`${name('onUnsafe')}: the approval timeout is longer than the action's timeout; an approval after the deadline could never be executed`);
  }
  return problems;
}

/**
 * A monitoring period that leaves no time to deploy: CloudFormation's operation lasts at least the monitoring time, so
 * an action whose timeout is not longer would always give up while the stack is still watched.
 */
function monitoringProblems(c: Record<string, any>, options: ConfigCheckOptions): string[] {
  const name = nameOf(options);
  const timeout = c.timeoutMinutes ?? DEFAULTS.timeoutMinutes;
  const entries = Array.isArray(c.stacks) ? c.stacks.map(stackConfigOf) : [];
  const longest = Math.max(...[c.monitoringMinutes, ...entries.map((e: StackConfig | undefined) => e?.monitoringMinutes)]
    .filter((m): m is number => typeof m === 'number' && !options.isUnresolved?.(m)), 0);
  if (typeof timeout !== 'number' || options.isUnresolved?.(timeout) || longest < timeout) return [];
  return [`${name('monitoringMinutes')} of ${longest} minutes leaves no time within the action's ${name('timeoutMinutes')} of ${timeout} minutes: ` +
    `the stack is watched that long after its resources are deployed; give a ${name('timeoutMinutes')} longer than the deployment and its monitoring together`];
}

/** A key's name in messages: the construct's property at synth, the configuration's key (quoted) at run time. */
function nameOf(options: ConfigCheckOptions): (k: KeyName) => string {
  return (k) => (options.asProps ? KEYS[k].prop ?? k : JSON.stringify(k));
}

/** The stack name with its environment prefix: CloudFormation's rules. */
function stackNameProblems(at: string, stackName: unknown, environmentName: unknown, options: ConfigCheckOptions): string[] {
  if (options.isUnresolved?.(stackName) || options.isUnresolved?.(environmentName)) return [];
  const full = typeof stackName === 'string' ? fullStackName(stackName, typeof environmentName === 'string' ? environmentName : undefined) : stackName;
  if (typeof full === 'string' && STACK_NAME.test(full)) return [];
  return [`${at}stack name ${JSON.stringify(full)} is invalid: use a letter, then letters, digits or hyphens, 128 characters at most`];
}

/**
 * A unit (`stacks`): 1 to MAX_UNIT_STACKS entries, each a stack name or an object of a stack's keys (a review of
 * prepared change sets: its name, role and region only), none of a stack's own settings at the top, names unique,
 * dependencies and output references naming earlier stacks of the unit.
 */
function unitProblems(c: Record<string, any>, options: ConfigCheckOptions): string[] {
  const name = nameOf(options);
  const entryName = (i: number) => (options.asProps ? `stacks[${i}]` : `"stacks"[${i}]`);
  const prepared = c.prepared !== undefined;
  if (!Array.isArray(c.stacks) || c.stacks.length < 1 || c.stacks.length > MAX_UNIT_STACKS) {
    return [`${name('stacks')} must be a list of 1 to ${MAX_UNIT_STACKS} stacks${Array.isArray(c.stacks) ? `, not ${c.stacks.length}` : ''}`];
  }
  const problems: string[] = [];
  const own = ALL_KEYS.filter((k) => KEYS[k].ownSetting && c[k] !== undefined);
  if (own.length > 0) problems.push(`${name('stacks')} replaces ${own.map(name).join(', ')}: give each stack its own`);
  const refused = refusalOf(c.onUnsafe, 'units');
  if (refused) problems.push(`${name('stacks')} ${refused.config} (${c.onUnsafe.type})`);
  if (c.recreateRolledBackStack) {
    problems.push(`${name('recreateRolledBackStack')} is not available with ${name('stacks')}: deploy such a stack on its own`);
  }
  const stackKeys = ALL_KEYS.filter((k) => usableIn(KEYS[k].stack, prepared));
  const entries = (c.stacks as unknown[]).map(stackConfigOf);
  entries.forEach((entry, i) => {
    if (entry === undefined) {
      problems.push(`${entryName(i)} must be a stack name or an object with stackName`);
      return;
    }
    const unknown = Object.keys(entry).filter((k) => !stackKeys.includes(k as KeyName));
    if (unknown.length > 0) {
      problems.push(`${entryName(i)} has unknown keys ${unknown.map(quotedKey).join(', ')}` +
        (prepared ? ` (a stack of prepared change sets holds only ${stackKeys.join(', ')})` : ` (known: ${[...stackKeys].sort().join(', ')})`));
    }
    const at = `${entryName(i)}: `;
    problems.push(...stackNameProblems(at, entry.stackName, c.environmentName, options));
    for (const k of stackKeys) {
      const value = (entry as unknown as Record<string, unknown>)[k];
      if (value === undefined || options.isUnresolved?.(value)) continue;
      const problem = KEYS[k].check?.(value);
      if (problem) problems.push(`${at}${name(k)} ${problem}`);
    }
  });
  problems.push(...unitOrderProblems(entries.map((entry) => entry ?? {})));
  return problems;
}

/**
 * The order of a unit's stacks: each name once, and every stack a stack needs (`dependsOn`, the stack of each
 * `parameterOutputs` value) an earlier one.
 */
function unitOrderProblems(stacks: { stackName?: unknown; dependsOn?: unknown; parameterOutputs?: unknown }[]): string[] {
  const problems: string[] = [];
  const earlier: unknown[] = [];
  stacks.forEach((stack, i) => {
    if (earlier.includes(stack.stackName)) problems.push(`stacks[${i}]: stack ${plainOrQuoted(stack.stackName)} is in the unit twice`);
    if (stack.dependsOn !== undefined && !Array.isArray(stack.dependsOn)) problems.push(`stacks[${i}]: dependsOn must be a list of stack names`);
    const outputs = Object.entries(isStringMap(stack.parameterOutputs) ? stack.parameterOutputs : {});
    for (const [parameter, ref] of outputs.filter(([, r]) => !outputReference(r))) {
      problems.push(`stacks[${i}]: ${outputsEntry(parameter)} is ${JSON.stringify(ref)}, not "<earlier stack>.<OutputKey>"`);
    }
    const needs = [
      ...(Array.isArray(stack.dependsOn) ? stack.dependsOn : []).map((n) => ({ name: n, what: 'dependsOn' })),
      ...outputs.flatMap(([parameter, ref]) => {
        const from = outputReference(ref)?.stackName;
        return from ? [{ name: from, what: outputsEntry(parameter) }] : [];
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

/** A parameterOutputs entry in a message: `parameterOutputs.P`, or `parameterOutputs["..."]` for a name that is not plain. */
function outputsEntry(parameter: string): string {
  const shown = plainOrQuoted(parameter);
  return shown === parameter ? `parameterOutputs.${parameter}` : `parameterOutputs[${shown}]`;
}

/** A unit's stack entry as an object: a plain name is the stack with its CDK template file. */
function stackConfigOf(entry: unknown): StackConfig | undefined {
  if (typeof entry === 'string') return { stackName: entry };
  if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) return entry as StackConfig;
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

/**
 * The state machine input for one job, from a validated configuration: every default filled in, here and nowhere
 * else. Everything in it follows from the job and the configuration.
 */
export function toDeployment(config: ActionConfig, job: JobFacts): Deployment {
  if (!job.artifact && !config.prepared) {
    throw new ConfigurationError('the job has no input artifact in S3: give the action the artifact that holds the template');
  }
  const timeoutMinutes = config.timeoutMinutes ?? DEFAULTS.timeoutMinutes;
  const entries = config.stacks?.map((entry) => stackConfigOf(entry)!);
  const unit = entries?.map((entry) => stackSettings(entry, config, true));
  // A unit's deployment has its first stack's settings, with the roles and region of the action.
  const head = entries ? { ...entries[0], roleArn: undefined, assumeRoleArn: undefined, region: undefined } : config as StackConfig;
  const own = stackSettings(head, config, false);
  return {
    ...own,
    policy: config.policy ?? DEFAULT_POLICY,
    onUnsafe: config.onUnsafe ?? { type: 'fail' },
    ...(job.artifact ? { artifact: job.artifact } : {}),
    // Prepared change sets are the pipeline's, found by their name; the workflow's own are named after the job.
    ...(config.prepared ? { changeSetName: config.prepared, prepared: config.prepared } : { changeSetName: changeSetNameFor(job.id) }),
    pollIntervalSeconds: config.pollIntervalSeconds ?? DEFAULTS.pollIntervalSeconds,
    startedAt: job.startedAt,
    deadline: job.startedAt + timeoutMinutes * 60_000,
    jobId: job.id,
    // Nested stacks are inspected unless the action says otherwise.
    includeNestedStacks: config.includeNestedStacks ?? true,
    ...(config.recreateRolledBackStack ? { recreateRolledBackStack: true } : {}),
    ...(config.revertDrift ? { revertDrift: true } : {}),
    ...(config.report ? { report: true } : {}),
    ...(config.blockingAlarms && config.blockingAlarms.length > 0 ? { blockingAlarms: config.blockingAlarms } : {}),
    ...(config.whenAlarmFiring ? { whenAlarmFiring: config.whenAlarmFiring } : {}),
    // Events of another account's stacks do not reach this account's rule: a cross-account deployment polls. Always
    // written: a Choice state's condition on a path that is not there fails the execution in Step Functions.
    stackEvents: config.stackEvents === true && !config.assumeRoleArn && !config.prepared,
    ...(unit ? { unit } : {}),
  };
}

/**
 * One stack's settings, normalised: the full name, the template (CDK's file name for a stack of a unit given by name),
 * empty parameters, tags and capabilities by default, and the action's roles and region where the stack names none.
 * A stack of a unit also gets its dependencies and output references, by full name.
 */
function stackSettings(s: StackConfig, config: ActionConfig, inUnit: boolean): StackSettings {
  const full = (name: string) => fullStackName(name, config.environmentName);
  const roleArn = s.roleArn ?? config.roleArn;
  const assumeRoleArn = s.assumeRoleArn ?? config.assumeRoleArn;
  const region = s.region ?? config.region;
  return {
    stackName: full(s.stackName),
    templatePath: s.templatePath ?? defaultTemplatePath(s.stackName),
    ...(s.templateConfigurationPath ? { templateConfigurationPath: s.templateConfigurationPath } : {}),
    parameterOverrides: s.parameterOverrides ?? {},
    tags: s.tags ?? {},
    capabilities: s.capabilities ?? [],
    ...(roleArn ? { roleArn } : {}),
    ...(assumeRoleArn ? { assumeRoleArn } : {}),
    ...(region ? { region } : {}),
    ...rollbackSettings(s, config),
    ...(inUnit ? {
      dependsOn: (s.dependsOn ?? []).map(full),
      parameterOutputs: Object.fromEntries(Object.entries(s.parameterOutputs ?? {}).map(([parameter, ref]) => {
        const { stackName, outputKey } = outputReference(ref)!;
        return [parameter, `${full(stackName)}.${outputKey}`];
      })),
    } : {}),
  };
}

/** A stack's rollback alarms and monitoring time: its own, else the action's. An empty list is no alarm. */
function rollbackSettings(s: StackConfig, config: ActionConfig): Pick<StackSettings, 'rollbackAlarms' | 'monitoringMinutes'> {
  const alarms = s.rollbackAlarms ?? config.rollbackAlarms;
  const minutes = s.monitoringMinutes ?? config.monitoringMinutes;
  return {
    ...(alarms && alarms.length > 0 ? { rollbackAlarms: alarms } : {}),
    ...(minutes !== undefined ? { monitoringMinutes: minutes } : {}),
  };
}

/**
 * The deployment of one stack of a unit: the unit's, with that stack's settings; without the unit (the stack tasks
 * see one stack). `parameters` are the values its parameterOutputs resolved to.
 */
export function memberDeployment(deployment: Deployment, index: number, parameters: Record<string, string> = {}): Deployment {
  // A stack's own settings come from its entry only: never the first stack's (the deployment's) left in place.
  const { unit, templateConfigurationPath: _t, roleArn: _r, rollbackAlarms: _a, monitoringMinutes: _m, ...shared } = deployment;
  const { dependsOn: _d, parameterOutputs: _p, ...settings } = unit![index];
  return {
    ...shared,
    ...settings,
    parameterOverrides: { ...settings.parameterOverrides, ...parameters },
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
