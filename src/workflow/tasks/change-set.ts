/** The change set tasks: create it, wait for it, inspect it with the safety policy, execute or delete it. */
import {
  ChangeSetType, CreateChangeSetCommand, DeleteChangeSetCommand, DeploymentMode, DescribeChangeSetCommand, ExecuteChangeSetCommand,
} from '@aws-sdk/client-cloudformation';
import { refuseIfAlarmFiring, stackInputs, templateSource } from './stack';
import { ChangeSetChangedError, DeadlinePassedError, eventWait, waitFor } from './support';
import type { TaskDeps } from './support';
import { isNoChangesReason } from '../../policy/completeness';
import { maskSecrets } from '../../policy/safe-value';
import { reviewsOnly } from '../../shared/contract';
import type { ChangeSetResult, InspectionResult, OperationResult, WorkflowState } from '../../shared/contract';
import { ChangeSetBeingCreatedError, ConfigurationError, FAILURE_NAMES, truncate } from '../../shared/errors';
import { shortDigest } from '../../shared/naming';
import { IncompleteChangeSetError, judge, readChanges, summarise } from '../inspect';

/**
 * One change set per deployment, named after the job; REVIEW_IN_PROGRESS stacks get a CREATE change set. It is
 * created with the token the stack check drew for this execution; a change set already under its name is adopted
 * only when it carries that token (a retry of this task), never one someone else put there.
 */
export async function createChangeSet(state: WorkflowState, deps: TaskDeps): Promise<ChangeSetResult> {
  const { deployment } = state;
  const type = state.stack?.status === 'REVIEW_IN_PROGRESS' ? ChangeSetType.CREATE : ChangeSetType.UPDATE;
  const token = state.stack?.changeSetToken;
  if (!token) throw new ConfigurationError(`creating change set ${deployment.changeSetName} needs the token the stack check draws for it`);
  const { files, body } = await templateSource(state, deps);
  let id: string | undefined;
  try {
    ({ Id: id } = await deps.cloudformation.send(new CreateChangeSetCommand({
      StackName: deployment.stackName,
      ChangeSetName: deployment.changeSetName,
      ChangeSetType: type,
      ...body,
      // Rollback triggers the stack has now are cleared when the deployment has none (CloudFormation keeps them otherwise).
      ...stackInputs(deployment, files, state.stack?.rollbackConfigured === true),
      ClientToken: token,
      ...(deployment.includeNestedStacks ? { IncludeNestedStacks: true } : {}),
      // Drift-aware: only an existing stack has actual state to compare with.
      ...(deployment.revertDrift && type === ChangeSetType.UPDATE ? { DeploymentMode: DeploymentMode.REVERT_DRIFT } : {}),
      Description: `StepFunctionsDeployAction, pipeline job ${deployment.jobId}, request ${token}`,
    })));
  } catch (e) {
    if ((e as Error).name !== 'AlreadyExistsException') throw e;
    id = await ownChangeSet(state, deps, token);
  }
  return {
    name: deployment.changeSetName, ...(id ? { id } : {}), type, status: 'CREATE_PENDING', outcome: 'PENDING', waitSeconds: waitFor(deployment, deps),
  };
}

/**
 * The id of the change set under the deployment's name when this execution created it (an earlier attempt of this
 * task, whose answer was lost): it carries the execution's token. Anything else there was put by someone else.
 */
async function ownChangeSet(state: WorkflowState, deps: TaskDeps, token: string): Promise<string> {
  const { deployment } = state;
  const found = await deps.cloudformation.send(new DescribeChangeSetCommand({
    StackName: deployment.stackName, ChangeSetName: deployment.changeSetName,
  }));
  if (found.ChangeSetId && (found.Description ?? '').endsWith(`request ${token}`)) return found.ChangeSetId;
  throw new ChangeSetChangedError(`a change set named ${deployment.changeSetName} already exists on stack ${deployment.stackName} that this ` +
    'deployment did not create: it is not judged or executed; delete it, and find out who created it, before running the pipeline again');
}

