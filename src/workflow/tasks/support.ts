/** What every task gets (its clients, its event) and the errors that stop a deployment without doing anything. */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import { STACK_EVENTS } from '../../shared/contract';
import type { Deployment, TaskName, WorkflowState } from '../../shared/contract';
import { pollSeconds } from '../stack-status';


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

export function waitFor(deployment: Deployment, deps: TaskDeps): number {
  return pollSeconds(deployment.pollIntervalSeconds, (deps.now ?? Date.now)() - deployment.startedAt);
}

/** What a wait for the operation's status events needs: its client request token, and when its record may go. */
export function eventWait(clientRequestToken: string, deps: TaskDeps): { clientRequestToken: string; expiresAt: number } {
  return { clientRequestToken, expiresAt: Math.floor((deps.now ?? Date.now)() / 1000) + STACK_EVENTS.recordDays * 86_400 };
}
