/**
 * The deploy workflow's tasks (B8 to B15, B17 to B19). The state machine passes its whole state (`$`)
 * with the task's name; each task returns a small result that the state machine stores at its ResultPath.
 */
import {
  ChangeSetType, CreateChangeSetCommand, CreateStackCommand, DeleteChangeSetCommand, DescribeChangeSetCommand,
  DescribeStackEventsCommand, DescribeStacksCommand, ExecuteChangeSetCommand,
} from '@aws-sdk/client-cloudformation';
import type { Capability, CloudFormationClient, Parameter, Tag } from '@aws-sdk/client-cloudformation';
import type { S3Client } from '@aws-sdk/client-s3';
import { byteLength, readDeploymentFiles, stageTemplate } from './artifact';
import type { DeploymentFiles } from './artifact';
import { BLOCKED_GUIDANCE, isInProgress, isNoChangesReason, operationOutcome, pollSeconds } from './stack-status';
import { evaluateChanges } from '../policy/evaluate';
import type { ChangeInput } from '../policy/evaluate';
import { LIMITS, TASKS } from '../shared/contract';
import type {
  ChangeSetResult, CheckStackResult, Deployment, InspectionResult, OperationResult, TaskName, Violation,
} from '../shared/contract';
import { ConfigurationError, classify, truncate } from '../shared/errors';

export interface TaskDeps {
  readonly cloudformation: CloudFormationClient;
  readonly s3: S3Client;
  readonly region: string;
  readonly now?: () => number;
}

/** The workflow state as the tasks see it. */
export interface WorkflowState {
  readonly deployment: Deployment;
  readonly template?: { readonly size: number; readonly templateUrl?: string };
  readonly stack?: CheckStackResult;
  readonly operation?: OperationResult;
  readonly changeSet?: ChangeSetResult;
  readonly inspection?: InspectionResult;
  readonly [key: string]: unknown;
}

export interface TaskEvent {
  readonly task: TaskName;
  readonly state: WorkflowState;
}

export async function runTask(event: TaskEvent, deps: TaskDeps): Promise<unknown> {
  if (!event || !TASKS.includes(event.task)) {
    throw new ConfigurationError(`unknown task ${JSON.stringify(event?.task)} (known: ${TASKS.join(', ')})`);
  }
  if (!event.state?.deployment) throw new ConfigurationError('the task event has no state.deployment');
  try {
    return await TASK_HANDLERS[event.task](event.state, deps);
  } catch (e) {
    throw classify(e);
  }
}

const TASK_HANDLERS: Record<TaskName, (state: WorkflowState, deps: TaskDeps) => Promise<unknown>> = {
  readTemplate,
  checkStack,
  createStack,
  pollStack,
  createChangeSet,
  pollChangeSet,
  inspectChangeSet,
  executeChangeSet,
  deleteChangeSet,
};

/** Reads the template from the artifact early, so a bad artifact fails before the stack is touched (B5, B17). */
async function readTemplate(state: WorkflowState, deps: TaskDeps) {
  const files = await readDeploymentFiles(deps.s3, state.deployment);
  const size = byteLength(files.template);
  if (size <= LIMITS.templateBody) return { size };
  const templateUrl = await stageTemplate(deps.s3, state.deployment, files.template, deps.region);
  return { size, templateUrl };
}

/** B8, B10: only "does not exist" means absent; a stack in another deployment is waited for. */
async function checkStack(state: WorkflowState, deps: TaskDeps): Promise<CheckStackResult> {
  const { deployment } = state;
  const now = (deps.now ?? Date.now)();
  const waitSeconds = waitFor(deployment, deps);
  let stack;
  try {
    const described = await deps.cloudformation.send(new DescribeStacksCommand({ StackName: deployment.stackName }));
    stack = described.Stacks?.[0];
  } catch (e) {
    const error = e as Error;
    if (error.name === 'ValidationError' && /does not exist/.test(error.message)) {
      return { exists: false, next: 'CREATE', waitSeconds };
    }
    throw e;
  }
  if (!stack?.StackStatus) throw new Error(`DescribeStacks returned no status for ${deployment.stackName}`);
  const status = stack.StackStatus;
  const base = { exists: true, status, ...(stack.StackId ? { stackId: stack.StackId } : {}), waitSeconds };
  if (status === 'REVIEW_IN_PROGRESS') return { ...base, next: 'CHANGE_SET' };
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
  return { ...base, next: 'CHANGE_SET' };
}

interface TemplateSource {
  readonly body: { TemplateBody?: string; TemplateURL?: string };
  readonly files: DeploymentFiles;
}

async function templateSource(state: WorkflowState, deps: TaskDeps): Promise<TemplateSource> {
  const files = await readDeploymentFiles(deps.s3, state.deployment);
  const url = state.template?.templateUrl;
  return { files, body: url ? { TemplateURL: url } : { TemplateBody: files.template } };
}

