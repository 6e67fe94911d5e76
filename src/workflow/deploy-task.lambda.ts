import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { assumableRoles, sessionPolicyFor } from './review-session';
import { runTask } from './tasks';
import type { TaskEvent } from './tasks';
import { ENV } from '../shared/contract';

const cloudformation = new CloudFormationClient({});
const s3 = new S3Client({});
const cloudwatch = new CloudWatchClient({});
const lambda = new LambdaClient({});
const sns = new SNSClient({});
const codepipeline = new CodePipelineClient({});
const sfn = new SFNClient({});

/**
 * One client per target-account role and session, reused across invocations of the same deployment (its
 * credentials refresh themselves). The session name names the deployment's job in the target account's
 * CloudTrail, so a client is never shared by two jobs; the oldest are dropped beyond a few.
 */
const crossAccount = new Map<string, CloudFormationClient>();
const MAX_CROSS_ACCOUNT_CLIENTS = 16;
export function cloudformationAs(roleArn: string, sessionName: string, region?: string): CloudFormationClient {
  const key = `${roleArn} ${sessionName} ${region ?? ''}`;
  let client = crossAccount.get(key);
  if (!client) {
    // Only the roles the construct listed; a review role for its reviews only, whatever the task's state says.
    const policy = sessionPolicyFor(roleArn, assumableRoles(process.env));
    const review = policy ? { Policy: policy } : {};
    client = new CloudFormationClient({
      ...(region ? { region } : {}),
      credentials: fromTemporaryCredentials({ params: { RoleArn: roleArn, RoleSessionName: sessionName, DurationSeconds: 900, ...review } }),
    });
    crossAccount.set(key, client);
    if (crossAccount.size > MAX_CROSS_ACCOUNT_CLIENTS) crossAccount.delete(crossAccount.keys().next().value!);
  }
  return client;
}

/** A client per region other than the function's (a CDK Pipelines stage's stacks may live in another region). */
const regional = new Map<string, CloudFormationClient>();
export function cloudformationIn(region: string): CloudFormationClient {
  let client = regional.get(region);
  if (!client) {
    client = new CloudFormationClient({ region });
    regional.set(region, client);
  }
  return client;
}

/** The deploy state machine's Task states invoke this with `{ task, state, executionId }` (and a task token to wait for a person). */
export async function handler(event: TaskEvent): Promise<unknown> {
  console.log(`task ${event?.task} for stack ${event?.state?.deployment?.stackName}`);
  return runTask(event, {
    cloudformation,
    cloudformationAs,
    cloudformationIn,
    s3,
    cloudwatch,
    lambda,
    sns,
    codepipeline,
    sfn,
    region: process.env.AWS_REGION ?? 'us-east-1',
    urlSuffix: process.env[ENV.urlSuffix] ?? 'amazonaws.com',
    ...(process.env[ENV.approvalUrl] ? { approvalUrl: process.env[ENV.approvalUrl] } : {}),
  });
}
