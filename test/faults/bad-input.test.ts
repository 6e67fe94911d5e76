/**
 * Bad input that the existing handler tests leave out (issue item 3: configuration errors, CodePipeline limits, the artifact). Each case fails with an
 * error that names the problem; none starts a deployment or touches the stack.
 */
import { CreateChangeSetCommand, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import 'aws-sdk-client-mock-jest';
import { accessDenied } from './support';
import { TOP_LEVEL_KEYS, validateConfig } from '../../src/shared/config';
import { LIMITS } from '../../src/shared/contract';
import { CHANGE_SET_NAME, changeSetNameFor, executionNameFor } from '../../src/shared/naming';
import { ARTIFACT, TEMPLATE_PATH, deployment } from '../handlers/fixtures';
import { TaskWorld } from '../handlers/task-support';
import { TriggerWorld, jobEvent } from '../handlers/trigger-support';

const VALID = { stackName: 'sample-app', templatePath: 'cdk.out/App.json' };

/** Runs the trigger on a job and returns the failure message it answered with (or fails the test). */
async function failureOf(world: TriggerWorld, event: Record<string, unknown>): Promise<string> {
  const outcome = await world.run(event);
  expect(outcome).toBe('FAILED');
  expect(world.sfn.mock).not.toHaveReceivedCommand(StartExecutionCommand);
  return world.codepipeline.lastFailure.failureDetails!.message!;
}

describe('UserParameters', () => {
  test.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])(
    'an unknown key named like a property every object has (%s) is refused like any unknown key', async (key) => {
      // GIVEN UserParameters with that key (JSON.parse makes it an own key, "__proto__" included)
      const world = new TriggerWorld();
      const userParameters = `{"stackName":"sample-app","templatePath":"cdk.out/App.json","${key}":1}`;

      // WHEN the trigger runs THEN the job fails naming the key
      expect(await failureOf(world, jobEvent({ userParameters }))).toBe(
        `ConfigurationError: invalid action configuration: unknown keys "${key}" (known: ${TOP_LEVEL_KEYS.join(', ')})`);
    });

  test('validateConfig refuses the same keys when called directly (the CLI and the handler share it)', () => {
    expect(() => validateConfig(JSON.parse('{"stackName":"a","templatePath":"t.json","constructor":{}}'))).toThrow('unknown keys "constructor"');
  });

  test('an unknown key is told the keys it could have been (a typo shows its correction), as the CLI tells it', () => {
    expect(() => validateConfig({ stackName: 'a', templatePath: 't.json', polcy: {} }))
      .toThrow(/unknown keys "polcy" \(known: (\w+, )*policy, (\w+, )*stackName, (\w+, )*templatePath(, \w+)*\)$/);
  });

  test('an unknown key of a unit\'s stack is told the keys a stack takes', () => {
    expect(() => validateConfig({ stacks: [{ stackName: 'a', templatePath: 't.json', templatepath: 'typo' }] }))
      .toThrow(/"stacks"\[0\] has unknown keys "templatepath" \(known: (\w+, )*stackName, (\w+, )*templatePath(, \w+)*\)/);
  });

  test.each<[string, unknown, string]>([
    ['UserParameters that are not a string (an object in the event)', { stackName: 'sample-app' }, 'ConfigurationError: UserParameters is empty'],
    ['UserParameters "null"', 'null', 'ConfigurationError: UserParameters must be a JSON object'],
    ['UserParameters that are a JSON string', '"sample-app"', 'ConfigurationError: UserParameters must be a JSON object'],
    ['a stack name that only becomes too long with the environment prefix',
      JSON.stringify({ ...VALID, stackName: 'b'.repeat(70), environmentName: 'e'.repeat(60) }), `stack name "${'e'.repeat(60)}-${'b'.repeat(70)}" is invalid`],
    ['a stack name with a space', JSON.stringify({ ...VALID, stackName: 'sample app' }), 'stack name "sample app" is invalid'],
    ['a stack name of non-ASCII letters', JSON.stringify({ ...VALID, stackName: 'äpp' }), 'stack name "äpp" is invalid'],
    ['an empty stack name', JSON.stringify({ ...VALID, stackName: '' }), 'stack name "" is invalid'],
    ['a stack name that is a number', JSON.stringify({ ...VALID, stackName: 42 }), '"stackName" is missing'],
    ['a templatePath with a "." segment', JSON.stringify({ ...VALID, templatePath: './cdk.out/App.json' }), '"templatePath" must not contain "." or ".." segments'],
    ['a templatePath with backslashes', JSON.stringify({ ...VALID, templatePath: 'cdk.out\\App.json' }), '"templatePath" must use forward slashes'],
  ])('%s: the job fails naming the problem', async (_what, userParameters, problem) => {
    const world = new TriggerWorld();
    const event = jobEvent();
    (event['CodePipeline.job'] as any).data.actionConfiguration.configuration.UserParameters = userParameters;
    const message = await failureOf(world, event);
    expect(message).toMatch(/^ConfigurationError: /);
    expect(message).toContain(problem);
  });
});

