/**
 * The stack status event handler on its own: it wakes only the wait of the operation an event belongs to, once,
 * and ignores what is not a final status of one of the workflow's own operations.
 */
import { onStackEvent } from '../../src/workflow/stack-events';
import { statusEvent } from '../fakes';
import { STACK_ID, TOKEN, stackEventWorld } from './stack-event-support';

const world = stackEventWorld;

test.each([
  ['an event of another source', { ...statusEvent(STACK_ID, 'UPDATE_COMPLETE', TOKEN), source: 'aws.ec2' }],
  ['a status still in progress', statusEvent(STACK_ID, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', TOKEN)],
  ['an operation that is not the workflow\'s (console token)', statusEvent(STACK_ID, 'UPDATE_COMPLETE', 'Console-UpdateStack-1')],
  ['an operation without a token', statusEvent(STACK_ID, 'UPDATE_COMPLETE')],
  ['a stack id that is not one', statusEvent('prod-app', 'UPDATE_COMPLETE', TOKEN)],
  ['a status that is not one', statusEvent(STACK_ID, 'update complete; drop table', TOKEN)],
  ['no event at all', null],
])('GIVEN %s WHEN handled THEN it is ignored and nothing is written', async (_what, event) => {
  const { table, deps } = world();
  await expect(onStackEvent(event, deps)).resolves.toBe('IGNORED');
  expect(table.items.size).toBe(0);
});

test('GIVEN no wait registered yet WHEN the final event comes THEN the end is recorded with an expiry for the wait to find', async () => {
  const { table, deps } = world();
  await expect(onStackEvent(statusEvent(STACK_ID, 'UPDATE_COMPLETE', TOKEN), deps)).resolves.toBe('RECORDED');
  expect(table.items.get(`prod-app#${TOKEN}`)).toEqual({
    pk: { S: `prod-app#${TOKEN}` }, finalStatus: { S: 'UPDATE_COMPLETE' }, expiresAt: { N: String(1_700_000_000 + 2 * 86_400) },
  });
});

test('GIVEN a registered wait WHEN its operation\'s final event comes THEN the wait is woken once with the status, and a repeat finds it over', async () => {
  const { table, tokens, deps } = world();
  table.put({ pk: { S: `prod-app#${TOKEN}` }, taskToken: { S: 'token-1' } }, 'attribute_not_exists(finalStatus)');
  tokens.issue('token-1');

  await expect(onStackEvent(statusEvent(STACK_ID, 'UPDATE_ROLLBACK_COMPLETE', TOKEN), deps)).resolves.toBe('RESUMED');
  await expect(onStackEvent(statusEvent(STACK_ID, 'UPDATE_ROLLBACK_COMPLETE', TOKEN), deps)).resolves.toBe('STALE');

  expect(JSON.parse(tokens.outputs.get('token-1')!)).toEqual({ stackName: 'prod-app', status: 'UPDATE_ROLLBACK_COMPLETE' });
});

test('GIVEN the wait table throttles WHEN an event is handled THEN the handler fails, so EventBridge delivers the event again', async () => {
  const { table, deps } = world();
  const throttled = new Error('Rate exceeded');
  throttled.name = 'ProvisionedThroughputExceededException';
  jest.spyOn(table.client, 'send').mockRejectedValueOnce(throttled as never);
  await expect(onStackEvent(statusEvent(STACK_ID, 'UPDATE_COMPLETE', TOKEN), deps)).rejects.toThrow('Rate exceeded');
});

describe('an event the stack does not show', () => {
  test.each([
    ['UPDATE_IN_PROGRESS', 'an update still running (a forged event, or one ahead of DescribeStacks)'],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'an update still cleaning up'],
    ['CREATE_IN_PROGRESS', 'a creation still running'],
  ])('GIVEN CloudFormation shows the stack %s (%s) WHEN a final event comes THEN it is not believed: nothing is recorded, ' +
    'nobody is woken, and the invocation fails so that it is delivered again', async (stackStatus) => {
    // GIVEN a registered wait
    const { table, tokens, deps } = world(stackStatus);
    table.put({ pk: { S: `prod-app#${TOKEN}` }, taskToken: { S: 'token-1' } }, 'attribute_not_exists(finalStatus)');
    tokens.issue('token-1');

    // WHEN
    const handled = onStackEvent(statusEvent(STACK_ID, 'UPDATE_COMPLETE', TOKEN), deps);

    // THEN
    await expect(handled).rejects.toMatchObject({ name: 'StackStillInProgress', message: expect.stringContaining(`prod-app is ${stackStatus}`) });
    expect(table.items.get(`prod-app#${TOKEN}`)?.finalStatus).toBeUndefined();
    expect(tokens.outputs.get('token-1')).toBeUndefined();
  });

  test('GIVEN the stack is gone (a deletion ended) WHEN its final event comes THEN the end is recorded', async () => {
    const { cfn, deps, table } = world();
    cfn.stacks.delete('prod-app');
    await expect(onStackEvent(statusEvent(STACK_ID, 'DELETE_COMPLETE', TOKEN), deps)).resolves.toBe('RECORDED');
    expect(table.items.get(`prod-app#${TOKEN}`)?.finalStatus).toEqual({ S: 'DELETE_COMPLETE' });
  });
});
