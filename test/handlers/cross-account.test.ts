/**
 * Cross-account deployments: with `assumeRoleArn`, every CloudFormation call of the task handler is made as
 * the target account's role; the handler's own credentials never reach that stack.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { ENV } from '../../src/shared/contract';
import type { Deployment } from '../../src/shared/contract';
import { cloudformationAs } from '../../src/workflow/deploy-task.lambda';
import { runTask } from '../../src/workflow/tasks';

const ROLE = 'arn:aws:iam::222222222222:role/pipeline-deployer';
const deployment = {
  stackName: 'app',
  changeSetName: 'sfn-deploy-job1',
  jobId: 'a1b2c3d4-job',
  pollIntervalSeconds: 5,
  startedAt: Date.now(),
  deadline: Date.now() + 3_600_000,
  policy: { type: 'denyDestructive' },
  onUnsafe: { type: 'fail' },
  assumeRoleArn: ROLE,
} as unknown as Deployment;

// The construct lists the roles the task function may assume in its environment: ROLE is a targetAccountRole.
beforeEach(() => { process.env[ENV.deployRoles] = JSON.stringify([ROLE]); });
afterEach(() => { delete process.env[ENV.deployRoles]; });

/** A client that records the commands it is sent and answers DescribeStacks with one stack. */
function recordingClient(): { client: CloudFormationClient; sent: string[] } {
  const sent: string[] = [];
  const client = {
    send: async (command: { constructor: { name: string } }) => {
      sent.push(command.constructor.name);
      return { Stacks: [{ StackName: 'app', StackStatus: 'UPDATE_COMPLETE', StackId: 'arn:aws:cloudformation:eu-west-1:222222222222:stack/app/1' }] };
    },
  } as unknown as CloudFormationClient;
  return { client, sent };
}

test('GIVEN a deployment with assumeRoleArn WHEN a task calls CloudFormation THEN it goes through the target account\'s client', async () => {
  const home = recordingClient();
  const target = recordingClient();
  const asked: [string, string][] = [];
  const result = await runTask({ task: 'checkStack', state: { deployment } }, {
    cloudformation: home.client,
    cloudformationAs: (roleArn, session) => {
      asked.push([roleArn, session]);
      return target.client;
    },
    s3: new S3Client({}),
    region: 'eu-west-1',
  });
  expect(result).toMatchObject({ exists: true, next: 'CHANGE_SET' });
  expect(asked).toEqual([[ROLE, 'sfn-deploy-a1b2c3d4job']]);
  expect(target.sent).toEqual(['DescribeStacksCommand']);
  expect(home.sent).toEqual([]);
});

test('GIVEN a deployment with assumeRoleArn and no way to assume it THEN the task fails instead of deploying in the wrong account', async () => {
  const home = recordingClient();
  await expect(runTask({ task: 'checkStack', state: { deployment } }, {
    cloudformation: home.client, s3: new S3Client({}), region: 'eu-west-1',
  })).rejects.toThrow(/cannot assume a role for a cross-account deployment/);
  expect(home.sent).toEqual([]);
});

test('the Lambda entry point\'s client for the target account signs with credentials from STS AssumeRole on that role', async () => {
  // The credential provider's STS client (the SDK's nested client), mocked like the others.
  // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
  const { STSClient, AssumeRoleCommand } = require('@aws-sdk/nested-clients/sts');
  const sts = mockClient(STSClient);
  sts.on(AssumeRoleCommand).resolves(<Record<string, unknown>>{
    Credentials: { AccessKeyId: 'ASIATARGET', SecretAccessKey: 'target-secret', SessionToken: 'target-session', Expiration: new Date(Date.now() + 900_000) },
  });
  process.env.AWS_REGION = 'eu-west-1';

  const client = cloudformationAs(ROLE, 'sfn-deploy-a1b2c3d4job');
  const credentials = await client.config.credentials();

  expect(credentials).toMatchObject({ accessKeyId: 'ASIATARGET', sessionToken: 'target-session' });
  const assumed = sts.commandCalls(AssumeRoleCommand);
  expect(assumed).toHaveLength(1);
  expect(assumed[0].args[0].input).toMatchObject({ RoleArn: ROLE, RoleSessionName: 'sfn-deploy-a1b2c3d4job', DurationSeconds: 900 });
  // the same role and job get the same client (its credentials refresh themselves)
  expect(cloudformationAs(ROLE, 'sfn-deploy-a1b2c3d4job')).toBe(client);
  sts.restore();
});

