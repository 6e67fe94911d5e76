/**
 * Property-based tests (fast-check) of reading a CodePipeline job (issue item 6, B1, B4, B5): whatever the
 * event, UserParameters, continuation token or S3 input file holds, parsing either succeeds with values that
 * keep their invariants or fails with a ConfigurationError whose message says what is wrong, never a
 * TypeError; and the trigger answers CodePipeline for every event that has a job id.
 */
import fc from 'fast-check';
import {
  decodeContinuationToken, encodeContinuationToken, parseJobEvent, parseUserParameters, toDeployment, validateConfig,
} from '../../src/action/job';
import { runTrigger } from '../../src/action/trigger';
import { DEFAULTS, LIMITS } from '../../src/shared/contract';
import { ConfigurationError } from '../../src/shared/errors';
import { CHANGE_SET_NAME, STACK_NAME, artifactPathProblem, changeSetNameFor, executionNameFor } from '../../src/shared/naming';
import { STATE_MACHINE_ARN } from '../handlers/fakes';
import { TriggerWorld, jobEvent } from '../handlers/trigger-support';

const RUNS = 300;

/** Runs `fn`; a failure must be a ConfigurationError with a message. Returns the value or the error. */
function attempt<T>(fn: () => T): { value: T } | { error: ConfigurationError } {
  try {
    return { value: fn() };
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigurationError);
    expect((e as Error).name).toBe('ConfigurationError');
    expect((e as Error).message.trim().length).toBeGreaterThan(10);
    return { error: e as ConfigurationError };
  }
}

// ------------------------------------------------------------------------------------------- arbitraries

const KNOWN_KEYS = [
  'v', 'stackName', 'environmentName', 'templatePath', 'templateConfigurationPath', 'parameterOverrides', 'tags',
  'capabilities', 'roleArn', 'includeNestedStacks', 'policy', 'onUnsafe', 'pollIntervalSeconds', 'timeoutMinutes',
  's3Bucket', 'stateMachineFile',
];
const SEED_KEYS = ['revisionS3Bucket', 'revisionS3Key'];
/** Keys every JavaScript object answers to: a validation that uses `in` or `obj[key]` mistakes them for known keys. */
const PROTOTYPE_KEYS = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'];

const anything = fc.anything({ maxDepth: 3, withNullPrototype: true, withObjectString: true });
const json = fc.jsonValue({ maxDepth: 3 });

const stackNameArb = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,40}$/) },
  { weight: 1, arbitrary: fc.string({ maxLength: 140 }) },
  { weight: 1, arbitrary: json },
);
const pathArb = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z]{1,8}(\/[a-z]{1,8}){0,3}\.json$/) },
  { weight: 1, arbitrary: fc.constantFrom('../x.json', '/etc/passwd', 'a\\b.json', './a.json', '', 'a/./b.json') },
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: json },
);
const stringMapArb = fc.oneof(fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 3 }), json);

/** A configuration object: mostly well-formed values, sometimes anything, plus now and then an unknown key. */
const configArb: fc.Arbitrary<Record<string, unknown>> = fc.tuple(
  fc.record({
    v: fc.oneof(fc.constant(1), json),
    stackName: stackNameArb,
    environmentName: fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), json),
    templatePath: pathArb,
    templateConfigurationPath: pathArb,
    parameterOverrides: stringMapArb,
    tags: stringMapArb,
    capabilities: fc.oneof(fc.subarray(['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND']), json),
    roleArn: fc.oneof(fc.constant('arn:aws:iam::123456789012:role/deploy'), fc.string(), json),
    includeNestedStacks: fc.oneof(fc.boolean(), json),
    policy: fc.oneof(fc.constant({ type: 'allowAll' }), fc.constant({ type: 'denyDestructive' }), json),
    onUnsafe: fc.oneof(fc.constant({ type: 'fail' }), json),
    pollIntervalSeconds: fc.oneof(fc.integer({ min: -5, max: 400 }), json),
    timeoutMinutes: fc.oneof(fc.integer({ min: -5, max: 24 * 60 + 5 }), json),
  }, { requiredKeys: [] }),
  fc.dictionary(
    fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS, ...SEED_KEYS, 'stackname', 'StackName', 'template_path'), fc.string({ maxLength: 12 })),
    json,
    { maxKeys: 2 },
  ),
  fc.boolean(),
).map(([known, extra, withExtra]) => (withExtra ? { ...known, ...JSON.parse(JSON.stringify(extra)) } : known));

