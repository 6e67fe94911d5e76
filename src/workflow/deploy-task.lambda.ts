import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { runTask } from './tasks';
import type { TaskEvent } from './tasks';

const cloudformation = new CloudFormationClient({});
const s3 = new S3Client({});
const lambda = new LambdaClient({});
const sns = new SNSClient({});

/** The deploy state machine's Task states invoke this with `{ task, state }` (and a task token to wait for a person). */
export async function handler(event: TaskEvent): Promise<unknown> {
  console.log(`task ${event?.task} for stack ${event?.state?.deployment?.stackName}`);
  return runTask(event, { cloudformation, s3, lambda, sns, region: process.env.AWS_REGION ?? 'us-east-1' });
}