test('GIVEN two jobs for the same target role THEN each job\'s calls are made in a session named after it (not the first job\'s)', async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
  const { STSClient, AssumeRoleCommand } = require('@aws-sdk/nested-clients/sts');
  const sts = mockClient(STSClient);
  sts.on(AssumeRoleCommand).resolves(<Record<string, unknown>>{
    Credentials: { AccessKeyId: 'ASIATARGET', SecretAccessKey: 'target-secret', SessionToken: 'target-session', Expiration: new Date(Date.now() + 900_000) },
  });
  process.env.AWS_REGION = 'eu-west-1';

  await cloudformationAs(ROLE, 'sfn-deploy-firstjob').config.credentials();
  await cloudformationAs(ROLE, 'sfn-deploy-secondjob').config.credentials();

  expect(sts.commandCalls(AssumeRoleCommand).map((c: any) => c.args[0].input.RoleSessionName)).toEqual(['sfn-deploy-firstjob', 'sfn-deploy-secondjob']);
  sts.restore();
});

test('GIVEN a role the construct registered for reviews (REVIEW_ROLES) THEN the Lambda entry point assumes it with a session policy for those stacks only: read them and their change sets, delete their PipelineChange; a deployment role without one', async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
  const { STSClient, AssumeRoleCommand } = require('@aws-sdk/nested-clients/sts');
  const sts = mockClient(STSClient);
  sts.on(AssumeRoleCommand).resolves(<Record<string, unknown>>{
    Credentials: { AccessKeyId: 'ASIATARGET', SecretAccessKey: 'target-secret', SessionToken: 'target-session', Expiration: new Date(Date.now() + 900_000) },
  });
  process.env.AWS_REGION = 'eu-west-1';
  const reviewRole = 'arn:aws:iam::333333333333:role/cdk-hnb659fds-deploy-role-333333333333-us-west-2';
  process.env[ENV.reviewRoles] = JSON.stringify([[reviewRole, ['Prod-Data', 'Prod-Topics']]]);
  try {
    await cloudformationAs(reviewRole, 'sfn-deploy-reviewjob', 'us-west-2').config.credentials();
    await cloudformationAs(ROLE, 'sfn-deploy-reviewjob').config.credentials();
    const [review, deploy] = sts.commandCalls(AssumeRoleCommand).map((c: any) => c.args[0].input);
    expect(review.RoleArn).toBe(reviewRole);
    const stack = (name: string) => `arn:aws:cloudformation:*:333333333333:stack/${name}/*`;
    expect(JSON.parse(review.Policy).Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['cloudformation:DescribeStacks', 'cloudformation:DescribeChangeSet'],
        Resource: [stack('Prod-Data'), stack('Prod-Data-*'), stack('Prod-Topics'), stack('Prod-Topics-*')],
      },
      {
        Effect: 'Allow',
        Action: 'cloudformation:DeleteChangeSet',
        Resource: [stack('Prod-Data'), stack('Prod-Topics')],
        Condition: { StringEquals: { 'cloudformation:ChangeSetName': 'PipelineChange' } },
      },
    ]);
    expect(deploy.RoleArn).toBe(ROLE);
    expect(deploy.Policy).toBeUndefined();
    expect(await cloudformationAs(reviewRole, 'sfn-deploy-reviewjob', 'us-west-2').config.region()).toBe('us-west-2');
  } finally {
    delete process.env[ENV.reviewRoles];
    sts.restore();
  }
});

test('GIVEN a role the environment does not list (a task input naming a role of its own) THEN the Lambda entry point assumes nothing', () => {
  expect(() => cloudformationAs('arn:aws:iam::444444444444:role/cdk-hnb659fds-deploy-role-444444444444-us-east-1', 'sfn-deploy-forged'))
    .toThrow(/is not a role this workflow was given .*: it is not assumed/);
  process.env[ENV.reviewRoles] = JSON.stringify([[ROLE, ['app']]]);
  try {
    expect(() => cloudformationAs(ROLE, 'sfn-deploy-bothways')).toThrow(/is listed both to deploy and to review: it is not assumed/);
  } finally {
    delete process.env[ENV.reviewRoles];
  }
});
