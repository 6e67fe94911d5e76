/**
 * The deploy workflow's tasks. The state machine passes its whole state (`$`) with the task's name and the
 * execution's id; each task returns a small result that the state machine stores at its ResultPath.
 */
import { confirmCaller } from './caller';
import { createChangeSet, deleteChangeSet, executeChangeSet, inspectChangeSet, pollChangeSet } from './change-set';
import { confirmJob } from './job';
import { checkStack, createStack, deleteRolledBackStack, pollStack, readTemplate } from './stack';
import { requestApproval, switchToNewStack } from './strategies';
import { depsFor } from './support';
import type { TaskDeps, TaskEvent } from './support';
import { deleteUnitChangeSets, judgeUnit, nextUnitStack, planUnitRound } from './unit';
import { TASKS, taskWrites } from '../../shared/contract';
import type { TaskName, WorkflowState } from '../../shared/contract';
import { ConfigurationError, classify } from '../../shared/errors';


export { ChangeSetChangedError, DeadlinePassedError, UnconfirmedDeploymentError } from './support';
export type { TaskDeps, TaskEvent } from './support';
export type { WorkflowState } from '../../shared/contract';

export async function runTask(event: TaskEvent, deps: TaskDeps): Promise<unknown> {
  if (!event || !TASKS.includes(event.task)) {
    throw new ConfigurationError(`unknown task ${JSON.stringify(event?.task)} (known: ${TASKS.join(', ')})`);
  }
  if (!event.state?.deployment) throw new ConfigurationError('the task event has no state.deployment');
  try {
    // Before any other AWS call: a task that writes acts only for its running execution's own call.
    if (taskWrites(event.task)) await confirmCaller(event, deps);
    return await TASK_HANDLERS[event.task](event.state, depsFor(event.state.deployment, deps), event);
  } catch (e) {
    throw classify(e);
  }
}

const TASK_HANDLERS: Record<TaskName, (state: WorkflowState, deps: TaskDeps, event: TaskEvent) => Promise<unknown>> = {
  confirmJob,
  readTemplate,
  checkStack,
  createStack,
  pollStack,
  createChangeSet,
  pollChangeSet,
  inspectChangeSet,
  executeChangeSet,
  deleteChangeSet,
  switchToNewStack,
  requestApproval,
  deleteRolledBackStack,
  planUnitRound,
  judgeUnit,
  nextUnitStack,
  deleteUnitChangeSets,
};