export async function pollChangeSet(state: WorkflowState, deps: TaskDeps): Promise<ChangeSetResult> {
  const { deployment } = state;
  const now = (deps.now ?? Date.now)();
  // Once its id is known, the change set is followed by id: one deleted and created again under its name is not it.
  const known = state.changeSet?.id;
  const described = await deps.cloudformation.send(new DescribeChangeSetCommand({
    StackName: deployment.stackName, ChangeSetName: known ?? deployment.changeSetName,
  }));
  const status = described.Status ?? 'UNKNOWN';
  const reason = described.StatusReason;
  const id = known ?? described.ChangeSetId;
  const base = {
    name: deployment.changeSetName,
    ...(id ? { id } : {}),
    type: state.changeSet?.type ?? ChangeSetType.UPDATE,
    status,
    waitSeconds: waitFor(deployment, deps),
  };
  switch (status) {
    case 'CREATE_COMPLETE':
      // A prepared change set that was executed already, or made obsolete by another, is not what the pipeline will execute.
      if (reviewsOnly(deployment) && described.ExecutionStatus !== 'AVAILABLE') {
        return {
          ...base,
          outcome: 'FAILED',
          reason: `Change set ${deployment.changeSetName} of stack ${deployment.stackName} is ${described.ExecutionStatus ?? 'not available'}, not ` +
            'AVAILABLE: it was executed already or replaced by another change; run the pipeline again to prepare and review a new one.',
        };
      }
      return { ...base, outcome: 'READY' };
    case 'CREATE_PENDING':
    case 'CREATE_IN_PROGRESS':
      if (now <= deployment.deadline) return { ...base, outcome: 'PENDING' };
      return { ...base, outcome: 'FAILED', reason: `Change set ${deployment.changeSetName} was still ${status} at the action's timeout.` };
    case 'FAILED':
      if (isNoChangesReason(reason)) return { ...base, outcome: 'NO_CHANGES', ...(reason ? { reason } : {}) };
      return {
        ...base,
        outcome: 'FAILED',
        // CloudFormation's reason may quote property values (a failed validation): masked as far as they are secret.
        reason: truncate(`Change set ${deployment.changeSetName} for stack ${deployment.stackName} failed: ${maskSecrets(reason ?? 'no reason given')}`, 3000),
      };
    default:
      return { ...base, outcome: 'FAILED', reason: `Change set ${deployment.changeSetName} is ${status}.` };
  }
}

/** Reads every page, evaluates every change, keeps the state small. */
export async function inspectChangeSet(state: WorkflowState, deps: TaskDeps): Promise<InspectionResult> {
  const { deployment } = state;
  const changeSetId = state.changeSet?.id;
  if (!changeSetId) {
    throw new IncompleteChangeSetError(`Change set ${deployment.changeSetName} for stack ${deployment.stackName} has no id: ` +
      'only a change set known by its id is judged (and then executed by it); it is not executed.');
  }
  const { changes, nestedChangeSets, digest } = await readChanges(deps.cloudformation, deployment, changeSetId);
  const verdicts = await judge(deployment, changes, deps.lambda);
  const inspection = { ...summarise(deployment, changes, verdicts, nestedChangeSets), changeSetId, digest };
  if (deployment.onUnsafe.type !== 'requireApproval') return inspection;
  // A person's answer after the action's deadline could not be executed: the wait ends at the deadline.
  const left = Math.floor((deployment.deadline - (deps.now ?? Date.now)()) / 1000);
  return { ...inspection, approvalTimeoutSeconds: Math.max(1, Math.min(deployment.onUnsafe.timeoutSeconds, left)) };
}

/**
 * Executes the change set: the one call that applies destructive changes, so everything is checked again
 * right before it. The state must say safe or approved, and the action's deadline must not have passed. (Like
 * every task that writes, it runs only for its execution's own call: `confirmCaller`, at the function's entry.)
 */
export async function executeChangeSet(state: WorkflowState, deps: TaskDeps): Promise<OperationResult> {
  const { deployment } = state;
  if (reviewsOnly(deployment)) {
    // A review of the pipeline's change sets allows or refuses them; the pipeline's own action executes them.
    throw new Error(`refusing to execute change set ${deployment.changeSetName}: it was prepared by the pipeline, which executes it`);
  }
  const approved = state.inspection?.verdict === 'REQUIRE_APPROVAL' && state.approval?.approved === true;
  if (state.inspection?.verdict !== 'ALLOW' && !approved) {
    // Defence in depth: the state machine only gets here when allowed or approved; never execute anything else.
    throw new Error(`refusing to execute change set ${deployment.changeSetName}: it was neither inspected as safe nor approved`);
  }
  const now = (deps.now ?? Date.now)();
  if (now > deployment.deadline) {
    throw new DeadlinePassedError(`the action's timeout passed at ${new Date(deployment.deadline).toISOString()}: ` +
      `change set ${deployment.changeSetName} is deleted, not executed`);
  }
  const changeSetId = await sameAsJudged(state, deps);
  // An alarm that fired since the stack check (during the approval, or a unit's earlier stacks) stops it here.
  await refuseIfAlarmFiring(deployment, deps, async () => {
    const described = await deps.cloudformation.send(new DescribeChangeSetCommand({ StackName: deployment.stackName, ChangeSetName: changeSetId }));
    return described.ExecutionStatus !== 'AVAILABLE';
  });
  const type = state.changeSet?.type === ChangeSetType.CREATE ? 'CREATE' : 'UPDATE';
  // The stack as it was checked before the change set was created: the same for a retry of this task, whose
  // first attempt may have started the update already.
  const updatedBefore = type === 'UPDATE' ? state.stack?.changedAt : undefined;
  await deps.cloudformation.send(new ExecuteChangeSetCommand({
    StackName: deployment.stackName,
    // By id, never by name: the change set judged, not whatever bears its name now.
    ChangeSetName: changeSetId,
    ClientRequestToken: deployment.changeSetName,
  }));
  return {
    expectedStatus: `${type}_COMPLETE`,
    status: `${type}_IN_PROGRESS`,
    outcome: 'IN_PROGRESS',
    ...(updatedBefore !== undefined ? { updatedBefore } : {}),
    waitSeconds: waitFor(deployment, deps),
    ...eventWait(deployment.changeSetName, deps),
  };
}