function stackInputs(deployment: Deployment, files: DeploymentFiles) {
  const parameters = { ...(files.configuration.Parameters ?? {}), ...deployment.parameterOverrides };
  const tags = { ...(files.configuration.Tags ?? {}), ...deployment.tags };
  return {
    Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]): Parameter => ({ ParameterKey, ParameterValue })),
    Tags: Object.entries(tags).map(([Key, Value]): Tag => ({ Key, Value })),
    Capabilities: deployment.capabilities as Capability[],
    ...(deployment.roleArn ? { RoleARN: deployment.roleArn } : {}),
  };
}

/** B9: the create path. The client request token makes a retried call harmless. */
async function createStack(state: WorkflowState, deps: TaskDeps): Promise<OperationResult> {
  const { deployment } = state;
  const { files, body } = await templateSource(state, deps);
  const created = await deps.cloudformation.send(new CreateStackCommand({
    StackName: deployment.stackName,
    ...body,
    ...stackInputs(deployment, files),
    ...(files.configuration.StackPolicy ? { StackPolicyBody: JSON.stringify(files.configuration.StackPolicy) } : {}),
    ClientRequestToken: deployment.changeSetName,
  }));
  return {
    expectedStatus: 'CREATE_COMPLETE',
    status: 'CREATE_IN_PROGRESS',
    outcome: 'IN_PROGRESS',
    ...(created.StackId ? { stackId: created.StackId } : {}),
    waitSeconds: waitFor(deployment, deps),
  };
}

/** B9, B15: waits for the stack operation; a failure reports the first failed resource's reason. */
async function pollStack(state: WorkflowState, deps: TaskDeps): Promise<OperationResult> {
  const { deployment } = state;
  const now = (deps.now ?? Date.now)();
  const expectedStatus = state.operation?.expectedStatus ?? 'UPDATE_COMPLETE';
  const described = await deps.cloudformation.send(new DescribeStacksCommand({ StackName: deployment.stackName }));
  const stack = described.Stacks?.[0];
  const status = stack?.StackStatus ?? 'UNKNOWN';
  const outcome = operationOutcome(status, expectedStatus);
  const base = { expectedStatus, status, waitSeconds: waitFor(deployment, deps) };
  if (outcome === 'SUCCEEDED') return { ...base, outcome };
  if (outcome === 'IN_PROGRESS') {
    if (now <= deployment.deadline) return { ...base, outcome };
    return {
      ...base,
      outcome: 'FAILED',
      reason: `Stack ${deployment.stackName} is still ${status} at the action's timeout; CloudFormation carries on, ` +
        'check the stack before running the pipeline again.',
    };
  }
  const rootCause = await firstFailure(deps, deployment);
  const reason = `Stack ${deployment.stackName} ended ${status}, not ${expectedStatus}` +
    (stack?.StackStatusReason ? ` (${stack.StackStatusReason})` : '') +
    (rootCause ? `. First failure: ${rootCause}` : '');
  return { ...base, outcome: 'FAILED', reason: truncate(reason, 3000) };
}

function waitFor(deployment: Deployment, deps: TaskDeps): number {
  return pollSeconds(deployment.pollIntervalSeconds, (deps.now ?? Date.now)() - deployment.startedAt);
}

/** The earliest failed resource event of this deployment: the root cause, not the cascade of cancellations. */
async function firstFailure(deps: TaskDeps, deployment: Deployment): Promise<string | undefined> {
  const failures: { time: number; text: string; cancelled: boolean }[] = [];
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
  return pick?.text;
}

/** B11: one change set per deployment, named after the job; REVIEW_IN_PROGRESS stacks get a CREATE change set. */
async function createChangeSet(state: WorkflowState, deps: TaskDeps): Promise<ChangeSetResult> {
  const { deployment } = state;
  const type = state.stack?.status === 'REVIEW_IN_PROGRESS' ? ChangeSetType.CREATE : ChangeSetType.UPDATE;
  const { files, body } = await templateSource(state, deps);
  try {
    await deps.cloudformation.send(new CreateChangeSetCommand({
      StackName: deployment.stackName,
      ChangeSetName: deployment.changeSetName,
      ChangeSetType: type,
      ...body,
      ...stackInputs(deployment, files),
      ClientToken: deployment.changeSetName,
      Description: `StepFunctionsDeployAction, pipeline job ${deployment.jobId}`,
    }));
  } catch (e) {
    // A retried task: the change set of this deployment already exists.
    if ((e as Error).name !== 'AlreadyExistsException') throw e;
  }
  return { name: deployment.changeSetName, type, status: 'CREATE_PENDING', outcome: 'PENDING', waitSeconds: waitFor(deployment, deps) };
}

