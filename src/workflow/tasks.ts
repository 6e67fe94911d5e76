/**
 * The deploy workflow's tasks. The state machine passes its whole state (`$`) with the task's name and the
 * execution's id; each task returns a small result that the state machine stores at its ResultPath.
 */
import { isDeepStrictEqual } from 'util';
import {
  ChangeSetType, CreateChangeSetCommand, CreateStackCommand, DeleteChangeSetCommand, DeleteStackCommand, DescribeChangeSetCommand,
  DescribeStackEventsCommand, DescribeStacksCommand, ExecuteChangeSetCommand,
} from '@aws-sdk/client-cloudformation';
import type { Capability, CloudFormationClient, Parameter, Stack, Tag } from '@aws-sdk/client-cloudformation';
import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { SNSClient } from '@aws-sdk/client-sns';
import { approvalMessage } from './approval-message';
import { byteLength, readDeploymentFiles, stageTemplate } from './artifact';
import type { DeploymentFiles } from './artifact';
import { judge, readChanges, summarise } from './inspect';
import { BLOCKED_GUIDANCE, isInProgress, operationOutcome, pollSeconds } from './stack-status';
import { isNoChangesReason } from '../policy/completeness';
import { LIMITS, TASKS } from '../shared/contract';
import type {
  ApprovalResult, ChangeSetResult, CheckStackResult, Deployment, InspectionResult, JobResult, OperationResult, TaskName,
} from '../shared/contract';
import { ConfigurationError, classify, truncate } from '../shared/errors';
import { STACK_NAME, blueGreenSuffixFor, executionNameFor } from '../shared/naming';
import { confirmJob as confirmPipelineJob, deploymentForJob } from '../shared/pipeline-job';
import { STATE_NAMES } from '../shared/state-names';

export interface TaskDeps {
  readonly cloudformation: CloudFormationClient;
  /**
   * The CloudFormation client for a role in another account (cross-account deployments): the deployment's
   * `assumeRoleArn`. Without it, such a deployment fails instead of deploying to the wrong account.
   */
  readonly cloudformationAs?: (roleArn: string, sessionName: string) => CloudFormationClient;
  readonly s3: S3Client;
  /** Calls a policy function (SafetyPolicy.fromFunction). */
  readonly lambda?: LambdaClient;
  /** Notifies approvers (UnsafeChangeAction.requireApproval). */
  readonly sns?: SNSClient;
  /** Confirms the pipeline job behind an execution (the first task). */
  readonly codepipeline?: CodePipelineClient;
  /** Reads the execution's history, to confirm that a change set is executed by the execution itself. */
  readonly sfn?: SFNClient;
  readonly region: string;
  /** The partition's domain for S3 URLs. @default amazonaws.com */
  readonly urlSuffix?: string;
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
  /** The task token of a state that waits for a person (requestApproval). */
  readonly token?: string;
  /** The execution's ARN (`$$.Execution.Id`). */
  readonly executionId?: string;
}

/** A task asked to act for an execution or a job that is not what it claims: nothing is done. */
export class UnconfirmedDeploymentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnconfirmedDeployment';
  }
}

/** The action's deadline passed before a change set could be executed: it is deleted instead. */
export class DeadlinePassedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeadlinePassed';
  }
}

export async function runTask(event: TaskEvent, deps: TaskDeps): Promise<unknown> {
  if (!event || !TASKS.includes(event.task)) {
    throw new ConfigurationError(`unknown task ${JSON.stringify(event?.task)} (known: ${TASKS.join(', ')})`);
  }
  if (!event.state?.deployment) throw new ConfigurationError('the task event has no state.deployment');
  try {
    return await TASK_HANDLERS[event.task](event.state, withTargetAccount(event.state.deployment, deps), event);
  } catch (e) {
    throw classify(e);
  }
}

/** The deps with CloudFormation calls made as the target account's role, when the deployment names one. */
function withTargetAccount(deployment: Deployment, deps: TaskDeps): TaskDeps {
  if (!deployment.assumeRoleArn) return deps;
  if (!deps.cloudformationAs) throw new Error('this task function cannot assume a role for a cross-account deployment');
  const session = `sfn-deploy-${deployment.jobId.replace(/[^A-Za-z0-9]/g, '').slice(0, 32)}`;
  return { ...deps, cloudformation: deps.cloudformationAs(deployment.assumeRoleArn, session) };
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
};

