/**
 * Property-based tests (fast-check) of reading a CodePipeline job: whatever the event, UserParameters,
 * continuation token or S3 input file holds, parsing either succeeds with values that keep their invariants or
 * fails with a ConfigurationError whose message says what is wrong, never a TypeError; and the trigger answers a
 * job CodePipeline issued exactly once, and refuses an event without a job id without calling anything.
 * The seed is fixed (test/setup.ts); no property depends on which inputs happen to be drawn.
 */
import fc from 'fast-check';
import { INPUT_FILE_KEYS, parseUserParameters, toDeployment, validateConfig } from '../../src/shared/config';
import { DEFAULTS, LIMITS } from '../../src/shared/contract';
import { ConfigurationError } from '../../src/shared/errors';
import { CHANGE_SET_NAME, STACK_NAME, artifactPathProblem, changeSetNameFor, executionNameFor } from '../../src/shared/naming';
import { decodeContinuationToken, encodeContinuationToken, jobIdOf } from '../../src/trigger/job';
import { runTrigger } from '../../src/trigger/trigger';
import { STATE_MACHINE_ARN } from '../fakes';
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
  'capabilities', 'roleArn', 'assumeRoleArn', 'includeNestedStacks', 'recreateRolledBackStack', 'policy', 'onUnsafe',
  'pollIntervalSeconds', 'timeoutMinutes', 's3Bucket', 'stateMachineFile',
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

