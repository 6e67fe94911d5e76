import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { runTrigger } from './trigger';
import { ENV } from '../shared/contract';

const codepipeline = new CodePipelineClient({});
const sfn = new SFNClient({});
const s3 = new S3Client({});

/** CodePipeline invokes this for the StepFunctionsDeployAction. The event is never logged: it holds credentials. */
export async function handler(event: unknown): Promise<void> {
  await runTrigger(event, {
    codepipeline,
    sfn,
    s3,
    stateMachineArn: process.env[ENV.stateMachineArn]!,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME!,
    log: (message) => console.log(message),
    s3WithCredentials: (credentials) => new S3Client({ credentials }),
  });
}