/**
 * The id of the change set that was judged, once it is described again (every page, nested change sets too) and
 * found exactly as it was judged. Gone, replaced under its name, or changed in any way: nothing is executed, and
 * the workflow deletes what bears its name (its clean-up) and fails with ChangeSetChanged.
 */
export async function sameAsJudged(state: WorkflowState, deps: TaskDeps): Promise<string> {
  const { deployment, inspection } = state;
  const what = `change set ${deployment.changeSetName} of stack ${deployment.stackName}`;
  if (!inspection?.changeSetId || !inspection.digest) {
    throw new ChangeSetChangedError(`${what} has no record of what was judged (its id and digest): it is deleted, not executed`);
  }
  if (state.changeSet?.id !== undefined && state.changeSet.id !== inspection.changeSetId) {
    throw new ChangeSetChangedError(`${what}: the change set judged (${inspection.changeSetId}) is not the one created (${state.changeSet.id}): ` +
      'it is deleted, not executed');
  }
  let again;
  try {
    again = await readChanges(deps.cloudformation, deployment, inspection.changeSetId);
  } catch (e) {
    const name = (e as Error).name;
    if (name === 'ChangeSetNotFoundException' || name === FAILURE_NAMES.incompleteChangeSet || (name === 'ValidationError' && /does not (exist|belong)/.test((e as Error).message))) {
      throw new ChangeSetChangedError(`${what}: the change set judged (${inspection.changeSetId}) is gone or can no longer be read whole ` +
        `(${name}); whatever bears its name now is deleted, not executed`);
    }
    throw e;
  }
  if (again.digest !== inspection.digest) {
    throw new ChangeSetChangedError(`${what} (${inspection.changeSetId}) changed after it was judged (digest ${shortDigest(inspection.digest)}, ` +
      `now ${shortDigest(again.digest)}): it is deleted, not executed`);
  }
  return inspection.changeSetId;
}

/**
 * Deletes the deployment's change set. One that is gone already, or a stack that was never created, is no error;
 * one still being created cannot be deleted yet, so the call is retried (a transient error) until it can.
 */
export async function deleteChangeSet(state: WorkflowState, deps: TaskDeps) {
  const { deployment } = state;
  try {
    await deps.cloudformation.send(new DeleteChangeSetCommand({
      StackName: deployment.stackName, ChangeSetName: deployment.changeSetName,
    }));
  } catch (e) {
    const error = e as Error;
    if (error.name === 'ChangeSetNotFoundException' || (error.name === 'ValidationError' && /does not exist/.test(error.message))) {
      return { deleted: deployment.changeSetName };
    }
    if (error.name === 'InvalidChangeSetStatusException' && (await describedStatus(deps, deployment)).beingCreated) {
      throw new ChangeSetBeingCreatedError(`change set ${deployment.changeSetName} of stack ${deployment.stackName} is still being ` +
        'created: its deletion is retried until CloudFormation has finished creating it');
    }
    throw e;
  }
  return { deleted: deployment.changeSetName };
}

/** Whether the deployment's change set is still being created, or has been executed (or is being executed). */
export async function describedStatus(deps: TaskDeps, deployment: { stackName: string; changeSetName: string }) {
  const described = await deps.cloudformation.send(new DescribeChangeSetCommand({
    StackName: deployment.stackName, ChangeSetName: deployment.changeSetName,
  }));
  return {
    beingCreated: described.Status === 'CREATE_PENDING' || described.Status === 'CREATE_IN_PROGRESS',
    executed: (described.ExecutionStatus ?? '').startsWith('EXECUTE_'),
  };
}
