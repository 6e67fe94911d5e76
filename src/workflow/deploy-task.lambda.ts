import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { runTask } from './tasks';
import type { TaskEvent } from './tasks';

const cloudformation = new CloudFormationClient({});
const s3 = new S3Client({});

/** The deploy state machine's Task states invoke this with `{ task, state }`. */
export async function handler(event: TaskEvent): Promise<unknown> {
  console.log(`task ${event?.task} for stack ${event?.state?.deployment?.stackName}`);
  return runTask(event, { cloudformation, s3, region: process.env.AWS_REGION ?? 'us-east-1' });
}