/**
 * The first task: the execution must be the one the trigger starts for its pipeline job (named after the
 * job), the job must be one CodePipeline confirms in progress, and the deployment must be exactly the one
 * that job's configuration asks for. An execution someone else started with their own input deploys nothing.
 */
async function confirmJob(state: WorkflowState, deps: TaskDeps, event: TaskEvent): Promise<JobResult> {
  const { deployment } = state;
  if (!deps.codepipeline) throw new Error('the task function has no CodePipeline client to confirm the pipeline job');
  const expected = executionNameFor(deployment.jobId);
  const name = event.executionId?.split(':').pop();
  if (name !== expected) {
    throw new UnconfirmedDeploymentError(`execution ${name ?? '(unknown)'} was not started by the trigger for pipeline job ` +
      `${deployment.jobId} (that execution is named ${expected}): nothing is deployed`);
  }
  const job = await confirmPipelineJob(deps.codepipeline, deployment.jobId);
  const asked = await deploymentForJob(deps.s3, job);
  const keys = [...new Set([...Object.keys(asked), ...Object.keys(deployment)])] as (keyof Deployment)[];
  const differs = keys.filter((k) => !isDeepStrictEqual(asked[k], deployment[k]));
  if (differs.length > 0) {
    throw new UnconfirmedDeploymentError(`the execution's input differs from what pipeline job ${deployment.jobId} asks for ` +
      `(${differs.join(', ')}): it was not started by this action's trigger, and nothing is deployed`);
  }
  return { pipelineName: job.pipelineName, pipelineExecutionId: job.pipelineExecutionId, actionExecutionId: job.actionExecutionId };
}

