/**
 * The trigger never logs credentials, neither the job event's artifactCredentials nor process.env,
 * on any path. Every line is captured: the `log` dependency and the console.
 */
import { format } from 'node:util';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { ARTIFACT_CREDENTIALS, awsError, STATE_MACHINE_ARN } from '../fakes';
import { JOB_ID, TriggerWorld, jobEvent } from './trigger-support';
import { executionNameFor } from '../../src/shared/naming';

const ENV_SECRETS = {
  AWS_ACCESS_KEY_ID: 'ASIAENVKEYID7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'envSecretAccessKey/wJalrXUtnFEMIK7MDENGbPxRfiCY',
  AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjEnvSessionTokenEXAMPLEAAAAAAAAAAAAAAAAAAAA',
};
const SECRETS = [...Object.values(ARTIFACT_CREDENTIALS), ...Object.values(ENV_SECRETS)];
const EXECUTION_ARN = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${executionNameFor(JOB_ID)}`;
const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

/** The secrets that occur in any of the lines (also in parts: the secret key split at a slash). */
function secretsIn(lines: readonly string[]): string[] {
  const text = lines.join('\n');
  return SECRETS.filter((secret) => text.includes(secret) || secret.split('/').some((part) => part.length >= 12 && text.includes(part)));
}

let saved: Record<string, string | undefined>;
let consoleLines: string[];

beforeEach(() => {
  saved = Object.fromEntries(Object.keys(ENV_SECRETS).map((k) => [k, process.env[k]]));
  Object.assign(process.env, ENV_SECRETS);
  consoleLines = [];
  for (const method of CONSOLE_METHODS) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      consoleLines.push(format(...args));
    });
  }
});

afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  jest.restoreAllMocks();
});

type Scenario = [string, (world: TriggerWorld) => unknown, string];

const scenarios: Scenario[] = [
  ['first invocation starts the workflow', () => jobEvent(), 'STARTED'],
  ['duplicate invocation follows the existing execution (ExecutionAlreadyExists)', (world) => {
    world.sfn.add({ name: executionNameFor(JOB_ID), input: '{"other":true}' });
    return jobEvent();
  }, 'STARTED'],
  ['execution RUNNING', (world) => {
    world.sfn.add({ name: executionNameFor(JOB_ID), status: 'RUNNING' });
    return jobEvent({ continuationToken: JSON.stringify({ executionArn: EXECUTION_ARN }) });
  }, 'RUNNING'],
  ['execution SUCCEEDED', (world) => {
    world.sfn.add({ name: executionNameFor(JOB_ID), status: 'SUCCEEDED', output: JSON.stringify({ deployment: { stackName: 'sample-app' } }) });
    return jobEvent({ continuationToken: JSON.stringify({ executionArn: EXECUTION_ARN }) });
  }, 'SUCCEEDED'],
  ['execution FAILED', (world) => {
    world.sfn.add({ name: executionNameFor(JOB_ID), status: 'FAILED', error: 'States.TaskFailed', cause: 'boom' });
    return jobEvent({ continuationToken: JSON.stringify({ executionArn: EXECUTION_ARN }) });
  }, 'FAILED'],
  ['configuration error (unknown keys)', () => jobEvent({ userParameters: { stackName: 'a', templatePath: 't.json', secret: 'x' } }), 'FAILED'],
  ['configuration error (bad JSON)', () => jobEvent({ userParameters: '{not json' }), 'FAILED'],
  ['configuration error (missing S3 input file)', () => jobEvent({ userParameters: { s3Bucket: 'b', stateMachineFile: 'k' } }), 'FAILED'],
  ['AWS error (AccessDeniedException)', (world) => {
    world.sfn.mock.on(DescribeExecutionCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: states:DescribeExecution'));
    return jobEvent({ continuationToken: JSON.stringify({ executionArn: EXECUTION_ARN }) });
  }, 'FAILED'],
  ['job already answered (InvalidJobStateException)', (world) => {
    world.sfn.add({ name: executionNameFor(JOB_ID), status: 'FAILED' });
    world.codepipeline.jobs.set(JOB_ID, 'Failed');
    return jobEvent({ continuationToken: JSON.stringify({ executionArn: EXECUTION_ARN }) });
  }, 'ALREADY_ANSWERED'],
];

describe('no credentials in any log line', () => {
  test('the detector finds a secret in a line (guards against a vacuous check)', () => {
    expect(secretsIn([`creds: ${JSON.stringify(ARTIFACT_CREDENTIALS)}`])).toEqual(Object.values(ARTIFACT_CREDENTIALS));
    expect(secretsIn([`env: ${JSON.stringify(process.env)}`])).toEqual(Object.values(ENV_SECRETS));
  });

  test.each(scenarios)('%s: the job event and process.env carry credentials; no log line holds any', async (_name, given, expected) => {
    // GIVEN a job event with artifact credentials and credentials in the environment
    const world = new TriggerWorld();
    const event = given(world);

    // WHEN the trigger runs (and also logs to the console, as the Lambda handler does)
    const outcome = await world.run(event);

    // THEN it took the expected path and logged about it
    expect(outcome).toBe(expected);
    const lines = [...world.logs, ...consoleLines];
    expect(world.logs.length).toBeGreaterThan(0);
    // AND no line, and nothing sent to CodePipeline (shown in its console), holds a credential
    expect(secretsIn(lines)).toEqual([]);
    const answers = world.codepipeline.mock.calls().map((call) => JSON.stringify(call.args[0].input));
    expect(answers.length).toBeGreaterThan(0);
    expect(secretsIn(answers)).toEqual([]);
  });

  test('an event that is not a job (no id) but carries credentials: the rejection and its log hold none', async () => {
    // GIVEN a malformed event with credentials in it
    const world = new TriggerWorld();
    const event = { 'CodePipeline.job': { data: { artifactCredentials: ARTIFACT_CREDENTIALS } } };

    // WHEN the trigger runs
    const error = await world.run(event).catch((e: Error) => e);

    // THEN it throws, and neither the error nor the log lines carry credentials
    expect(error).toBeInstanceOf(Error);
    expect(world.logs.length).toBeGreaterThan(0);
    expect(secretsIn([...world.logs, ...consoleLines, String(error), (error as Error).stack ?? ''])).toEqual([]);
  });
});
