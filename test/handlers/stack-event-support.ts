/** What the stack event handler's tests share: the handler's world, where the stack `prod-app` shows a status. */
import { FakeCloudFormation, FakeTaskTokens, FakeWaitTable, WAIT_TABLE } from '../fakes';

export const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/prod-app/0a1b2c3d-1111-2222-3333-444455556666';
export const TOKEN = 'sfn-deploy-a1b2c3d4';

/** The handler's world: the wait table, the task tokens, and CloudFormation, where the stack's operation has ended. */
export function stackEventWorld(stackStatus = 'UPDATE_COMPLETE') {
  const table = new FakeWaitTable();
  const tokens = new FakeTaskTokens();
  const cfn = new FakeCloudFormation();
  cfn.putStack('prod-app', stackStatus);
  const deps = { cloudformation: cfn.client, dynamodb: table.client, sfn: tokens.client, tableName: WAIT_TABLE, now: () => 1_700_000_000_000 };
  return { table, tokens, cfn, deps };
}
