/** The stack tasks: read the template, check the stack, create it, wait for it, delete a rolled-back one. */
import { randomUUID } from 'crypto';
import {
  CreateStackCommand, DeleteStackCommand, DescribeChangeSetCommand, DescribeStackEventsCommand, DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import type { Capability, Parameter, Stack, Tag } from '@aws-sdk/client-cloudformation';
import { maskSecrets } from '../../policy/safe-value';
import { LIMITS } from '../../shared/contract';
import type { CheckStackResult, Deployment, OperationResult, WorkflowState } from '../../shared/contract';
import { ConfigurationError, ROLLED_BACK_ON_ALARM, truncate } from '../../shared/errors';
import { byteLength, readDeploymentFiles, stageTemplate } from '../artifact';
import type { DeploymentFiles } from '../artifact';
import { alarmName, describeAlarms, hasRollbackConfiguration, rollbackCause, rollbackConfiguration } from '../rollback';
import { BLOCKED_GUIDANCE, isInProgress, operationOutcome } from '../stack-status';
import { AlarmFiringError, eventWait, waitFor } from './support';
import type { TaskDeps } from './support';

/** Reads the template from the artifact early, so a bad artifact fails before the stack is touched. */
export async function readTemplate(state: WorkflowState, deps: TaskDeps) {
  const files = await readDeploymentFiles(deps.s3, state.deployment);
  const size = byteLength(files.template);
  if (size <= LIMITS.templateBody) return { size };
  const templateUrl = await stageTemplate(deps.s3, state.deployment, files.template, deps.region, deps.urlSuffix ?? 'amazonaws.com');
  return { size, templateUrl };
}

/** The stack, or undefined when CloudFormation says it does not exist (no other error means absent). */
async function describeStack(deps: TaskDeps, stackName: string): Promise<Stack | undefined> {
  try {
    const described = await deps.cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
    return described.Stacks?.[0];
  } catch (e) {
    const error = e as Error;
    if (error.name === 'ValidationError' && /does not exist/.test(error.message)) return undefined;
    throw e;
  }
}

/** Only "does not exist" means absent; a stack in another deployment is waited for. */
export async function checkStack(state: WorkflowState, deps: TaskDeps): Promise<CheckStackResult> {
  const checked = await stackCheck(state, deps);
  if (checked.next !== 'CREATE' && checked.next !== 'CHANGE_SET') return checked;
  // Never deploy into an alarm: a stack about to be created or changed waits (or fails) while one is in ALARM.
  const firing = await firingAlarms(state.deployment, deps);
  if (!firing) return checked;
  const { deployment } = state;
  const now = (deps.now ?? Date.now)();
  const { changeSetToken: _t, ...rest } = checked;
  if (firing.missing) {
    // Waiting would not make it exist: CloudFormation would fail the operation on a missing trigger.
    return { ...rest, next: 'BLOCKED', reason: `Not deploying stack ${deployment.stackName}: ${firing.text}. Nothing was changed.` };
  }
  if (deployment.whenAlarmFiring === 'FAIL') {
    return {
      ...rest,
      next: 'BLOCKED',
      reason: `Not deploying stack ${deployment.stackName}: ${firing.text}. Nothing was changed; run the pipeline ` +
      'again once the alarm is OK (or give the action whenAlarmFiring: WAIT to wait for it).',
    };
  }
  if (now > deployment.deadline) {
    return { ...rest, next: 'BLOCKED', reason: `Not deploying stack ${deployment.stackName}: ${firing.text}, until the action's timeout. Nothing was changed.` };
  }
  // Alarms change state on their own period: a read a minute is enough, and cheap (the Wait state costs nothing).
  return { ...rest, next: 'WAIT', waitSeconds: Math.max(checked.waitSeconds, ALARM_POLL_SECONDS), reason: `Stack ${deployment.stackName} waits: ${firing.text}.` };
}

/**
 * Right before the call that deploys (CreateStack, ExecuteChangeSet) the alarms are read again: one that went to
 * ALARM since the stack check (while a person decided, or while an earlier stack of a unit deployed and was watched)
 * keeps this stack from being deployed, whatever whenAlarmFiring says; the deployment fails and its change sets not
 * executed are deleted. `started` says whether an earlier attempt of this task started the operation already (its
 * answer lost): that attempt is repeated, with the same token, as it was.
 */
export async function refuseIfAlarmFiring(deployment: Deployment, deps: TaskDeps, started: () => Promise<boolean>): Promise<void> {
  const firing = await firingAlarms(deployment, deps);
  if (!firing || await started()) return;
  throw new AlarmFiringError(`Not deploying stack ${deployment.stackName}: ${firing.text}, after its stack check found the alarms ` +
    'clear. Nothing of this stack was changed; run the pipeline again once the alarm is OK.');
}

/** How often a deployment that waits for an alarm to leave ALARM reads it again. */
const ALARM_POLL_SECONDS = 60;

/**
 * The rollback and blocking alarms that keep the stack from being deployed now, in words; undefined when none. An
 * alarm that does not exist keeps it too (CloudFormation would fail the operation on a missing trigger), and alarms
 * that cannot be read keep it (fail closed).
 */
async function firingAlarms(deployment: Deployment, deps: TaskDeps): Promise<{ text: string; missing: boolean } | undefined> {
  const alarms = [...(deployment.rollbackAlarms ?? []), ...(deployment.blockingAlarms ?? [])];
  if (alarms.length === 0) return undefined;
  if (!deps.cloudwatch) return { text: 'its alarms cannot be read from here (a stack of another account or region)', missing: true };
  const states = await describeAlarms(deps.cloudwatch, alarms);
  const names = [...new Set(alarms.map((a) => alarmName(a.arn)))];
  const missing = names.filter((name) => !states.get(name)).map((name) => `alarm ${name} does not exist (create it, or remove it from the action)`);
  const firing = names.filter((name) => states.get(name)?.value === 'ALARM')
    .map((name) => `alarm ${name} is in ALARM (${truncate(states.get(name)!.reason ?? 'no state reason', 300)})`);
  if (missing.length === 0 && firing.length === 0) return undefined;
  return { text: maskSecrets([...missing, ...firing].join('; ')), missing: missing.length > 0 };
}

/** What the stack's state says comes next. */
async function stackCheck(state: WorkflowState, deps: TaskDeps): Promise<CheckStackResult> {
  const { deployment } = state;
  const now = (deps.now ?? Date.now)();
  const waitSeconds = waitFor(deployment, deps);
  const stack = await describeStack(deps, deployment.stackName);
  if (!stack) return { exists: false, next: 'CREATE', waitSeconds };
  if (!stack?.StackStatus) throw new Error(`DescribeStacks returned no status for ${deployment.stackName}`);
  const status = stack.StackStatus;
  const base = {
    exists: true,
    status,
    ...(stack.StackId ? { stackId: stack.StackId } : {}),
    waitSeconds,
    changedAt: lastChange(stack),
    ...outputsOf(stack.Outputs),
    ...(hasRollbackConfiguration(stack) ? { rollbackConfigured: true } : {}),
  };
  if (status === 'REVIEW_IN_PROGRESS') return { ...base, next: 'CHANGE_SET', changeSetToken: randomUUID() };
  if (status === 'ROLLBACK_COMPLETE' && deployment.recreateRolledBackStack) {
    return { ...base, next: 'DELETE', reason: `Stack ${deployment.stackName} is ROLLBACK_COMPLETE: deleting it to create it again.` };
  }
  if (BLOCKED_GUIDANCE[status]) {
    return { ...base, next: 'BLOCKED', reason: `Stack ${deployment.stackName} is ${status}: ${BLOCKED_GUIDANCE[status]}.` };
  }
  if (isInProgress(status)) {
    if (now > deployment.deadline) {
      return {
        ...base,
        next: 'BLOCKED',
        reason: `Stack ${deployment.stackName} stayed ${status} (another deployment is running) until the action's timeout.`,
      };
    }
    return { ...base, next: 'WAIT', reason: `Stack ${deployment.stackName} is ${status}: waiting for it to settle.` };
  }
  return { ...base, next: 'CHANGE_SET', changeSetToken: randomUUID() };
}

/** The create path. The client request token makes a retried call harmless. */
export async function createStack(state: WorkflowState, deps: TaskDeps): Promise<OperationResult> {
  const { deployment } = state;
  // A stack that exists now was created by an earlier attempt of this task (CreateStack fails on any other).
  await refuseIfAlarmFiring(deployment, deps, async () => (await describeStack(deps, deployment.stackName)) !== undefined);
  const { files, body } = await templateSource(state, deps);
  const created = await deps.cloudformation.send(new CreateStackCommand({
    StackName: deployment.stackName,
    ...body,
    // A new stack has no rollback triggers to clear.
    ...stackInputs(deployment, files, false),
    ...(files.configuration.StackPolicy ? { StackPolicyBody: JSON.stringify(files.configuration.StackPolicy) } : {}),
    ClientRequestToken: deployment.changeSetName,
  }));
  return {
    expectedStatus: 'CREATE_COMPLETE',
    status: 'CREATE_IN_PROGRESS',
    outcome: 'IN_PROGRESS',
    ...(created.StackId ? { stackId: created.StackId } : {}),
    waitSeconds: waitFor(deployment, deps),
    ...eventWait(deployment.changeSetName, deps),
  };
}

/** Waits for the stack operation; a failure reports the first failed resource's reason. */
export async function pollStack(state: WorkflowState, deps: TaskDeps): Promise<OperationResult> {
  const { deployment } = state;
  const now = (deps.now ?? Date.now)();
  const expectedStatus = state.operation?.expectedStatus ?? 'UPDATE_COMPLETE';
  const updatedBefore = state.operation?.updatedBefore;
  const stack = await describeStack(deps, deployment.stackName);
  if (!stack && expectedStatus !== 'DELETE_COMPLETE') throw new Error(`stack ${deployment.stackName} does not exist while ${expectedStatus} is awaited`);
  // A deleted stack is no longer found by name: that is the end of a deletion.
  const status = stack ? stack.StackStatus ?? 'UNKNOWN' : 'DELETE_COMPLETE';
  // Right after ExecuteChangeSet, DescribeStacks can still show the stack as it was (the previous update's
  // UPDATE_COMPLETE): that is not this update's end. Then the change set's ExecutionStatus decides: not ended yet,
  // the update is still to come; EXECUTE_FAILED with the stack unchanged, the update failed, whatever the stack's
  // old status says.
  const unchanged = updatedBefore !== undefined && stack !== undefined && lastChange(stack) <= updatedBefore;
  const execution = unchanged ? await changeSetExecution(deps, deployment) : undefined;
  const outcome = execution?.status === 'EXECUTE_FAILED' ? 'FAILED'
    : unchanged && execution?.status !== 'EXECUTE_COMPLETE' ? 'IN_PROGRESS' : operationOutcome(status, expectedStatus);
  const token = state.operation?.clientRequestToken;
  const base = {
    expectedStatus,
    status,
    waitSeconds: waitFor(deployment, deps),
    ...(updatedBefore !== undefined ? { updatedBefore } : {}),
    ...(token ? eventWait(token, deps) : {}),
  };
  if (outcome === 'SUCCEEDED') return { ...base, outcome, ...outputsOf(stack?.Outputs) };
  if (outcome === 'IN_PROGRESS') {
    if (now <= deployment.deadline) return { ...base, outcome };
    return {
      ...base,
      outcome: 'FAILED',
      reason: `Stack ${deployment.stackName} is still ${status} at the action's timeout; CloudFormation carries on, ` +
        'check the stack before running the pipeline again.',
    };
  }
  const { rootCause, stackReasons } = await operationFailures(deps, deployment);
  // A rollback alarm that rolled the operation back is the cause; CloudFormation rolled back every change of it.
  const alarm = await rollbackCause(deps.cloudwatch, deployment.rollbackAlarms ?? [],
    [stack?.StackStatusReason ?? '', ...stackReasons], deployment.startedAt - 60_000);
  const ended = execution?.status === 'EXECUTE_FAILED'
    ? `The change set's execution failed (EXECUTE_FAILED${execution.reason ? `: ${execution.reason}` : ''}); stack ` +
      `${deployment.stackName} showed no change when read (${status})`
    : `Stack ${deployment.stackName} ended ${status}, not ${expectedStatus}`;
  const reason = ended +
    (stack?.StackStatusReason && execution?.status !== 'EXECUTE_FAILED' ? ` (${stack.StackStatusReason})` : '') +
    (alarm ? `. ${ROLLED_BACK_ON_ALARM}: ${alarm}. The stack is ${status}: ` +
      `${status === 'ROLLBACK_COMPLETE' ? 'its creation was undone' : 'it is as it was before this deployment'}` : '') +
    (rootCause ? `. First failure: ${rootCause}` : '');
  // CloudFormation's reasons may quote property values: they reach the state, the pipeline and the report masked.
  return { ...base, outcome: 'FAILED', reason: truncate(maskSecrets(reason), 3000) };
}

/** Opted in: a stack whose creation failed (ROLLBACK_COMPLETE, no resources left) is deleted, then created. */
export async function deleteRolledBackStack(state: WorkflowState, deps: TaskDeps): Promise<OperationResult> {
  const { deployment } = state;
  if (!deployment.recreateRolledBackStack) {
    throw new ConfigurationError('deleteRolledBackStack runs only with recreateRolledBackStack');
  }
  // Defence in depth: only ever delete a stack that is ROLLBACK_COMPLETE right now.
  const described = await deps.cloudformation.send(new DescribeStacksCommand({ StackName: deployment.stackName }));
  const status = described.Stacks?.[0]?.StackStatus;
  if (status !== 'ROLLBACK_COMPLETE') {
    throw new Error(`refusing to delete stack ${deployment.stackName}: it is ${status}, not ROLLBACK_COMPLETE`);
  }
  const token = `${deployment.changeSetName}-delete`.slice(0, 128);
  await deps.cloudformation.send(new DeleteStackCommand({
    StackName: deployment.stackName,
    ClientRequestToken: token,
    ...(deployment.roleArn ? { RoleARN: deployment.roleArn } : {}),
  }));
  return {
    expectedStatus: 'DELETE_COMPLETE',
    status: 'DELETE_IN_PROGRESS',
    outcome: 'IN_PROGRESS',
    waitSeconds: waitFor(deployment, deps),
    ...eventWait(token, deps),
  };
}

interface TemplateSource {
  readonly body: { TemplateBody?: string; TemplateURL?: string };
  readonly files: DeploymentFiles;
}

export async function templateSource(state: WorkflowState, deps: TaskDeps): Promise<TemplateSource> {
  const files = await readDeploymentFiles(deps.s3, state.deployment);
  const url = state.template?.templateUrl;
  return { files, body: url ? { TemplateURL: url } : { TemplateBody: files.template } };
}

/**
 * What a stack creation and a change set are made with. `rollbackConfiguredNow`: the stack has rollback triggers or a
 * monitoring time now, which a deployment without rollback alarms clears.
 */
export function stackInputs(deployment: Deployment, files: DeploymentFiles, rollbackConfiguredNow: boolean) {
  const rollback = rollbackConfiguration(deployment, rollbackConfiguredNow);
  const parameters = { ...(files.configuration.Parameters ?? {}), ...deployment.parameterOverrides };
  const tags = { ...(files.configuration.Tags ?? {}), ...deployment.tags };
  return {
    Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]): Parameter => ({ ParameterKey, ParameterValue })),
    Tags: Object.entries(tags).map(([Key, Value]): Tag => ({ Key, Value })),
    Capabilities: deployment.capabilities as Capability[],
    ...(deployment.roleArn ? { RoleARN: deployment.roleArn } : {}),
    ...(rollback ? { RollbackConfiguration: rollback } : {}),
  };
}