async function pollChangeSet(state: WorkflowState, deps: TaskDeps): Promise<ChangeSetResult> {
  const { deployment } = state;
  const now = (deps.now ?? Date.now)();
  const described = await deps.cloudformation.send(new DescribeChangeSetCommand({
    StackName: deployment.stackName, ChangeSetName: deployment.changeSetName,
  }));
  const status = described.Status ?? 'UNKNOWN';
  const reason = described.StatusReason;
  const base = {
    name: deployment.changeSetName, type: state.changeSet?.type ?? ChangeSetType.UPDATE, status, waitSeconds: waitFor(deployment, deps),
  };
  switch (status) {
    case 'CREATE_COMPLETE':
      return { ...base, outcome: 'READY' };
    case 'CREATE_PENDING':
    case 'CREATE_IN_PROGRESS':
      if (now <= deployment.deadline) return { ...base, outcome: 'PENDING' };
      return { ...base, outcome: 'FAILED', reason: `Change set ${deployment.changeSetName} was still ${status} at the action's timeout.` };
    case 'FAILED':
      if (isNoChangesReason(reason)) return { ...base, outcome: 'NO_CHANGES', ...(reason ? { reason } : {}) };
      return { ...base, outcome: 'FAILED', reason: truncate(`Change set ${deployment.changeSetName} for stack ${deployment.stackName} failed: ${reason ?? 'no reason given'}`, 3000) };
    default:
      return { ...base, outcome: 'FAILED', reason: `Change set ${deployment.changeSetName} is ${status}.` };
  }
}

/** B12 to B14, B19: reads every page, evaluates every change, keeps the state small. */
async function inspectChangeSet(state: WorkflowState, deps: TaskDeps): Promise<InspectionResult> {
  const { deployment } = state;
  const changes: ChangeInput[] = [];
  let token: string | undefined;
  const seen = new Set<string>();
  do {
    const page = await deps.cloudformation.send(new DescribeChangeSetCommand({
      StackName: deployment.stackName, ChangeSetName: deployment.changeSetName, NextToken: token,
    }));
    changes.push(...((page.Changes ?? []) as ChangeInput[]));
    token = page.NextToken;
    if (token && seen.has(token)) throw new Error('DescribeChangeSet returned the same NextToken twice');
    if (token) seen.add(token);
  } while (token);

  const result = evaluateChanges(deployment.policy, changes);
  const counts: Record<string, number> = {};
  for (const change of result.changes) counts[change.action] = (counts[change.action] ?? 0) + 1;
  // With UnsafeChangeAction.fail(), a change that needs approval is refused like a denied one.
  const refused = result.changes.filter((c) => c.verdict !== 'ALLOW');
  const violations: Violation[] = refused.map((c) => ({
    logicalId: c.logicalId,
    resourceType: c.resourceType,
    action: c.action,
    ...(c.replacement ? { replacement: c.replacement } : {}),
    rule: c.verdict === 'REQUIRE_APPROVAL' ? `${c.rule} (needs approval)` : c.rule,
  }));
  const lines = violations.map((v) =>
    `${v.logicalId} (${v.resourceType}): ${v.action}${v.replacement ? `, replacement ${v.replacement}` : ''} refused by ${v.rule}`);
  const reason = violations.length === 0 ? '' : truncate(
    `Change set ${deployment.changeSetName} for stack ${deployment.stackName} was rejected and deleted; ` +
    `${violations.length} of ${changes.length} changes are not allowed: ${lines.join('; ')}`, 4000);
  return {
    verdict: refused.length === 0 ? 'SAFE' : 'UNSAFE',
    changeCount: changes.length,
    violationCount: violations.length,
    violations: violations.slice(0, LIMITS.violationsInState),
    reason,
    counts,
  };
}

async function executeChangeSet(state: WorkflowState, deps: TaskDeps): Promise<OperationResult> {
  const { deployment } = state;
  if (state.inspection?.verdict !== 'SAFE') {
    // Defence in depth: the state machine only gets here on SAFE; never execute anything else (B14).
    throw new Error(`refusing to execute change set ${deployment.changeSetName}: it was not inspected as safe`);
  }
  await deps.cloudformation.send(new ExecuteChangeSetCommand({
    StackName: deployment.stackName,
    ChangeSetName: deployment.changeSetName,
    ClientRequestToken: deployment.changeSetName,
  }));
  const expectedStatus = state.changeSet?.type === ChangeSetType.CREATE ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE';
  const status = expectedStatus === 'CREATE_COMPLETE' ? 'CREATE_IN_PROGRESS' : 'UPDATE_IN_PROGRESS';
  return { expectedStatus, status, outcome: 'IN_PROGRESS', waitSeconds: waitFor(deployment, deps) };
}

async function deleteChangeSet(state: WorkflowState, deps: TaskDeps) {
  const { deployment } = state;
  try {
    await deps.cloudformation.send(new DeleteChangeSetCommand({
      StackName: deployment.stackName, ChangeSetName: deployment.changeSetName,
    }));
  } catch (e) {
    const error = e as Error;
    if (error.name !== 'ChangeSetNotFoundException' && !(error.name === 'ValidationError' && /does not exist/.test(error.message))) throw e;
  }
  return { deleted: deployment.changeSetName };
}
