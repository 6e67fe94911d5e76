/**
 * The task function's caller check on its own, against histories as Step Functions writes them: the call's entry
 * may lie pages back (other iterations of a Map write in between), and the check reads a bounded number of pages.
 */
import { UNIT_STACK_REVIEW } from '../../src/shared/state-names';
import type { TaskEvent } from '../../src/workflow/tasks';
import { confirmCaller } from '../../src/workflow/tasks/caller';
import { FakeExecutionHistory, REGION, STATE_MACHINE_ARN } from '../fakes';
import { deployment } from './fixtures';

const EXECUTION = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:cp-paging`;
const STATE = UNIT_STACK_REVIEW.create;

/** An execution whose one iteration calls createChangeSet, while `others` events of another iteration follow. */
function historyWithCall(others: number): { history: FakeExecutionHistory; payload: TaskEvent } {
  const history = new FakeExecutionHistory();
  const log = history.log(EXECUTION, { deployment: deployment() });
  const state = { deployment: deployment() };
  const payload: TaskEvent = { task: 'createChangeSet', state, executionId: EXECUTION };
  log.add('iteration 0', 'TaskStateEntered', { stateEnteredEventDetails: { name: STATE, input: JSON.stringify(state) } }, 1);
  log.call(STATE, payload, (input) => input);
  for (let i = 0; i < others; i++) {
    log.add('iteration 1', i % 2 === 0 ? 'WaitStateEntered' : 'WaitStateExited', { stateEnteredEventDetails: { name: UNIT_STACK_REVIEW.wait } }, i === 0 ? 1 : undefined);
  }
  return { history, payload };
}

describe('the caller check reads the history in pages', () => {
  test('GIVEN the call\'s entry 250 events back (another iteration wrote since) WHEN checked THEN it is found on the third page of 100', async () => {
    const { history, payload } = historyWithCall(250);
    await expect(confirmCaller(payload, { cloudformation: undefined as never, s3: undefined as never, sfn: history.client, region: REGION }))
      .resolves.toBeUndefined();
    expect(history.calls).toHaveLength(3);
  });

  test('GIVEN the call\'s entry over 1,000 events back WHEN checked THEN it is refused after ten pages, saying so', async () => {
    const { history, payload } = historyWithCall(1_000);
    await expect(confirmCaller(payload, { cloudformation: undefined as never, s3: undefined as never, sfn: history.client, region: REGION }))
      .rejects.toMatchObject({ name: 'UnconfirmedDeployment', message: expect.stringContaining('is not calling it now from') });
    expect(history.calls).toHaveLength(10);
  });
});