/**
 * The deployment's change set's ExecutionStatus (EXECUTE_COMPLETE, EXECUTE_FAILED, ...) and CloudFormation's reason;
 * undefined when it is not found. The whole failure reason is masked before it is shown.
 */
async function changeSetExecution(deps: TaskDeps, deployment: Deployment): Promise<{ status?: string; reason?: string } | undefined> {
  try {
    const described = await deps.cloudformation.send(new DescribeChangeSetCommand({
      StackName: deployment.stackName, ChangeSetName: deployment.changeSetName,
    }));
    return { status: described.ExecutionStatus, reason: described.StatusReason };
  } catch (e) {
    if ((e as Error).name === 'ChangeSetNotFoundException') return undefined;
    throw e;
  }
}

/** When the stack last changed: its LastUpdatedTime, or its CreationTime if it was never updated (epoch ms). */
function lastChange(stack: Stack): number {
  const time = stack.LastUpdatedTime ?? stack.CreationTime;
  return time ? new Date(time).getTime() : 0;
}

/** The stack's outputs, for the action's output variables: at most 50, each value cut to 500 characters. */
function outputsOf(outputs: { OutputKey?: string; OutputValue?: string }[] | undefined): { outputs?: Record<string, string> } {
  const entries = (outputs ?? []).filter((o) => o.OutputKey && o.OutputValue !== undefined).slice(0, 50)
    .map((o) => [o.OutputKey!, truncate(o.OutputValue!, 500)]);
  return entries.length > 0 ? { outputs: Object.fromEntries(entries) } : {};
}

