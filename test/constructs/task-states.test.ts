/**
 * The one table of the Task states that invoke the task function (`TASK_STATES`) is what the synthesized state
 * machine holds, both ways: the task function's caller check reads it to know which states may run a task.
 */
import { allStates } from '../../demo/lib/definition';
import { TASK_EFFECTS, TASKS } from '../../src/shared/contract';
import { TASK_STATES } from '../../src/shared/state-names';
import { synthesizeWorkflow } from '../executions/harness';

describe('TASK_STATES', () => {
  test('GIVEN the synthesized state machine WHEN its Task states that invoke the task function are read THEN each is in TASK_STATES with the task and state path it sends, and every entry is one of them', () => {
    // GIVEN
    const { definition, taskFunctionArn } = synthesizeWorkflow();

    // WHEN: each Task state calling the task function, with the task and the state path of its payload.
    const synthesized: Record<string, { task: string; statePath: string }> = {};
    for (const [name, state] of allStates(definition)) {
      if (state.Type !== 'Task') continue;
      const payload = state.Resource === taskFunctionArn ? state.Parameters
        : state.Resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken' && state.Parameters?.FunctionName === taskFunctionArn ? state.Parameters.Payload
          : undefined;
      if (payload) synthesized[name] = { task: payload.task, statePath: payload['state.$'] };
    }

    // THEN
    const table = Object.fromEntries(Object.entries(TASK_STATES).map(([name, s]) => [name, { task: s.task, statePath: s.statePath ?? '$' }]));
    expect(synthesized).toEqual(table);
    // Every task runs from some state, and every task says whether it writes.
    expect(new Set(Object.values(TASK_STATES).map((s) => s.task))).toEqual(new Set(TASKS));
    expect(Object.keys(TASK_EFFECTS).sort()).toEqual([...TASKS].sort());
  });
});
