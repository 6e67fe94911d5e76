/**
 * The approvers' row of the tables of docs/security.md (`grantApproval`), checked with the offline evaluator against the
 * template: an approver may only call the workflow's approval function through its IAM-authenticated URL, and has
 * no right on any state machine, so a task token answers nothing for them. Which action they may decide on is
 * the approval function's check (test/handlers/approval.test.ts): IAM sees one function for every action.
 */
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { evaluate } from './evaluate';
import { DeployedTemplate, FAKE } from './template-policies';
import { DeployStateMachine, SafetyPolicy, StepFunctionsDeployAction, UnsafeChangeAction } from '../../src';
import { RuleVerdict } from '../../src/shared/policy-vocabulary';
import { basicProps, logicalIdOf, newPipeline, newStack } from '../constructs/helpers';

const stack = newStack();
const { pipeline, source } = newPipeline(stack);
const topic = new sns.Topic(stack, 'Approvals');
const approvalProps = {
  safetyPolicy: SafetyPolicy.denyDestructiveChanges({ destructiveChangeVerdict: RuleVerdict.REQUIRE_APPROVAL }),
  onUnsafeChange: UnsafeChangeAction.requireApproval({ notificationTopic: topic }),
};
const staging = new StepFunctionsDeployAction(stack, 'DeployStaging', basicProps(source, { stackName: 'app', environmentName: 'staging', ...approvalProps }));
const production = new StepFunctionsDeployAction(stack, 'DeployProduction', basicProps(source, { stackName: 'app', environmentName: 'prod', ...approvalProps }));
const otherWorkflow = new DeployStateMachine(stack, 'OtherWorkflow');
const billing = new StepFunctionsDeployAction(stack, 'DeployBilling', basicProps(source, { stackName: 'billing', deployStateMachine: otherWorkflow, ...approvalProps }));
pipeline.addStage({ stageName: 'Deploy', actions: [staging, production, billing] });
const approver = new iam.Role(stack, 'StagingApprover', { assumedBy: new iam.AccountRootPrincipal() });
staging.grantApproval(approver);

const deployed = new DeployedTemplate(Template.fromStack(stack).toJSON());
const statements = deployed.statementsOf(logicalIdOf(approver));
const can = (action: string, resource: string, context: Record<string, string> = {}) => evaluate(statements, { action, resource, context }).decision;
const approvalFunctionArn = deployed.arnOf(logicalIdOf(staging.deployStateMachine.approvalFunction));
const otherApprovalFunctionArn = deployed.arnOf(logicalIdOf(otherWorkflow.approvalFunction));
const IAM_AUTH = { 'lambda:FunctionUrlAuthType': 'AWS_IAM' };
const workflowArn = deployed.arnOf(logicalIdOf(staging.stateMachine));
const otherArn = deployed.arnOf(logicalIdOf(otherWorkflow.stateMachine));

test('GIVEN grantApproval on an action THEN the approver may call its workflow\'s approval function, only through the IAM-authenticated URL', () => {
  expect(can('lambda:InvokeFunctionUrl', approvalFunctionArn, IAM_AUTH)).toBe('Allow');
  expect(can('lambda:InvokeFunctionUrl', approvalFunctionArn, { 'lambda:FunctionUrlAuthType': 'NONE' })).toBe('ImplicitDeny');
  expect(can('lambda:InvokeFunction', approvalFunctionArn)).toBe('ImplicitDeny');
  expect(can('lambda:InvokeFunctionUrl', otherApprovalFunctionArn, IAM_AUTH)).toBe('ImplicitDeny');
});

test('GIVEN grantApproval THEN the approver may answer no wait itself: no SendTask* on any state machine, its own or another\'s', () => {
  for (const action of ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat']) {
    expect(can(action, workflowArn)).toBe('ImplicitDeny');
    expect(can(action, otherArn)).toBe('ImplicitDeny');
  }
});

test('GIVEN grantApproval THEN the approver may not start executions, invoke the functions, call CloudFormation or pass a role', () => {
  expect(can('states:StartExecution', workflowArn)).toBe('ImplicitDeny');
  expect(can('states:StopExecution', workflowArn.replace(':stateMachine:', ':execution:') + ':cp-1')).toBe('ImplicitDeny');
  expect(can('lambda:InvokeFunction', deployed.arnOf(logicalIdOf(staging.taskFunction)))).toBe('ImplicitDeny');
  expect(can('lambda:InvokeFunction', deployed.arnOf(logicalIdOf(staging.triggerFunction)))).toBe('ImplicitDeny');
  expect(can('cloudformation:ExecuteChangeSet', `arn:aws:cloudformation:${FAKE.region}:${FAKE.account}:stack/prod-app/1`)).toBe('ImplicitDeny');
  expect(can('iam:PassRole', deployed.arnOf(logicalIdOf(production.deploymentRole)))).toBe('ImplicitDeny');
});