/** A configuration validateConfig accepts (checked in a property below). */
const validConfigArb = fc.record({
  stackName: fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,60}$/),
  templatePath: fc.stringMatching(/^[a-z]{1,8}(\/[a-z]{1,8}){0,2}\.json$/),
  environmentName: fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/),
  timeoutMinutes: fc.integer({ min: 1, max: DEFAULTS.maxTimeoutMinutes }),
}, { requiredKeys: ['stackName', 'templatePath'] });

const userParametersArb = fc.oneof(
  { weight: 3, arbitrary: validConfigArb.map((c) => JSON.stringify(c)) },
  { weight: 3, arbitrary: configArb.map((c) => JSON.stringify(c)) },
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.string({ minLength: 990, maxLength: 1100 }).map((pad) => JSON.stringify({ stackName: 'app', templatePath: 'a.json', tags: { pad } })) },
  { weight: 1, arbitrary: fc.constantFrom('', '   ', 'null', '[]', '{}', '"x"', '{"__proto__":{"stackName":"a"}}', '{"stackName":"a",', '\u0000') },
);

const executionArnArb = fc.oneof(
  fc.constant(`${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:cp-job`),
  fc.string({ maxLength: 60 }).map((s) => `arn:${s}`),
);
const continuationTokenArb = fc.oneof(
  { weight: 2, arbitrary: executionArnArb.map((executionArn) => JSON.stringify({ executionArn })) },
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.record({ executionArn: json }).map((t) => JSON.stringify(t)) },
);

const jobIdArb = fc.oneof({ weight: 3, arbitrary: fc.uuid() }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 120 }) });

/** A job event: CodePipeline's shape with random parts, or something else entirely. */
const eventArb: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      id: jobIdArb,
      userParameters: userParametersArb,
      continuationToken: fc.option(continuationTokenArb, { nil: undefined, freq: 2 }),
      withArtifact: fc.boolean(),
      // Replaces one part of the event with anything.
      mutation: fc.option(fc.tuple(fc.constantFrom('id', 'data', 'actionConfiguration', 'inputArtifacts', 'location', 'UserParameters', 'job'), anything), { nil: undefined, freq: 2 }),
    }).map(({ mutation, ...options }) => mutate(jobEvent(options), mutation)),
  },
  { weight: 1, arbitrary: anything },
  { weight: 1, arbitrary: fc.record({ 'CodePipeline.job': anything }) },
);

function mutate(event: Record<string, any>, mutation: [string, unknown] | undefined): unknown {
  if (!mutation) return event;
  const [where, value] = mutation;
  const job = event['CodePipeline.job'];
  switch (where) {
    case 'job': event['CodePipeline.job'] = value; break;
    case 'id': job.id = value; break;
    case 'data': job.data = value; break;
    case 'actionConfiguration': job.data.actionConfiguration = value; break;
    case 'inputArtifacts': job.data.inputArtifacts = value; break;
    case 'location': if (job.data.inputArtifacts[0]) job.data.inputArtifacts[0].location = value; break;
    default: job.data.actionConfiguration.configuration.UserParameters = value;
  }
  return event;
}

// ------------------------------------------------------------------------------------------- properties


/** A first job either fails as a ConfigurationError with nothing started, or starts exactly one execution (true). */
function failedCleanlyOrStarted(failure: string | undefined, world: TriggerWorld): boolean {
  if (failure) {
    expect(failure).toMatch(/^ConfigurationError: \S/);
    expect(world.sfn.executions.size).toBe(0);
    return false;
  }
  expect(world.sfn.executions.size).toBe(1);
  return true;
}

