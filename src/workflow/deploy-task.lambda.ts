import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { runTask } from './tasks';
import type { TaskEvent } from './tasks';

const cloudformation = new CloudFormationClient({});
const s3 = new S3Client({});
const lambda = new LambdaClient({});
const sns = new SNSClient({});

/** One client per target-account role, reused across invocations; credentials refresh themselves. */
const crossAccount = new Map<string, CloudFormationClient>();
export function cloudformationAs(roleArn: string, sessionName: string): CloudFormationClient {
  let client = crossAccount.get(roleArn);
  if (!client) {
    client = new CloudFormationClient({
      credentials: fromTemporaryCredentials({ params: { RoleArn: roleArn, RoleSessionName: sessionName, DurationSeconds: 900 } }),
    });
    crossAccount.set(roleArn, client);
  }
  return client;
}

/** The deploy state machine's Task states invoke this with `{ task, state }` (and a task token to wait for a person). */
export async function handler(event: TaskEvent): Promise<unknown> {
  console.log(`task ${event?.task} for stack ${event?.state?.deployment?.stackName}`);
  return runTask(event, { cloudformation, cloudformationAs, s3, lambda, sns, region: process.env.AWS_REGION ?? 'us-east-1' });
}