describe('the S3 input file (s3Bucket + stateMachineFile)', () => {
  const FILE = { s3Bucket: 'config-bucket', stateMachineFile: 'deploy/prod.json', stackName: 'sample-app' };
  const TEMPLATE = { templatePath: 'cdk.out/App.json' };

  test.each<[string, string, string]>([
    ['a JSON array', '[{"templatePath":"t.json"}]', 'ConfigurationError: the S3 input file s3://config-bucket/deploy/prod.json must be a JSON object'],
    ['empty', '', 'ConfigurationError: the S3 input file s3://config-bucket/deploy/prod.json is not valid JSON: it is empty'],
    ['JSON null', 'null', 'ConfigurationError: the S3 input file s3://config-bucket/deploy/prod.json must be a JSON object'],
    ['an unknown key', JSON.stringify({ ...TEMPLATE, stackname: 'typo' }),
      `ConfigurationError: invalid action configuration: unknown keys "stackname" (known: ${TOP_LEVEL_KEYS.join(', ')})`],
    ['an invalid template path', JSON.stringify({ templatePath: '../secrets.json' }), '"templatePath" must not contain "." or ".." segments'],
    ['a setting that decides safety (the policy)', JSON.stringify({ ...TEMPLATE, policy: { type: 'allowAll' } }), 'the S3 input file may not set "policy"'],
    ['parameters that are not strings', JSON.stringify({ ...TEMPLATE, parameterOverrides: { Count: 3 } }), '"parameterOverrides" must be an object of string values'],
  ])('a file that holds %s: the job fails naming the problem', async (_what, content, problem) => {
    const world = new TriggerWorld();
    world.s3.put(FILE.s3Bucket, FILE.stateMachineFile, content);
    const message = await failureOf(world, jobEvent({ userParameters: FILE }));
    expect(message).toContain(problem);
  });

  test('GIVEN a file that is not valid JSON and holds a secret WHEN it is refused THEN the message says where the problem is, never the text around it', async () => {
    // JSON.parse's own message quotes the text near the error; it would reach the pipeline's console.
    const world = new TriggerWorld();
    world.s3.put(FILE.s3Bucket, FILE.stateMachineFile, '{"parameterOverrides": {"DbPassword": "hunter2-s3cr3t"} oops}');
    const message = await failureOf(world, jobEvent({ userParameters: FILE }));
    expect(message).toBe('ConfigurationError: the S3 input file s3://config-bucket/deploy/prod.json is not valid JSON: invalid symbol at line 1, column 57');
    expect(message).not.toContain('hunter2');
  });

  test('GIVEN a file written by Windows PowerShell (UTF-16 with a byte-order mark) or with a UTF-8 byte-order mark THEN it is read', async () => {
    for (const bytes of [
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(TEMPLATE), 'utf16le')]),
      Buffer.from(`\ufeff${JSON.stringify(TEMPLATE)}`),
    ]) {
      const world = new TriggerWorld();
      world.s3.put(FILE.s3Bucket, FILE.stateMachineFile, new Uint8Array(bytes));
      expect(await world.run(jobEvent({ userParameters: FILE }))).toBe('STARTED');
      expect(world.startedInput().deployment.templatePath).toBe(TEMPLATE.templatePath);
    }
  });

  test('a file the trigger may not read (AccessDenied): ConfigurationError naming the file', async () => {
    const world = new TriggerWorld();
    world.s3.mock.on(GetObjectCommand).rejects(Object.assign(accessDenied('s3:GetObject'), { name: 'AccessDenied' }));
    expect(await failureOf(world, jobEvent({ userParameters: FILE })))
      .toBe('ConfigurationError: cannot read the S3 input file s3://config-bucket/deploy/prod.json: AccessDenied');
  });

  test('a file in a bucket that does not exist (NoSuchBucket): ConfigurationError naming the file', async () => {
    const world = new TriggerWorld();
    world.s3.mock.on(GetObjectCommand).rejects(Object.assign(new Error('The specified bucket does not exist'), { name: 'NoSuchBucket' }));
    expect(await failureOf(world, jobEvent({ userParameters: FILE })))
      .toBe('ConfigurationError: cannot read the S3 input file s3://config-bucket/deploy/prod.json: NoSuchBucket');
  });

  test('a file of exactly 64 KiB is read; the limit is on the size, not on anything else', async () => {
    const world = new TriggerWorld();
    const base = JSON.stringify({ ...TEMPLATE, tags: { pad: '' } });
    world.s3.put(FILE.s3Bucket, FILE.stateMachineFile, JSON.stringify({ ...TEMPLATE, tags: { pad: 'p'.repeat(LIMITS.inputFile - base.length) } }));
    expect(await world.run(jobEvent({ userParameters: FILE }))).toBe('STARTED');
  });
});