describe('parsing the job, property-based', () => {
  test('parseJobEvent: any value gives a job with a non-empty id and well-typed parts, or a ConfigurationError', () => {
    fc.assert(fc.property(eventArb, (event) => {
      const result = attempt(() => parseJobEvent(event));
      if ('error' in result) {
        expect(result.error.message).toContain('CodePipeline.job.id');
        return;
      }
      const job = result.value;
      expect(typeof job.id).toBe('string');
      expect(job.id.length).toBeGreaterThan(0);
      for (const key of ['accountId', 'userParameters', 'continuationToken'] as const) {
        if (key in job) expect(typeof job[key]).toBe('string');
      }
      if (job.continuationToken !== undefined) expect(job.continuationToken.length).toBeGreaterThan(0);
      if (job.artifact) {
        expect(typeof job.artifact.bucket).toBe('string');
        expect(typeof job.artifact.key).toBe('string');
      }
    }), { numRuns: RUNS });
  });

  test('parseUserParameters: any string gives a JSON object, or a ConfigurationError; over 1000 characters is always refused', () => {
    fc.assert(fc.property(fc.option(userParametersArb, { nil: undefined }), (text) => {
      const result = attempt(() => parseUserParameters(text));
      if ('value' in result) {
        expect(result.value).not.toBeNull();
        expect(typeof result.value).toBe('object');
        expect(Array.isArray(result.value)).toBe(false);
        expect(text!.length).toBeLessThanOrEqual(LIMITS.userParameters);
      } else if (text !== undefined && text.trim() !== '' && text.length > LIMITS.userParameters) {
        expect(result.error.message).toContain(`over CodePipeline's ${LIMITS.userParameters}`);
      }
    }), { numRuns: RUNS });
  });

  test('validateConfig: any object gives a configuration that keeps every rule, or a ConfigurationError naming the problems', () => {
    let accepted = 0;
    fc.assert(fc.property(fc.oneof(configArb, validConfigArb), (config) => {
      const result = attempt(() => validateConfig(config));
      if ('error' in result) {
        expect(result.error.message).toMatch(/^invalid action configuration: \S/);
        return;
      }
      accepted++;
      const valid = result.value as unknown as Record<string, unknown>;
      for (const key of Object.keys(valid)) expect(KNOWN_KEYS).toContain(key);
      const full = valid.environmentName ? `${valid.environmentName}-${valid.stackName}` : valid.stackName as string;
      expect(full).toMatch(STACK_NAME);
      expect(artifactPathProblem(valid.templatePath as string)).toBeUndefined();
      // And the deployment the trigger would start from it is well-formed.
      const deployment = toDeployment(result.value, { id: 'job-1', artifact: { bucket: 'b', key: 'k' } }, 0);
      expect(deployment.changeSetName).toMatch(CHANGE_SET_NAME);
      expect(deployment.deadline).toBeGreaterThan(deployment.startedAt);
      expect(deployment.deadline - deployment.startedAt).toBeLessThanOrEqual(DEFAULTS.maxTimeoutMinutes * 60_000);
    }), { numRuns: RUNS });
    expect(accepted).toBeGreaterThan(RUNS / 10);
  });

  test('validateConfig: adding any unknown key to a valid configuration gets it refused, naming that key', () => {
    const unknownKey = fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS, 'stackname', 'Policy'), fc.string({ minLength: 1, maxLength: 12 }))
      .filter((k) => !KNOWN_KEYS.includes(k) && !SEED_KEYS.includes(k));
    fc.assert(fc.property(validConfigArb, unknownKey, json, (config, key, value) => {
      expect(() => validateConfig(config)).not.toThrow();
      const withKey = JSON.parse(JSON.stringify({ ...config, [key]: value ?? null }));
      expect(() => validateConfig(withKey)).toThrow(`unknown keys ${JSON.stringify(key)}`);
    }), { numRuns: RUNS });
  });

  test('continuation tokens: any string decodes to an execution ARN or is a ConfigurationError; what the trigger writes reads back', () => {
    fc.assert(fc.property(continuationTokenArb, (token) => {
      const result = attempt(() => decodeContinuationToken(token));
      if ('value' in result) expect(result.value.executionArn.startsWith('arn:')).toBe(true);
      else expect(result.error.message).toMatch(/^the continuation token /);
    }), { numRuns: RUNS });
    fc.assert(fc.property(executionArnArb, (executionArn) => {
      expect(decodeContinuationToken(encodeContinuationToken({ executionArn }))).toEqual({ executionArn });
    }), { numRuns: 100 });
  });

  test('names derived from any job id are valid: change set (CloudFormation) and execution (Step Functions)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (jobId) => {
      expect(changeSetNameFor(jobId)).toMatch(CHANGE_SET_NAME);
      expect(executionNameFor(jobId)).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    }), { numRuns: RUNS });
  });
});

