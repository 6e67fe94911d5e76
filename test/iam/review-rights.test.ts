/**
 * The ChangeSetReviewStep row of the Permissions table in docs/security.md, checked with the offline evaluator: for a
 * stack CDK Pipelines prepares in the pipeline's account, the task function may read the stack and its change
 * sets and delete the pipeline's change set (PipelineChange) only; it may not create or execute one there.
 */
import { evaluate } from './evaluate';
import type { ContextValue } from './evaluate';
import { DeployedTemplate } from './template-policies';
import { ChangeSetReviewStep, DeployStateMachine } from '../../src';
import { roleLogicalIdOf } from '../constructs/helpers';
import { AppStage, PIPELINE_ENV, cdkPipeline } from '../constructs/pipelines-app';

const p = cdkPipeline();
const stage = new AppStage(p.app, 'Prod', { withTable: true });
p.pipeline.addStage(stage, { stackSteps: [{ stack: stage.data, changeSet: [new ChangeSetReviewStep('Review')] }] });
const deployed = new DeployedTemplate(p.template().toJSON(), { account: PIPELINE_ENV.account!, region: PIPELINE_ENV.region!, partition: 'aws' });
const statements = deployed.statementsOf(roleLogicalIdOf(DeployStateMachine.of(p.stack).taskFunction));
const can = (action: string, stackName: string, context: Record<string, ContextValue | undefined> = {}) =>
  evaluate(statements, { action, resource: `arn:aws:cloudformation:${PIPELINE_ENV.region}:${PIPELINE_ENV.account}:stack/${stackName}/1f2e3d4c`, context }).decision;
const named = (name: string) => ({ 'cloudformation:ChangeSetName': name });

test('GIVEN a reviewed stack THEN the task function may read it and its change sets, and its nested stacks\' change sets', () => {
  expect(can('cloudformation:DescribeStacks', 'Prod-Data')).toBe('Allow');
  expect(can('cloudformation:DescribeChangeSet', 'Prod-Data', named('PipelineChange'))).toBe('Allow');
  expect(can('cloudformation:DescribeChangeSet', 'Prod-Data-Nested-1A2B3C', named('arn:aws:cloudformation:eu-west-1:111111111111:changeSet/x/1'))).toBe('Allow');
});

test('GIVEN a reviewed stack THEN the task function may delete the pipeline\'s change set there, and no other', () => {
  expect(can('cloudformation:DeleteChangeSet', 'Prod-Data', named('PipelineChange'))).toBe('Allow');
  expect(can('cloudformation:DeleteChangeSet', 'Prod-Data', named('sfn-deploy-1234'))).toBe('ImplicitDeny');
  expect(can('cloudformation:DeleteChangeSet', 'Prod-Data')).toBe('ImplicitDeny');
  expect(can('cloudformation:DeleteChangeSet', 'Prod-Other', named('PipelineChange'))).toBe('ImplicitDeny');
});

test('GIVEN a reviewed stack THEN the task function may neither create nor execute a change set, nor create, update or delete the stack', () => {
  for (const action of ['cloudformation:CreateChangeSet', 'cloudformation:ExecuteChangeSet', 'cloudformation:CreateStack', 'cloudformation:UpdateStack', 'cloudformation:DeleteStack']) {
    expect(can(action, 'Prod-Data', { ...named('PipelineChange'), 'cloudformation:RoleArn': 'arn:aws:iam::111111111111:role/cdk-hnb659fds-cfn-exec-role-111111111111-eu-west-1' })).toBe('ImplicitDeny');
  }
  expect(evaluate(statements, { action: 'iam:PassRole', resource: 'arn:aws:iam::111111111111:role/cdk-hnb659fds-cfn-exec-role-111111111111-eu-west-1', context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } }).decision)
    .toBe('ImplicitDeny');
});
