import { SFNClient } from '@aws-sdk/client-sfn';
import { approversOf, runApproval } from './approval';
import type { FunctionUrlEvent, FunctionUrlResponse } from './approval';
import { ENV } from '../shared/contract';

const sfn = new SFNClient({});
const approvers = approversOf(process.env[ENV.approvers]);

/** The approval function's URL (AWS_IAM auth) invokes this with an approver's signed decision. */
export async function handler(event: FunctionUrlEvent): Promise<FunctionUrlResponse> {
  return runApproval(event, { sfn, approvers, log: (message) => console.log(message) });
}
