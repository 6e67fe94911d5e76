/**
 * The stack status event handler at its edges: a stack made by a change set and never executed (REVIEW_IN_PROGRESS)
 * is not running; every error Step Functions gives for a wait that has ended already means the event is stale; a
 * DescribeStacks error other than "does not exist" is not a deleted stack; a token longer than CloudFormation's is
 * not one of the workflow's.
 */
import { onStackEvent } from '../../src/workflow/stack-events';
import { statusEvent } from '../fakes';
import { STACK_ID, TOKEN, stackEventWorld } from './stack-event-support';

const KEY = `prod-app#${TOKEN}`;
const world = stackEventWorld;

const named = (name: string, message: string) => Object.assign(new Error(message), { name });

test('GIVEN CloudFormation shows the stack REVIEW_IN_PROGRESS (made by a change set never executed: nothing runs) WHEN a final event of its operation comes THEN the end is recorded', async () => {
  const { table, deps } = world('REVIEW_IN_PROGRESS');
  await expect(onStackEvent(statusEvent(STACK_ID, 'ROLLBACK_COMPLETE', TOKEN), deps)).resolves.toBe('RECORDED');
  expect(table.items.get(KEY)?.finalStatus).toEqual({ S: 'ROLLBACK_COMPLETE' });
});

test.each(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'])('GIVEN Step Functions answers %s (the wait has ended already) WHEN the final event comes THEN it is stale: recorded, nobody woken, no failure', async (error) => {
  // GIVEN
  const { table, tokens, deps } = world();
  table.put({ pk: { S: KEY }, taskToken: { S: 'token-1' } }, 'attribute_not_exists(finalStatus)');
  jest.spyOn(tokens.client, 'send').mockRejectedValueOnce(named(error, 'the wait is over') as never);

  // WHEN / THEN
  await expect(onStackEvent(statusEvent(STACK_ID, 'UPDATE_COMPLETE', TOKEN), deps)).resolves.toBe('STALE');
  expect(table.items.get(KEY)?.finalStatus).toEqual({ S: 'UPDATE_COMPLETE' });
});

test('GIVEN Step Functions is throttling WHEN the final event wakes a wait THEN the handler fails, so that the event is delivered again', async () => {
  const { table, tokens, deps } = world();
  table.put({ pk: { S: KEY }, taskToken: { S: 'token-1' } }, 'attribute_not_exists(finalStatus)');
  jest.spyOn(tokens.client, 'send').mockRejectedValueOnce(named('ThrottlingException', 'Rate exceeded') as never);
  await expect(onStackEvent(statusEvent(STACK_ID, 'UPDATE_COMPLETE', TOKEN), deps)).rejects.toThrow('Rate exceeded');
});

test('GIVEN DescribeStacks fails with a ValidationError that is not "does not exist" WHEN a final event comes THEN the handler fails: the stack is not taken for deleted and nothing is recorded', async () => {
  const { table, cfn, deps } = world();
  jest.spyOn(cfn.client, 'send').mockRejectedValueOnce(named('ValidationError', 'Stack prod-app is in an account this role cannot read') as never);
  await expect(onStackEvent(statusEvent(STACK_ID, 'DELETE_COMPLETE', TOKEN), deps)).rejects.toThrow('cannot read');
  expect(table.items.size).toBe(0);
});

test('GIVEN a client request token longer than CloudFormation\'s 128 characters WHEN the event comes THEN it is not the workflow\'s: ignored', async () => {
  const { table, deps } = world();
  await expect(onStackEvent(statusEvent(STACK_ID, 'UPDATE_COMPLETE', `${TOKEN}-${'x'.repeat(128)}`), deps)).resolves.toBe('IGNORED');
  await expect(onStackEvent(statusEvent(STACK_ID, 'UPDATE_COMPLETE', `${TOKEN}-${'x'.repeat(128 - TOKEN.length - 1)}`), deps)).resolves.toBe('RECORDED');
  expect(table.items.size).toBe(1);
});