/**
 * The earliest failed resource event of this deployment (the root cause, not the cascade of cancellations), and the
 * reasons of its stack-level events (a rollback trigger's breach is told there).
 */
async function operationFailures(deps: TaskDeps, deployment: Deployment): Promise<{ rootCause?: string; stackReasons: string[] }> {
  const failures: { time: number; text: string; cancelled: boolean }[] = [];
  const stackReasons: string[] = [];
  let token: string | undefined;
  for (let page = 0; page < 5; page++) {
    const events = await deps.cloudformation.send(new DescribeStackEventsCommand({ StackName: deployment.stackName, NextToken: token }));
    let older = false;
    for (const event of events.StackEvents ?? []) {
      const time = event.Timestamp ? new Date(event.Timestamp).getTime() : 0;
      if (time && time < deployment.startedAt - 60_000) {
        older = true;
        continue;
      }
      if (event.LogicalResourceId === deployment.stackName && event.ResourceStatusReason) stackReasons.push(event.ResourceStatusReason);
      if (event.ResourceStatus?.endsWith('_FAILED') && event.LogicalResourceId !== deployment.stackName) {
        failures.push({
          time,
          cancelled: /cancelled/i.test(event.ResourceStatusReason ?? ''),
          text: `${event.LogicalResourceId} (${event.ResourceType}) ${event.ResourceStatus}: ${event.ResourceStatusReason ?? 'no reason given'}`,
        });
      }
    }
    token = events.NextToken;
    if (!token || older) break;
  }
  const real = failures.filter((f) => !f.cancelled);
  const pick = (real.length > 0 ? real : failures).sort((a, b) => a.time - b.time)[0];
  return { ...(pick ? { rootCause: pick.text } : {}), stackReasons };
}
