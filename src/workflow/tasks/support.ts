/** What every task gets (its clients, its event) and the errors that stop a deployment without doing anything. */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Deployment, TaskName, WorkflowState } from '../../shared/contract';
import { FAILURE_NAMES } from '../../shared/errors';
import { waitRecordExpiry } from '../../shared/wait-record';
import { pollSeconds } from '../stack-status';


export interface TaskDeps {
  readonly cloudformation: CloudFormationClient;
  /**
   * The CloudFormation client for a role in another account (cross-account deployments): the deployment's
   * `assumeRoleArn`. Without it, such a deployment fails instead of deploying to the wrong account.
   */
  readonly cloudformationAs?: (roleArn: string, sessionName: string, region?: string) => CloudFormationClient;
  /** The CloudFormation client for another region than the function's, with the function's own role. */
  readonly cloudformationIn?: (region: string) => CloudFormationClient;
  readonly s3: S3Client;
  /**
   * Reads the rollback alarms (DescribeAlarms) of a stack in the function's own account and region; left out for a
   * stack anywhere else, whose alarms are not read.
   */
  readonly cloudwatch?: CloudWatchClient;
  /** Calls a policy function (SafetyPolicy.fromFunction). */
  readonly lambda?: LambdaClient;
  /** Notifies approvers (UnsafeChangeAction.requireApproval). */
  readonly sns?: SNSClient;
  /** Confirms the pipeline job behind an execution (the first task). */
  readonly codepipeline?: CodePipelineClient;
  /** Reads the execution's history, to confirm that a change set is executed by the execution itself. */
  readonly sfn?: SFNClient;
  readonly region: string;
  /** The approval function's URL, which the approval message names. @default - the message names none */
  readonly approvalUrl?: string;
  /** The partition's domain for S3 URLs. @default amazonaws.com */
  readonly urlSuffix?: string;
  readonly now?: () => number;
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
    this.name = FAILURE_NAMES.unconfirmedDeployment;
  }
}

/**
 * A rollback or blocking alarm went to ALARM (or is gone) after the stack check, before the stack was created or its
 * change set executed: nothing is deployed, the change sets are deleted.
 */
export class AlarmFiringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = FAILURE_NAMES.stackNotUpdatable;
  }
}

/** The action's deadline passed before a change set could be executed: it is deleted instead. */
export class DeadlinePassedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = FAILURE_NAMES.deadlinePassed;
  }
}

/**
 * The change set about to be executed is not exactly the one judged: gone, replaced under its name, or changed.
 * Nothing is executed; it is deleted.
 */
export class ChangeSetChangedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = FAILURE_NAMES.changeSetChanged;
  }
}

/**
 * The deps with CloudFormation calls made where the deployment's stack is: as the target account's role when it
 * names one, in its region when it names one. Without a way to do so the task fails, never calls the wrong stack.
 */
export function depsFor(deployment: Deployment, deps: TaskDeps): TaskDeps {
  const { assumeRoleArn: role, region } = deployment;
  if (role) {
    if (!deps.cloudformationAs) throw new Error('this task function cannot assume a role for a cross-account deployment');
    const session = `sfn-deploy-${deployment.jobId.replace(/[^A-Za-z0-9]/g, '').slice(0, 32)}`;
    return { ...deps, cloudformation: deps.cloudformationAs(role, session, region), cloudwatch: undefined };
  }
  if (region && region !== deps.region) {
    if (!deps.cloudformationIn) throw new Error(`this task function cannot call CloudFormation in ${region}`);
    return { ...deps, cloudformation: deps.cloudformationIn(region), cloudwatch: undefined };
  }
  return deps;
}

/**
 * The deps for one stack of a unit, from the unit's: its own account and region (prepared change sets of CDK
 * Pipelines' stacks may each have theirs); a unit whose own calls go elsewhere shares them with its stacks.
 */
export function memberDeps(member: Deployment, unit: Deployment, deps: TaskDeps): TaskDeps {
  if (member.assumeRoleArn === unit.assumeRoleArn && member.region === unit.region) return deps;
  if (unit.assumeRoleArn || unit.region) throw new Error(`stack ${member.stackName} is not where its unit's calls go`);
  return depsFor(member, deps);
}

export function waitFor(deployment: Deployment, deps: TaskDeps): number {
  return pollSeconds(deployment.pollIntervalSeconds, (deps.now ?? Date.now)() - deployment.startedAt);
}

/** What a wait for the operation's status events needs: its client request token, and when its record may go. */
export function eventWait(clientRequestToken: string, deps: TaskDeps): { clientRequestToken: string; expiresAt: number } {
  return { clientRequestToken, expiresAt: waitRecordExpiry((deps.now ?? Date.now)()) };
}
