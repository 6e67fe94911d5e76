/**
 * The trigger's Lambda entry point (src/action/trigger.lambda.ts) as CodePipeline invokes it: its clients are
 * created at module load, so the SDK clients are mocked at class level here. B7 is checked on the real
 * console output of the handler.
 */
import { format } from 'node:util';
import { CodePipelineClient, PutJobFailureResultCommand, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { STATE_MACHINE_ARN } from './fakes';
import { ARTIFACT_CREDENTIALS, JOB_ID, jobEvent } from './trigger-support';
import { handler } from '../../src/action/trigger.lambda';

const codepipeline = mockClient(CodePipelineClient);
const sfn = mockClient(SFNClient);
mockClient(S3Client);

const ENV_SECRET = 'lambdaEnvSecretAccessKeyEXAMPLE0123456789';
const ENV_TOKEN = 'lambdaEnvSessionTokenEXAMPLE0123456789abcdef';
let lines: string[];
let saved: Record<string, string | undefined>;

beforeEach(() => {
  codepipeline.reset();
  sfn.reset();
  saved = Object.fromEntries(['STATE_MACHINE_ARN', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'].map((k) => [k, process.env[k]]));
  process.env.STATE_MACHINE_ARN = STATE_MACHINE_ARN;
  process.env.AWS_SECRET_ACCESS_KEY = ENV_SECRET;
  process.env.AWS_SESSION_TOKEN = ENV_TOKEN;
  lines = [];
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(format(...args));
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

const secrets = [...Object.values(ARTIFACT_CREDENTIALS), ENV_SECRET, ENV_TOKEN];

test('the Lambda handler starts the state machine named by STATE_MACHINE_ARN and logs no credential', async () => {
  // GIVEN the function's environment and a job event with artifact credentials
  sfn.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:cp-${JOB_ID}` });
  codepipeline.on(PutJobSuccessResultCommand).resolves({});

  // WHEN Lambda invokes the handler
  await handler(jobEvent());

  // THEN the workflow of the environment was started and the job answered
  expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: STATE_MACHINE_ARN, name: `cp-${JOB_ID}` });
  expect(codepipeline).toHaveReceivedCommandWith(PutJobSuccessResultCommand, { jobId: JOB_ID });
  // AND it logged its decision to the console, without any credential
  expect(lines.join('\n')).toContain('started execution');
  for (const secret of secrets) expect(lines.join('\n')).not.toContain(secret);
});

test('the Lambda handler fails the job on a configuration error and logs no credential', async () => {
  // GIVEN a job whose configuration is wrong
  codepipeline.on(PutJobFailureResultCommand).resolves({});

  // WHEN Lambda invokes the handler
  await handler(jobEvent({ userParameters: '{"stackName": 1}' }));

  // THEN the job is failed as a ConfigurationError and the console holds no credential
  expect(codepipeline).toHaveReceivedCommandWith(PutJobFailureResultCommand, {
    jobId: JOB_ID, failureDetails: expect.objectContaining({ message: expect.stringMatching(/^ConfigurationError: /) }),
  });
  expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  expect(lines.length).toBeGreaterThan(0);
  for (const secret of secrets) expect(lines.join('\n')).not.toContain(secret);
});