describe('the trigger, property-based', () => {
  /** Runs the trigger in a fresh world; checks it answered the job once, or refused an event without a job. */
  async function checkTrigger(event: unknown, world = new TriggerWorld()): Promise<{ failure?: string; outcome?: string }> {
    let jobId: string | undefined;
    try {
      jobId = parseJobEvent(event).id;
    } catch {
      jobId = undefined;
    }
    if (jobId === undefined) {
      // No job id: nobody to answer. The trigger refuses the event and calls nothing.
      await expect(runTrigger(event, world.deps)).rejects.toMatchObject({ name: 'ConfigurationError' });
      expect(world.codepipeline.mock.calls()).toHaveLength(0);
      expect(world.sfn.mock.calls()).toHaveLength(0);
      return {};
    }
    const outcome = await runTrigger(event, world.deps);
    expect(['STARTED', 'RUNNING', 'SUCCEEDED', 'FAILED']).toContain(outcome);
    const answers = [...world.codepipeline.successes, ...world.codepipeline.failures];
    expect(answers).toHaveLength(1);
    expect(answers[0].jobId).toBe(jobId);
    const failure = world.codepipeline.failures[0]?.failureDetails;
    if (failure) {
      expect(outcome).toBe('FAILED');
      expect(failure.message!.length).toBeGreaterThan(0);
      expect(failure.message!.length).toBeLessThanOrEqual(LIMITS.failureMessage);
      expect(failure.message).not.toMatch(/^(TypeError|ReferenceError|RangeError|SyntaxError|Error):/);
      return { failure: failure.message, outcome };
    }
    const success = world.codepipeline.successes[0];
    if (outcome === 'STARTED') {
      expect(success.continuationToken!.length).toBeLessThanOrEqual(LIMITS.continuationToken);
      expect(decodeContinuationToken(success.continuationToken!).executionArn).toBe(world.sfn.only().executionArn);
    }
    return { outcome };
  }

  test('any event: the trigger answers CodePipeline exactly once when there is a job id, with a clear error when it fails', async () => {
    const seen = new Set<string>();
    await fc.assert(fc.asyncProperty(eventArb, async (event) => {
      const { outcome: result } = await checkTrigger(event);
      seen.add(result ?? 'REFUSED');
    }), { numRuns: RUNS });
    // The events reach every branch: refused (no job id), started, failed.
    expect([...seen].sort()).toEqual(expect.arrayContaining(['FAILED', 'REFUSED', 'STARTED']));
  });

  test('any first job: a failure before the execution starts is a ConfigurationError, and nothing is started', async () => {
    let started = 0;
    await fc.assert(fc.asyncProperty(jobIdArb, userParametersArb, async (id, userParameters) => {
      const world = new TriggerWorld();
      const { failure } = await checkTrigger(jobEvent({ id, userParameters }), world);
      if (failedCleanlyOrStarted(failure, world)) started++;
    }), { numRuns: RUNS });
    expect(started).toBeGreaterThan(RUNS / 10);
  });

  test('any continuation job, whatever the execution\'s status, error and cause: the job gets one answer that matches the status', async () => {
    const name = 'cp-job';
    const statusArb = fc.oneof(
      fc.constantFrom('RUNNING', 'PENDING_REDRIVE', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'),
      fc.string({ maxLength: 12 }),
    );
    const outputArb = fc.option(fc.record({
      deployment: fc.record({ stackName: fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/), changeSetName: fc.constant('sfn-deploy-job') }),
      operation: fc.record({ outcome: fc.constant('SUCCEEDED'), outputs: fc.dictionary(fc.string({ maxLength: 140 }), fc.string({ maxLength: 600 }), { maxKeys: 3 }) }),
      stack: fc.record({ next: fc.constantFrom('CREATE', 'CHANGE_SET') }),
    }, { requiredKeys: ['deployment'] }).map((o) => JSON.stringify(o)), { nil: undefined });
    const errorArb = fc.option(fc.string({ maxLength: 200 }), { nil: undefined });
    const causeArb = fc.option(fc.string({ maxLength: 6000 }), { nil: undefined });
    await fc.assert(fc.asyncProperty(
      statusArb, outputArb, errorArb, causeArb,
      async (status, output, error, cause) => {
        const world = new TriggerWorld();
        const execution = world.sfn.add({
          name, status: status as any, ...(output ? { output } : {}), ...(error ? { error } : {}), ...(cause ? { cause } : {}),
        });
        const continuationToken = JSON.stringify({ executionArn: execution.executionArn });
        const { outcome: result, failure } = await checkTrigger(jobEvent({ continuationToken }), world);
        const expected = status === 'RUNNING' || status === 'PENDING_REDRIVE' ? 'RUNNING' : status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED';
        expect(result).toBe(expected);
        if (failure) expect(failure.endsWith(execution.executionArn)).toBe(true);
        if (result === 'RUNNING') {
          expect(decodeContinuationToken(world.codepipeline.lastSuccess.continuationToken!).executionArn).toBe(execution.executionArn);
        }
        if (result === 'SUCCEEDED') {
          const success = world.codepipeline.lastSuccess;
          expect(success.continuationToken).toBeUndefined();
          expect(success.executionDetails!.summary!.length).toBeLessThanOrEqual(LIMITS.summary);
          for (const [key, value] of Object.entries(success.outputVariables ?? {})) {
            expect(key).toMatch(/^[A-Za-z0-9@_-]{1,128}$/);
            expect(typeof value).toBe('string');
          }
        }
      }), { numRuns: RUNS });
  });

  test('any S3 input file: the deployment starts, or the job fails with a ConfigurationError naming the file or the problem', async () => {
    const fileArb = fc.oneof(
      { weight: 3, arbitrary: validConfigArb.map((c) => JSON.stringify(c)) },
      { weight: 3, arbitrary: configArb.map((c) => JSON.stringify(c)) },
      { weight: 1, arbitrary: fc.string() },
      { weight: 1, arbitrary: fc.json() },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
    );
    let started = 0;
    await fc.assert(fc.asyncProperty(fileArb, fc.option(configArb, { nil: undefined, freq: 2 }), async (file, overrides) => {
      const world = new TriggerWorld();
      world.s3.put('config-bucket', 'deploy/input.json', file);
      const userParameters = { ...(overrides ?? {}), s3Bucket: 'config-bucket', stateMachineFile: 'deploy/input.json' };
      const text = JSON.stringify(userParameters);
      const { failure } = await checkTrigger(jobEvent({ userParameters: text }), world);
      if (failedCleanlyOrStarted(failure, world)) started++;
    }), { numRuns: 200 });
    expect(started).toBeGreaterThan(10);
  });
});