/** Reads the template from the artifact early, so a bad artifact fails before the stack is touched. */
async function readTemplate(state: WorkflowState, deps: TaskDeps) {
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
async function checkStack(state: WorkflowState, deps: TaskDeps): Promise<CheckStackResult> {
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
  };
  if (status === 'REVIEW_IN_PROGRESS') return { ...base, next: 'CHANGE_SET' };
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

/** The create path. The client request token makes a retried call harmless. */
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

/** Waits for the stack operation; a failure reports the first failed resource's reason. */
async function pollStack(state: WorkflowState, deps: TaskDeps): Promise<OperationResult> {
  const { deployment } = state;
  const now = (deps.now ?? Date.now)();
  const expectedStatus = state.operation?.expectedStatus ?? 'UPDATE_COMPLETE';
  const updatedBefore = state.operation?.updatedBefore;
  const stack = await describeStack(deps, deployment.stackName);
  if (!stack && expectedStatus !== 'DELETE_COMPLETE') throw new Error(`stack ${deployment.stackName} does not exist while ${expectedStatus} is awaited`);
  // A deleted stack is no longer found by name: that is the end of a deletion.
  const status = stack ? stack.StackStatus ?? 'UNKNOWN' : 'DELETE_COMPLETE';
  // Right after ExecuteChangeSet, DescribeStacks can still show the stack as it was (the previous update's
  // UPDATE_COMPLETE): that is not this update's end. Seen only when neither the stack's LastUpdatedTime nor the
  // change set's ExecutionStatus shows that this update happened.
  const stale = updatedBefore !== undefined && stack !== undefined && lastChange(stack) <= updatedBefore
    && !(await changeSetExecuted(deps, deployment));
  const outcome = stale ? 'IN_PROGRESS' : operationOutcome(status, expectedStatus);
  const base = { expectedStatus, status, waitSeconds: waitFor(deployment, deps), ...(updatedBefore !== undefined ? { updatedBefore } : {}) };
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
  const rootCause = await firstFailure(deps, deployment);
  const reason = `Stack ${deployment.stackName} ended ${status}, not ${expectedStatus}` +
    (stack?.StackStatusReason ? ` (${stack.StackStatusReason})` : '') +
    (rootCause ? `. First failure: ${rootCause}` : '');
  return { ...base, outcome: 'FAILED', reason: truncate(reason, 3000) };
}

/** Whether CloudFormation says the deployment's change set was executed to its end (successfully or not). */
async function changeSetExecuted(deps: TaskDeps, deployment: Deployment): Promise<boolean> {
  try {
    const described = await deps.cloudformation.send(new DescribeChangeSetCommand({
      StackName: deployment.stackName, ChangeSetName: deployment.changeSetName,
    }));
    return described.ExecutionStatus === 'EXECUTE_COMPLETE' || described.ExecutionStatus === 'EXECUTE_FAILED';
  } catch (e) {
    if ((e as Error).name === 'ChangeSetNotFoundException') return false;
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

/** One change set per deployment, named after the job; REVIEW_IN_PROGRESS stacks get a CREATE change set. */
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
      ...(deployment.includeNestedStacks ? { IncludeNestedStacks: true } : {}),
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

/** Reads every page, evaluates every change, keeps the state small. */
async function inspectChangeSet(state: WorkflowState, deps: TaskDeps): Promise<InspectionResult> {
  const { deployment } = state;
  const { changes, nestedChangeSets } = await readChanges(deps.cloudformation, deployment);
  const verdicts = await judge(deployment, changes, deps.lambda);
  const inspection = summarise(deployment, changes, verdicts, nestedChangeSets);
  if (deployment.onUnsafe.type !== 'requireApproval') return inspection;
  // A person's answer after the action's deadline could not be executed: the wait ends at the deadline.
  const left = Math.floor((deployment.deadline - (deps.now ?? Date.now)()) / 1000);
  return { ...inspection, approvalTimeoutSeconds: Math.max(1, Math.min(deployment.onUnsafe.timeoutSeconds, left)) };
}

/** Blue/green (UnsafeChangeAction.deployToNewStack): the deployment goes on with a new stack name. */
async function switchToNewStack(state: WorkflowState): Promise<Deployment> {
  const { deployment } = state;
  if (deployment.onUnsafe.type !== 'deployToNewStack') {
    throw new ConfigurationError('switchToNewStack runs only with UnsafeChangeAction.deployToNewStack()');
  }
  if (deployment.previousStackName) {
    throw new ConfigurationError(`the new stack ${deployment.stackName} was refused too; not switching again`);
  }
  const suffix = deployment.onUnsafe.suffix ?? blueGreenSuffixFor(deployment.jobId);
  const stackName = `${deployment.stackName}-${suffix}`;
  if (!STACK_NAME.test(stackName)) {
    throw new ConfigurationError(`the new stack name ${stackName} is not a valid stack name (128 characters at most)`);
  }
  return { ...deployment, stackName, previousStackName: deployment.stackName };
}

/** Opted in: a stack whose creation failed (ROLLBACK_COMPLETE, no resources left) is deleted, then created. */
async function deleteRolledBackStack(state: WorkflowState, deps: TaskDeps): Promise<OperationResult> {
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
  await deps.cloudformation.send(new DeleteStackCommand({
    StackName: deployment.stackName,
    ClientRequestToken: `${deployment.changeSetName}-delete`.slice(0, 128),
    ...(deployment.roleArn ? { RoleARN: deployment.roleArn } : {}),
  }));
  return { expectedStatus: 'DELETE_COMPLETE', status: 'DELETE_IN_PROGRESS', outcome: 'IN_PROGRESS', waitSeconds: waitFor(deployment, deps) };
}

/** UnsafeChangeAction.requireApproval: tells the approvers, then the execution waits for their decision. */
async function requestApproval(state: WorkflowState, deps: TaskDeps, event: TaskEvent): Promise<{ notified: string }> {
  const { deployment, inspection } = state;
  if (deployment.onUnsafe.type !== 'requireApproval') {
    throw new ConfigurationError('requestApproval runs only with UnsafeChangeAction.requireApproval()');
  }
  if (!event.token) throw new ConfigurationError('requestApproval needs the task token ($$.Task.Token)');
  if (!deps.sns) throw new Error('the task function has no SNS client to notify the approvers');
  const message = approvalMessage(deployment, inspection, event.token, event.executionId);
  const result = await deps.sns.send(new PublishCommand({
    TopicArn: deployment.onUnsafe.topicArn,
    Subject: truncate(`Approval needed: deployment of stack ${deployment.stackName}`, 100),
    Message: message,
  }));
  return { notified: result.MessageId ?? '' };
}
/**
 * Executes the change set: the one call that applies destructive changes, so everything is checked again
 * right before it. The state must say safe or approved; the action's deadline must not have passed; and the
 * call must come from the execution itself at its Execute Change Set state, with this very state (someone
 * who may invoke the task function cannot hand it a state of their own).
 */
async function executeChangeSet(state: WorkflowState, deps: TaskDeps, event: TaskEvent): Promise<OperationResult> {
  const { deployment } = state;
  const approved = state.inspection?.verdict === 'NEEDS_APPROVAL' && (state.approval as ApprovalResult | undefined)?.approved === true;
  if (state.inspection?.verdict !== 'SAFE' && !approved) {
    // Defence in depth: the state machine only gets here when safe or approved; never execute anything else.
    throw new Error(`refusing to execute change set ${deployment.changeSetName}: it was neither inspected as safe nor approved`);
  }
  const now = (deps.now ?? Date.now)();
  if (now > deployment.deadline) {
    throw new DeadlinePassedError(`the action's timeout passed at ${new Date(deployment.deadline).toISOString()}: ` +
      `change set ${deployment.changeSetName} is deleted, not executed`);
  }
  await confirmCaller(state, deps, event);
  const type = state.changeSet?.type === ChangeSetType.CREATE ? 'CREATE' : 'UPDATE';
  // The stack as it was checked before the change set was created: the same for a retry of this task, whose
  // first attempt may have started the update already.
  const updatedBefore = type === 'UPDATE' ? state.stack?.changedAt : undefined;
  await deps.cloudformation.send(new ExecuteChangeSetCommand({
    StackName: deployment.stackName,
    ChangeSetName: deployment.changeSetName,
    ClientRequestToken: deployment.changeSetName,
  }));
  return {
    expectedStatus: `${type}_COMPLETE`,
    status: `${type}_IN_PROGRESS`,
    outcome: 'IN_PROGRESS',
    ...(updatedBefore !== undefined ? { updatedBefore } : {}),
    waitSeconds: waitFor(deployment, deps),
  };
}

/** The newest state the execution entered must be Execute Change Set, with exactly the state this call holds. */
async function confirmCaller(state: WorkflowState, deps: TaskDeps, event: TaskEvent): Promise<void> {
  if (!deps.sfn) throw new Error('the task function has no Step Functions client to confirm its caller');
  if (!event.executionId) throw new UnconfirmedDeploymentError('executeChangeSet was called without the execution\'s id: nothing is executed');
  let history;
  try {
    history = await deps.sfn.send(new GetExecutionHistoryCommand({
      executionArn: event.executionId, reverseOrder: true, maxResults: 100, includeExecutionData: true,
    }));
  } catch (e) {
    if ((e as Error).name === 'AccessDeniedException' || (e as Error).name === 'ExecutionDoesNotExist') {
      throw new UnconfirmedDeploymentError(`execution ${event.executionId} is not one of this deploy workflow's (${(e as Error).name}): nothing is executed`);
    }
    throw e;
  }
  const entered = history.events?.find((e) => e.type === 'TaskStateEntered');
  const input = entered?.stateEnteredEventDetails?.input;
  let inputState: unknown;
  try {
    inputState = input === undefined ? undefined : JSON.parse(input);
  } catch {
    inputState = undefined;
  }
  if (entered?.stateEnteredEventDetails?.name !== STATE_NAMES.executeChangeSet || !isDeepStrictEqual(inputState, state)) {
    throw new UnconfirmedDeploymentError(`execution ${event.executionId} is not at ${STATE_NAMES.executeChangeSet} with this state: ` +
      `change set ${state.deployment.changeSetName} is not executed`);
  }
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
