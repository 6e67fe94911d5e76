/**
 * The execution harness for actions configured with a safety policy and an unsafe-change strategy: the same
 * synthesis, local runs and pipeline driver as `harness.ts`, with a world whose task deps also hold the
 * Lambda client (policy functions) and the SNS client (approvers), and whose CloudFormation knows nested
 * change sets and stack outputs (test/fakes/cloudformation-nested.ts).
 */
import type { Change } from '@aws-sdk/client-cloudformation';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  DEFAULT_ACTION, STACK_NAME, approverSession, createWorld, decideThroughApprovalFunction, deploymentFor, issueJobFor, runWorkflow,
  synthesizeWorkflow,
} from './harness';
import type { ActionSettings, PipelineWorld, SynthesizedWorkflow, World, WorkflowRun } from './harness';
import type { Deployment } from '../../src/shared/contract';
import type { TaskDeps, TaskEvent } from '../../src/workflow/tasks';
import { ACCOUNT, CloudFormationExtras, FakeLambda, FakeSns, FakeStepFunctions, REGION } from '../fakes';

export const POLICY_FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:change-set-policy`;
export const APPROVAL_TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:deployment-approvals`;

/** Resources the action refers to that live outside the pipeline stack: the policy function, the approvers' topic. */
export function importedResources(): { policyFunction: lambda.IFunction; approvalTopic: sns.ITopic } {
  const stack = new Stack(new App(), 'SharedResources', { env: { account: ACCOUNT, region: REGION } });
  return {
    policyFunction: lambda.Function.fromFunctionArn(stack, 'PolicyFunction', POLICY_FUNCTION_ARN),
    approvalTopic: sns.Topic.fromTopicArn(stack, 'ApprovalTopic', APPROVAL_TOPIC_ARN),
  };
}

/** Synthesizes the default action (stack `prod-app`) with these properties added. */
export function synthesizeWith(props: Partial<ActionSettings>): SynthesizedWorkflow {
  return synthesizeWorkflow({ ...DEFAULT_ACTION, ...props });
}

/**
 * The person asked to approve; the test sets it. `message` is the approval message they read (the last one published
 * on the approval topic). @default - none: a test that asks a person fails
 */
export type Approver = (event: TaskEvent, synthesized: SynthesizedWorkflow, message?: string) => Promise<unknown>;

export interface FeatureWorld extends World {
  readonly synthesized: SynthesizedWorkflow;
  readonly extras: CloudFormationExtras;
  readonly lambda: FakeLambda;
  readonly sns: FakeSns;
  /** Every time a person was asked: the requestApproval event they got. */
  readonly asked: TaskEvent[];
  approver?: Approver;
}

export function createFeatureWorld(synthesized: SynthesizedWorkflow, files?: Record<string, string>): FeatureWorld {
  const base = createWorld(files);
  const extras = new CloudFormationExtras(base.cfn);
  const fakeLambda = new FakeLambda(POLICY_FUNCTION_ARN);
  const fakeSns = new FakeSns([APPROVAL_TOPIC_ARN]);
  const deps: TaskDeps = { ...base.deps, cloudformation: extras.client, lambda: fakeLambda.client, sns: fakeSns.client };
  return { ...base, deps, synthesized, extras, lambda: fakeLambda, sns: fakeSns, asked: [] };
}

/** The deployment the trigger would start for a job of this world's action. */
export function featureDeployment(world: FeatureWorld, jobId?: string): Deployment {
  return deploymentFor(jobId, world.synthesized);
}

/** Runs the workflow for one deployment of this world's action, for the job CodePipeline issued for it. */
export function run(world: FeatureWorld, deployment: Deployment = featureDeployment(world)): Promise<WorkflowRun> {
  // A unit's job carries the synthesized configuration as it is (configFor() writes one stack's).
  issueJobFor(world, deployment, deployment.unit ? world.synthesized.userParameters : undefined);
  return runWorkflow({ deployment }, world.deps, { synthesized: world.synthesized, approver: approverOf(world), stackEvents: world.events });
}

function approverOf(world: FeatureWorld): Approver {
  return async (event, synthesized) => {
    world.asked.push(event);
    if (!world.approver) throw new Error('a person was asked to approve, but this test has no approver');
    return world.approver(event, synthesized, world.sns.published.at(-1)?.message);
  };
}

export type FeaturePipelineWorld = FeatureWorld & PipelineWorld;

/** A pipeline around this world's action whose existing stack gets a change set of many changes, read in pages. */
export function createManyChangesPipelineWorld(
  synthesized: SynthesizedWorkflow, count: number, changeOf: (i: number) => Change, pageSize: number,
): FeaturePipelineWorld {
  const world = createFeaturePipelineWorld(synthesized);
  world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
  world.cfn.onCreateChangeSet = { changes: Array.from({ length: count }, (_, i) => changeOf(i)), pageSize };
  return world;
}

/** A pipeline around this world's action: the real trigger, with executions run locally as in `harness.ts`. */
export function createFeaturePipelineWorld(synthesized: SynthesizedWorkflow, files?: Record<string, string>): FeaturePipelineWorld {
  const world = createFeatureWorld(synthesized, files);
  const runs: WorkflowRun[] = [];
  const sfn = new FakeStepFunctions({
    stateMachineArn: synthesized.stateMachineArn,
    runner: async (input, name) => {
      const result = await runWorkflow(input, world.deps, { synthesized, approver: approverOf(world), executionName: name });
      runs.push(result);
      return result;
    },
  });
  // One object, so a test's `world.approver = ...` reaches the runs.
  return Object.assign(world, { sfn, runs, log: [] as string[] });
}

/**
 * Approves as the approvers' role session `session`, through the approval function, as `cdk-sfn-deploy approve` does:
 * the approval carries the session's ARN as AWS authenticated it.
 */
export function approveAs(session: string, comment?: string): Approver {
  return (event, synthesized, message) =>
    decideThroughApprovalFunction(event, synthesized, approverSession(session, accountOf(synthesized)), 'approve', comment, message);
}

/** Rejects as the approvers' role session `session`, through the approval function (`cdk-sfn-deploy reject`). */
export function rejectAs(session: string, comment?: string): Approver {
  return (event, synthesized, message) =>
    decideThroughApprovalFunction(event, synthesized, approverSession(session, accountOf(synthesized)), 'reject', comment, message);
}

/** The account of the workflow, where the approvers' role is. */
function accountOf(synthesized: SynthesizedWorkflow): string {
  return synthesized.stateMachineArn.split(':')[4];
}

/** An error with the name Step Functions gives it (SendTaskFailure's error, States.Timeout). */
export function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
