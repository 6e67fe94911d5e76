import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { onStackEvent } from './stack-events';
import { ENV } from '../shared/contract';

const cloudformation = new CloudFormationClient({});
const dynamodb = new DynamoDBClient({});
const sfn = new SFNClient({});

/** EventBridge invokes this with CloudFormation's stack status events of the stacks the deploy actions deploy. */
export async function handler(event: unknown): Promise<void> {
  await onStackEvent(event, { cloudformation, dynamodb, sfn, tableName: process.env[ENV.waitTable]!, log: (message) => console.log(message) });
}
