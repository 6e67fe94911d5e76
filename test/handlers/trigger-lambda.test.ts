/**
 * The trigger's Lambda entry point (src/trigger/trigger.lambda.ts) as CodePipeline invokes it: its clients are
 * created at module load, so the SDK clients are mocked at class level here. That no credentials
 * are logged is checked on the real console output of the handler.
 */
import { format } from 'node:util';
import {
  CodePipelineClient, GetJobDetailsCommand, ListActionExecutionsCommand, PutJobFailureResultCommand, PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ACTION_START, ARTIFACT } from './fixtures';
import { ARTIFACT_CREDENTIALS, STATE_MACHINE_ARN, TRIGGER_FUNCTION_NAME } from '../fakes';
import { JOB_ID, jobEvent } from './trigger-support';
import { handler } from '../../src/trigger/trigger.lambda';

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
  saved = Object.fromEntries(['STATE_MACHINE_ARN', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_LAMBDA_FUNCTION_NAME'].map((k) => [k, process.env[k]]));
  process.env.STATE_MACHINE_ARN = STATE_MACHINE_ARN;
  process.env.AWS_LAMBDA_FUNCTION_NAME = TRIGGER_FUNCTION_NAME;
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

/** CodePipeline issued the job: GetJobDetails describes it (with the artifact credentials), its action runs. */
function issued(userParameters: string): void {
  codepipeline.on(GetJobDetailsCommand).resolves({
    jobDetails: {
      id: JOB_ID,
      data: {
        actionTypeId: { category: 'Invoke', owner: 'AWS', provider: 'Lambda', version: '1' },
        actionConfiguration: { configuration: { FunctionName: TRIGGER_FUNCTION_NAME, UserParameters: userParameters } },
        pipelineContext: { pipelineName: 'p', pipelineExecutionId: 'pe-1', action: { name: 'Deploy', actionExecutionId: 'ae-1' } },
        inputArtifacts: [{ name: 'Source', location: { type: 'S3', s3Location: { bucketName: ARTIFACT.bucket, objectKey: ARTIFACT.key } } }],
        artifactCredentials: ARTIFACT_CREDENTIALS,
      },
    },
  });
  codepipeline.on(ListActionExecutionsCommand).resolves({
    actionExecutionDetails: [{ actionExecutionId: 'ae-1', pipelineExecutionId: 'pe-1', status: 'InProgress', startTime: new Date(ACTION_START) }],
  });
}

test('the Lambda handler starts the state machine named by STATE_MACHINE_ARN and logs no credential', async () => {
  // GIVEN the function's environment and a job event with artifact credentials
  sfn.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:cp-${JOB_ID}` });
  codepipeline.on(PutJobSuccessResultCommand).resolves({});
  issued(JSON.stringify({ stackName: 'sample-app', templatePath: 'cdk.out/SampleApp.template.json' }));

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
  issued('{"stackName": 1}');

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