/** An S3 input file that sets only what a file may set, each well-formed (with a template path). */
const validFileArb = fc.record({
  templatePath: fc.stringMatching(/^[a-z]{1,8}(\/[a-z]{1,8}){0,2}\.json$/),
  parameterOverrides: fc.dictionary(fc.stringMatching(/^[A-Za-z]{1,10}$/), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
  tags: fc.dictionary(fc.stringMatching(/^[a-z]{1,10}$/), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
  capabilities: fc.subarray(['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND']),
  pollIntervalSeconds: fc.integer({ min: 1, max: 300 }),
}, { requiredKeys: ['templatePath'] });

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

const EXECUTION_PREFIX = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:`;
const executionArnArb = fc.oneof(
  fc.constant(`${EXECUTION_PREFIX}cp-job`),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,80}$/).map((name) => `${EXECUTION_PREFIX}${name}`),
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
    expect(world.sfn.executions.length).toBe(0);
    return false;
  }
  expect(world.sfn.executions.length).toBe(1);
  return true;
}

describe('parsing the job, property-based', () => {
  test('jobIdOf: any value gives a job id of CodePipeline\'s shape, or a ConfigurationError that quotes nothing of the event', () => {
    fc.assert(fc.property(eventArb, (event) => {
      const result = attempt(() => jobIdOf(event));
      if ('error' in result) {
        expect(result.error.message).toMatch(/^the event is not a CodePipeline job: ("CodePipeline\.job\.id" is missing|its job id is not one CodePipeline gives)$/);
        return;
      }
      expect(result.value).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
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
    fc.assert(fc.property(configArb, (config) => {
      const result = attempt(() => validateConfig(config));
      if ('error' in result) {
        expect(result.error.message).toMatch(/^invalid action configuration: \S/);
        return;
      }
      const valid = result.value as unknown as Record<string, unknown>;
      for (const key of Object.keys(valid)) expect(KNOWN_KEYS).toContain(key);
      const full = valid.environmentName ? `${valid.environmentName}-${valid.stackName}` : valid.stackName as string;
      expect(full).toMatch(STACK_NAME);
      expect(artifactPathProblem(valid.templatePath as string)).toBeUndefined();
    }), { numRuns: RUNS });
  });

  test('validateConfig: a well-formed configuration is always accepted, and the deployment made of it is well-formed', () => {
    fc.assert(fc.property(validConfigArb, fc.uuid(), fc.integer({ min: 0, max: 2 ** 40 }), (config, id, startedAt) => {
      const deployment = toDeployment(validateConfig(config), { id, artifact: { bucket: 'b', key: 'k' }, startedAt });
      expect(deployment.changeSetName).toMatch(CHANGE_SET_NAME);
      expect(deployment.deadline).toBeGreaterThan(deployment.startedAt);
      expect(deployment.deadline - deployment.startedAt).toBeLessThanOrEqual(DEFAULTS.maxTimeoutMinutes * 60_000);
      expect(deployment.policy).toEqual({ type: 'denyDestructive' });
      expect(deployment.includeNestedStacks).toBe(true);
    }), { numRuns: RUNS });
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

  test('validateConfig: an S3 input file that sets any key outside what it may set is refused, naming that key', () => {
    const forbidden = fc.constantFrom(...KNOWN_KEYS.filter((k) => !(INPUT_FILE_KEYS as readonly string[]).includes(k)));
    fc.assert(fc.property(validConfigArb, forbidden, json, (config, key, value) => {
      expect(() => validateConfig(config, { [key]: value ?? null })).toThrow(`the S3 input file may not set ${JSON.stringify(key)}`);
    }), { numRuns: RUNS });
  });

  test('continuation tokens: any string decodes to an execution of this state machine or is a ConfigurationError; what the trigger writes reads back', () => {
    fc.assert(fc.property(continuationTokenArb, (token) => {
      const result = attempt(() => decodeContinuationToken(token, STATE_MACHINE_ARN));
      if ('value' in result) expect(result.value.executionArn.startsWith(EXECUTION_PREFIX)).toBe(true);
      else expect(result.error.message).toMatch(/^the continuation token /);
    }), { numRuns: RUNS });
    fc.assert(fc.property(executionArnArb.filter((arn) => arn.startsWith(EXECUTION_PREFIX)), (executionArn) => {
      expect(decodeContinuationToken(encodeContinuationToken({ executionArn }), STATE_MACHINE_ARN)).toEqual({ executionArn });
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
  /**
   * Runs the trigger for an event whose job CodePipeline issued (as the event describes it), in a fresh world.
   * Without a job id of CodePipeline's shape it refuses the event and calls nothing; otherwise it answers the
   * job exactly once.
   */
  async function checkTrigger(event: unknown, world = new TriggerWorld()): Promise<{ failure?: string; outcome?: string }> {
    let jobId: string | undefined;
    try {
      jobId = jobIdOf(event);
    } catch {
      jobId = undefined;
    }
    if (jobId === undefined) {
      await expect(runTrigger(event, world.deps)).rejects.toMatchObject({ name: 'ConfigurationError' });
      expect(world.codepipeline.mock.calls()).toHaveLength(0);
      expect(world.sfn.mock.calls()).toHaveLength(0);
      return {};
    }
    const outcome = await world.run(event);
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
      expect(decodeContinuationToken(success.continuationToken!, STATE_MACHINE_ARN).executionArn).toBe(world.sfn.only().executionArn);
    }
    return { outcome };
  }

  test('any event: without a job id it is refused and nothing is called; with one, CodePipeline gets exactly one answer', async () => {
    await fc.assert(fc.asyncProperty(eventArb, async (event) => {
      await checkTrigger(event);
    }), { numRuns: RUNS });
  });

  test('any first job: a failure before the execution starts is a ConfigurationError, and nothing is started', async () => {
    await fc.assert(fc.asyncProperty(fc.uuid(), userParametersArb, async (id, userParameters) => {
      const world = new TriggerWorld();
      const { failure } = await checkTrigger(jobEvent({ id, userParameters }), world);
      failedCleanlyOrStarted(failure, world);
    }), { numRuns: RUNS });
  });

  test('any first job with a well-formed configuration starts exactly one execution', async () => {
    await fc.assert(fc.asyncProperty(fc.uuid(), validConfigArb, async (id, config) => {
      const world = new TriggerWorld();
      const { failure, outcome } = await checkTrigger(jobEvent({ id, userParameters: JSON.stringify(config) }), world);
      expect({ failure, outcome }).toEqual({ failure: undefined, outcome: 'STARTED' });
      expect(failedCleanlyOrStarted(failure, world)).toBe(true);
    }), { numRuns: RUNS });
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
          const token = world.codepipeline.lastSuccess.continuationToken!;
          expect(decodeContinuationToken(token, STATE_MACHINE_ARN).executionArn).toBe(execution.executionArn);
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
      { weight: 3, arbitrary: validFileArb.map((c) => JSON.stringify(c)) },
      { weight: 3, arbitrary: configArb.map((c) => JSON.stringify(c)) },
      { weight: 1, arbitrary: fc.string() },
      { weight: 1, arbitrary: fc.json() },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
    );
    await fc.assert(fc.asyncProperty(fileArb, fc.option(configArb, { nil: undefined, freq: 2 }), async (file, overrides) => {
      const world = new TriggerWorld();
      world.s3.put('config-bucket', 'deploy/input.json', file);
      const userParameters = { ...(overrides ?? {}), s3Bucket: 'config-bucket', stateMachineFile: 'deploy/input.json' };
      const { failure } = await checkTrigger(jobEvent({ userParameters: JSON.stringify(userParameters) }), world);
      failedCleanlyOrStarted(failure, world);
    }), { numRuns: 200 });
  });

  test('any S3 input file that sets only what it may, under well-formed UserParameters: the deployment starts', async () => {
    await fc.assert(fc.asyncProperty(validFileArb, fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,40}$/), async (file, stackName) => {
      const world = new TriggerWorld();
      world.s3.put('config-bucket', 'deploy/input.json', JSON.stringify(file));
      const userParameters = { stackName, s3Bucket: 'config-bucket', stateMachineFile: 'deploy/input.json' };
      const { failure, outcome } = await checkTrigger(jobEvent({ userParameters: JSON.stringify(userParameters) }), world);
      expect({ failure, outcome }).toEqual({ failure: undefined, outcome: 'STARTED' });
    }), { numRuns: 100 });
  });
});
