/**
 * The approvers' row of the README's tables (`grantApproval`), checked with the offline evaluator against
 * today's template: approval is granted as `states:SendTaskSuccess`, `SendTaskFailure` and `SendTaskHeartbeat`
 * on the workflow's state machine (aws-cdk-lib's `grantTaskResponse`), the resource Step Functions authorizes
 * a task token answer against.
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
staging.deployStateMachine.grantApproval(approver);

const deployed = new DeployedTemplate(Template.fromStack(stack).toJSON());
const statements = deployed.statementsOf(logicalIdOf(approver));
const can = (action: string, resource: string) => evaluate(statements, { action, resource }).decision;
const workflowArn = deployed.arnOf(logicalIdOf(staging.stateMachine));
const otherArn = deployed.arnOf(logicalIdOf(otherWorkflow.stateMachine));

test('GIVEN grantApproval on a workflow THEN the approver may answer a wait of that state machine (approve, reject, heartbeat)', () => {
  for (const action of ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat']) {
    expect(can(action, workflowArn)).toBe('Allow');
  }
});

test('GIVEN grantApproval on a workflow THEN the approver may not answer a wait of another DeployStateMachine', () => {
  for (const action of ['states:SendTaskSuccess', 'states:SendTaskFailure']) {
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

test('TODAY: approval granted through one action\'s workflow reaches every action that shares it (IAM sees one state machine)', () => {
  // staging.deployStateMachine is production.deployStateMachine: a SendTaskSuccess for production's wait names the same resource.
  expect(production.stateMachine).toBe(staging.stateMachine);
  expect(can('states:SendTaskSuccess', deployed.arnOf(logicalIdOf(production.stateMachine)))).toBe('Allow');
});