describe('names derived from the job', () => {
  test.each([
    ['a UUID', 'a1b2c3d4-5678-90ab-cdef-111122223333'],
    ['no letters or digits at all', '-_-/+=.'],
    ['a very long id', 'x'.repeat(500)],
    ['non-ASCII characters', 'jöb-Ω-42'],
  ])('a job id of %s gives a valid change set name and a valid execution name', (_what, jobId) => {
    const changeSet = changeSetNameFor(jobId);
    expect(changeSet).toMatch(CHANGE_SET_NAME);
    expect(changeSet.length).toBeLessThanOrEqual(128);
    // Step Functions: 1 to 80 characters, no spaces, brackets, wildcards or control characters.
    expect(executionNameFor(jobId)).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });

  test('blue/green: a new stack name over 128 characters is refused with a ConfigurationError naming it', async () => {
    // GIVEN a deployment whose stack name leaves no room for the suffix
    const world = new TaskWorld();
    const stackName = `a${'b'.repeat(120)}`;
    const state = { deployment: deployment({ stackName, onUnsafe: { type: 'deployToNewStack', suffix: 'green-2024' } }) };

    // WHEN the workflow switches to a new stack
    const result = world.run('switchToNewStack', state);

    // THEN
    await expect(result).rejects.toMatchObject({
      name: 'ConfigurationError', message: `the new stack name ${stackName}-green-2024 is not a valid stack name (128 characters at most)`,
    });
  });
});

describe('the input artifact', () => {
  test('an artifact whose ContentLength understates its size is still refused once read, naming the limit', async () => {
    // GIVEN an artifact of 50 MiB + 1 byte that S3 reports as 0 bytes long
    const world = new TaskWorld();
    world.s3.put(ARTIFACT.bucket, ARTIFACT.key, new Uint8Array(LIMITS.artifactZip + 1));
    world.s3.reportedLength.set(`${ARTIFACT.bucket}/${ARTIFACT.key}`, 0);

    // WHEN the workflow reads the template THEN the artifact is refused before it is unzipped
    await expect(world.run('readTemplate')).rejects.toMatchObject({
      name: 'ConfigurationError', message: `the input artifact is over the ${LIMITS.artifactZip} bytes this action reads`,
    });
  });

  test('a template over 51,200 bytes whose staging in S3 is denied fails the task; it is never sent inline instead', async () => {
    // GIVEN a large template and a task role that may not write the staging prefix
    const world = new TaskWorld().artifact({ [TEMPLATE_PATH]: JSON.stringify({ Description: 'x'.repeat(60_000), Resources: {} }) });
    world.s3.mock.on(PutObjectCommand).rejects(Object.assign(accessDenied('s3:PutObject'), { name: 'AccessDenied' }));

    // WHEN the workflow reads the template
    const result = world.run('readTemplate');

    // THEN the error names the refusal, and CloudFormation was not called with a TemplateBody it would refuse
    await expect(result).rejects.toMatchObject({ name: 'AccessDenied', message: expect.stringContaining('s3:PutObject') });
    expect(world.cloudformation.mock).not.toHaveReceivedCommand(CreateStackCommand);
    expect(world.cloudformation.mock).not.toHaveReceivedCommand(CreateChangeSetCommand);
  });

  test('a template of 51,201 bytes in multi-byte characters is staged, not sent inline', async () => {
    // GIVEN a template under 51,200 characters but over 51,200 bytes
    const description = 'é'.repeat(25_600);
    const template = JSON.stringify({ Description: description, Resources: {} });
    expect(template.length).toBeLessThan(LIMITS.templateBody);
    expect(Buffer.byteLength(template)).toBeGreaterThan(LIMITS.templateBody);
    const world = new TaskWorld().artifact({ [TEMPLATE_PATH]: template });

    // WHEN
    const result = await world.run<{ size: number; templateUrl?: string }>('readTemplate');

    // THEN
    expect(result.templateUrl).toMatch(/^https:\/\//);
    expect(world.s3.mock).toHaveReceivedCommandTimes(PutObjectCommand, 1);
  });
});
