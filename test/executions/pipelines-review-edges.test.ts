/**
 * ChangeSetReviewStep's workflow at its edges: a prepared change set replaced while a person decides is not
 * allowed, and a prepared change set that imports an export an earlier stack of the stage creates is never cut
 * from the round and made again (it is the pipeline's, made in the pipeline's order).
 */
import { CreateChangeSetCommand, DescribeChangeSetCommand } from '@aws-sdk/client-cloudformation';
import type { Change } from '@aws-sdk/client-cloudformation';
import type { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { APPROVAL_TOPIC_ARN, APPROVER_ROLE_NAME, S, approveAs, causeMessage, createWorld, runWorkflow, synthesizeStack } from './harness';
import type { Approver, SynthesizedWorkflow, World } from './harness';
import { ChangeSetReviewStep, DeployStateMachine, RuleVerdict, SafetyPolicy, UnsafeChangeAction } from '../../src';
import type { ChangeSetReviewStepProps } from '../../src';
import { parseUserParameters, toDeployment, validateConfig } from '../../src/shared/config';
import { AppStage, cdkPipeline } from '../constructs/pipelines-app';
import { ACCOUNT, resourceChange } from '../fakes';

const DATA = 'Prod-Data';
const TOPICS = 'Prod-Topics';
const JOB = 'c0ffee00-0000-4000-8000-000000000022';
const CHANGE_SET = 'PipelineChange';
const SAFE: Change[] = [resourceChange('Add', 'Alarm', 'AWS::CloudWatch::Alarm')];
const REMOVES_TABLE: Change[] = [resourceChange('Remove', 'OrdersD5E6F7A8', 'AWS::DynamoDB::Table')];
const REMOVES_TOPIC: Change[] = [resourceChange('Remove', 'Events', 'AWS::SNS::Topic')];

/** The test app's pipeline, its Prod stage's two stacks reviewed as one. */
function synthesizeStageReview(props: (stack: Stack) => ChangeSetReviewStepProps = () => ({})): SynthesizedWorkflow {
  return synthesizeStack(() => {
    const p = cdkPipeline();
    const stage = new AppStage(p.app, 'Prod', { withTable: true, topics: 'independent' });
    p.pipeline.addStage(stage, { stackSteps: ChangeSetReviewStep.forStage(stage, props(p.stack)) });
    p.pipeline.buildPipeline();
    DeployStateMachine.of(p.stack).grantApproval(iam.Role.fromRoleArn(p.stack, 'DeploymentApprovers', `arn:aws:iam::${ACCOUNT}:role/${APPROVER_ROLE_NAME}`));
    return p.stack;
  });
}

/** CDK Pipelines' prepare action for one stack: its change set, with these changes or this failure. */
async function prepare(world: World, stackName: string, script: { changes?: Change[]; failedReason?: string }): Promise<void> {
  if (!world.cfn.stacks.has(stackName)) world.cfn.putStack(stackName, 'UPDATE_COMPLETE');
  world.cfn.scripts.set(stackName, { changeSet: { ...script, pendingPolls: 0 } });
  await world.cfn.client.send(new CreateChangeSetCommand({ StackName: stackName, ChangeSetName: CHANGE_SET, ChangeSetType: 'UPDATE', TemplateBody: '{"Resources":{}}' }));
  await world.cfn.client.send(new DescribeChangeSetCommand({ StackName: stackName, ChangeSetName: CHANGE_SET }));
}

async function runReview(world: World, synthesized: SynthesizedWorkflow, approver?: Approver) {
  const deployment = toDeployment(validateConfig(parseUserParameters(synthesized.userParameters)), { id: JOB, startedAt: Date.now() });
  world.codepipeline.issue({ id: JOB, userParameters: synthesized.userParameters, startTime: deployment.startedAt });
  return runWorkflow({ deployment }, world.deps, { synthesized, stackEvents: world.events, ...(approver ? { approver } : {}) });
}

const approval = (stack: Stack): ChangeSetReviewStepProps => ({
  safetyPolicy: SafetyPolicy.denyDestructiveChanges({ destructiveChangeVerdict: RuleVerdict.REQUIRE_APPROVAL }),
  onUnsafeChange: UnsafeChangeAction.requireApproval({ notificationTopic: sns.Topic.fromTopicArn(stack, 'Approvers', APPROVAL_TOPIC_ARN) }),
});

test('GIVEN a prepared change set replaced under its name while a person decides WHEN the person approves THEN the review fails: ' +
  'what was approved is not what the deploy action would execute', async () => {
  // GIVEN: the stage needs approval for Topics' removal of a topic; meanwhile Data's change set is made again, removing a table.
  const synthesized = synthesizeStageReview(approval);
  const world = createWorld({ synthesized, files: {} });
  await prepare(world, DATA, { changes: SAFE });
  await prepare(world, TOPICS, { changes: REMOVES_TOPIC });
  const approve = approveAs('alice', 'the topic moved');
  const replaceThenApprove: Approver = async (event, s, message) => {
    world.cfn.putChangeSet(DATA, CHANGE_SET, REMOVES_TABLE);
    return approve(event, s, message);
  };

  // WHEN
  const run = await runReview(world, synthesized, replaceThenApprove);

  // THEN
  expect(run.status).toBe('FAILED');
  expect(run.error).toBe('ChangeSetChanged');
  expect(causeMessage(run.cause)).toContain(`${CHANGE_SET} of stack ${DATA}`);
});

test('GIVEN the stage\'s second change set FAILED because it imports an export the first creates WHEN reviewed THEN the review fails ' +
  'on CloudFormation\'s reason in one round: the pipeline\'s change sets are not cut and made again', async () => {
  // GIVEN
  const synthesized = synthesizeStageReview();
  const world = createWorld({ synthesized, files: {} });
  await prepare(world, DATA, { changes: SAFE });
  await prepare(world, TOPICS, { failedReason: 'No export named Prod-Data:ExportsOutputRefOrders found' });

  // WHEN
  const run = await runReview(world, synthesized);

  // THEN
  expect(run.status).toBe('FAILED');
  expect(run.error).toBe('UnitReviewFailed');
  expect(causeMessage(run.cause)).toContain('No export named Prod-Data:ExportsOutputRefOrders found');
  expect(run.visits(S.planUnitRound)).toBe(1);
  expect(world.cfn.calls.filter((c) => c.op === 'CreateChangeSet')).toHaveLength(2);
});
