/**
 * The "Permissions" table and the threat model's "What each role can do" in docs/security.md, checked against a
 * synthesized template with the offline evaluator (test/iam/evaluate.ts): each claim is a request (role,
 * action, resource ARN, context keys) and the decision IAM's documented logic gives for the role's own
 * policies. The configuration: one shared workflow with a blue/green action (`prod-web`), an action with
 * `recreateRolledBackStack`, `adminPermissions`, a policy function and approvals (`prod-api`), and a
 * cross-account action (`remote`); a second DeployStateMachine with its own action (`billing`).
 *
 * CloudFormation authorizes CreateStack, CreateChangeSet, DescribeChangeSet, ExecuteChangeSet and
 * DeleteChangeSet against the stack (Service Authorization Reference for AWS CloudFormation: resource type
 * `stack*`; condition keys `cloudformation:ChangeSetName`, and `cloudformation:RoleArn` for CreateStack and
 * CreateChangeSet), so requests name a stack ARN and give those keys as the task function's calls do.
 */
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { evaluate } from './evaluate';
import type { ContextValue, Decision } from './evaluate';
import { DeployedTemplate, FAKE } from './template-policies';
import { DeployStateMachine, SafetyPolicy, StepFunctionsDeployAction, UnsafeChangeAction } from '../../src';
import { basicProps, logicalIdOf, newPipeline, newStack } from '../constructs/helpers';

const { account, region } = FAKE;
const stackArn = (name: string) => `arn:aws:cloudformation:${region}:${account}:stack/${name}/5f4e3d2c-0000-4000-8000-000000000000`;
const changeSetArn = (name: string) => `arn:aws:cloudformation:${region}:${account}:changeSet/${name}/9a8b7c6d-0000-4000-8000-000000000000`;

function build() {
  const stack = newStack();
  const { pipeline, source } = newPipeline(stack);
  const topic = new sns.Topic(stack, 'Approvals');
  const policyFunction = new lambda.Function(stack, 'PolicyFunction', {
    runtime: lambda.Runtime.NODEJS_20_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ verdict: "ALLOW" });'),
  });
  const web = new StepFunctionsDeployAction(stack, 'DeployWeb', basicProps(source, {
    stackName: 'web', environmentName: 'prod', onUnsafeChange: UnsafeChangeAction.deployToNewStack(),
  }));
  const api = new StepFunctionsDeployAction(stack, 'DeployApi', basicProps(source, {
    stackName: 'api',
    environmentName: 'prod',
    recreateRolledBackStack: true,
    adminPermissions: true,
    safetyPolicy: SafetyPolicy.fromFunction(policyFunction),
    onUnsafeChange: UnsafeChangeAction.requireApproval({ notificationTopic: topic }),
  }));
  const remote = new StepFunctionsDeployAction(stack, 'DeployRemote', basicProps(source, {
    stackName: 'remote',
    targetAccountRole: iam.Role.fromRoleArn(stack, 'RemoteDeployer', 'arn:aws:iam::222222222222:role/pipeline-deployer', { mutable: false }),
    deploymentRole: iam.Role.fromRoleArn(stack, 'RemoteCfnRole', 'arn:aws:iam::222222222222:role/cloudformation-exec', { mutable: false }),
  }));
  const otherWorkflow = new DeployStateMachine(stack, 'OtherWorkflow');
  const billing = new StepFunctionsDeployAction(stack, 'DeployBilling', basicProps(source, { stackName: 'billing', deployStateMachine: otherWorkflow }));
  pipeline.addStage({ stageName: 'Deploy', actions: [web, api, remote, billing] });
  const workflow = DeployStateMachine.of(stack);
  const approver = new iam.Role(stack, 'Approver', { assumedBy: new iam.AccountRootPrincipal() });
  workflow.grantApproval(approver);

  const deployed = new DeployedTemplate(Template.fromStack(stack).toJSON());
  const arn = (construct: Parameters<typeof logicalIdOf>[0]) => deployed.arnOf(logicalIdOf(construct));
  const roles = {
    task: logicalIdOf(workflow.taskFunction.role!),
    trigger: logicalIdOf(workflow.triggerFunction.role!),
    stateMachine: logicalIdOf(workflow.stateMachine.role),
    stackEvents: logicalIdOf(workflow.node.findChild('StackEventFunctionRole')),
    approver: logicalIdOf(approver),
    otherTask: logicalIdOf(otherWorkflow.taskFunction.role!),
  };
  const statements = Object.fromEntries(Object.entries(roles).map(([who, id]) => [who, deployed.statementsOf(id)])) as Record<keyof typeof roles, ReturnType<DeployedTemplate['statementsOf']>>;
  const can = (who: keyof typeof roles, action: string, resource: string, context: Record<string, ContextValue | undefined> = {}): Decision =>
    evaluate(statements[who], { action, resource, context }).decision;
  return {
    can,
    arns: {
      webRole: arn(web.deploymentRole),
      apiRole: arn(api.deploymentRole),
      billingRole: arn(billing.deploymentRole),
      approver: arn(approver),
      taskRole: arn(workflow.taskFunction.role!),
      taskFunction: arn(workflow.taskFunction),
      triggerFunction: arn(workflow.triggerFunction),
      otherTaskFunction: arn(otherWorkflow.taskFunction),
      policyFunction: arn(policyFunction),
      stateMachine: arn(workflow.stateMachine),
      otherStateMachine: arn(otherWorkflow.stateMachine),
      execution: (machine: 'stateMachine' | 'otherStateMachine') =>
        `${arn(machine === 'stateMachine' ? workflow.stateMachine : otherWorkflow.stateMachine).replace(':stateMachine:', ':execution:')}:cp-1234`,
      topic: arn(topic),
      waitTable: arn(workflow.waitTable!),
      artifactObjects: (key: string) => `${arn(pipeline.artifactBucket)}/${key}`,
      pipeline: `arn:aws:codepipeline:${region}:${account}:${logicalIdOf(pipeline)}`,
    },
  };
}

const { can, arns } = build();
const STACK_ACTIONS = [
  'cloudformation:CreateStack', 'cloudformation:CreateChangeSet', 'cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents',
  'cloudformation:DescribeChangeSet', 'cloudformation:ExecuteChangeSet', 'cloudformation:DeleteChangeSet', 'cloudformation:DeleteStack',
  'cloudformation:UpdateStack',
];
/** The keys the task function's calls give: the change set's name (or ARN) and, to create, the deployment role. */
const call = (changeSet?: string, roleArn?: string) => ({ 'cloudformation:ChangeSetName': changeSet, 'cloudformation:RoleArn': roleArn });

describe('task function: CloudFormation on the actions\' stacks', () => {
  test.each([
    ['prod-web', () => arns.webRole],
    ['prod-web-g1a2b3c4d', () => arns.webRole],
    ['prod-api', () => arns.apiRole],
  ])('GIVEN its action\'s stack %s THEN it may create it and create, read, execute and delete its change sets, with that action\'s role', (name, role) => {
    expect(can('task', 'cloudformation:CreateStack', stackArn(name), call(undefined, role()))).toBe('Allow');
    expect(can('task', 'cloudformation:CreateChangeSet', stackArn(name), call('sfn-deploy-1234', role()))).toBe('Allow');
    for (const action of ['cloudformation:DescribeChangeSet', 'cloudformation:ExecuteChangeSet', 'cloudformation:DeleteChangeSet']) {
      expect(can('task', action, stackArn(name), call('sfn-deploy-1234'))).toBe('Allow');
      expect(can('task', action, stackArn(name), call(changeSetArn('sfn-deploy-1234')))).toBe('Allow');
    }
    for (const action of ['cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents']) {
      expect(can('task', action, stackArn(name))).toBe('Allow');
    }
  });

  test('GIVEN an action\'s stack THEN it may not create it or a change set for it with another action\'s deployment role, or with none', () => {
    for (const action of ['cloudformation:CreateStack', 'cloudformation:CreateChangeSet']) {
      expect(can('task', action, stackArn('prod-web'), call('sfn-deploy-1234', arns.apiRole))).toBe('ImplicitDeny');
      expect(can('task', action, stackArn('prod-api'), call('sfn-deploy-1234', arns.webRole))).toBe('ImplicitDeny');
      expect(can('task', action, stackArn('prod-web-g1a2b3c4d'), call('sfn-deploy-1234', arns.apiRole))).toBe('ImplicitDeny');
      expect(can('task', action, stackArn('prod-web'), call('sfn-deploy-1234', undefined))).toBe('ImplicitDeny');
      expect(can('task', action, stackArn('prod-web'), call('sfn-deploy-1234', arns.billingRole))).toBe('ImplicitDeny');
    }
  });

  test('GIVEN the stack of an action of another DeployStateMachine THEN it may do nothing to it, with any role', () => {
    for (const action of STACK_ACTIONS) {
      for (const role of [arns.billingRole, arns.webRole]) {
        expect(can('task', action, stackArn('billing'), call('sfn-deploy-1234', role))).toBe('ImplicitDeny');
      }
    }
    // and the other workflow's task role may not touch this workflow's stacks
    expect(can('otherTask', 'cloudformation:CreateChangeSet', stackArn('prod-web'), call('sfn-deploy-1234', arns.webRole))).toBe('ImplicitDeny');
    expect(can('otherTask', 'cloudformation:CreateChangeSet', stackArn('billing'), call('sfn-deploy-1234', arns.billingRole))).toBe('Allow');
  });

  test.each([
    'prod-web2', 'prod-webx', 'web', 'prod-web-g1234567', 'prod-web-g123456789', 'prod-web-x12345678', 'prod-api-g12345678', 'remote', 'prod-ap',
  ])('GIVEN %s, a name outside the granted names THEN it may neither create nor change it', (name) => {
    for (const action of STACK_ACTIONS) {
      // A name that starts like an action's nested stacks (<name>-...) may have its change sets read, nothing more.
      const readsAsNested = action === 'cloudformation:DescribeChangeSet' && /^prod-(web|api)-/.test(name);
      for (const role of [arns.webRole, arns.apiRole]) {
        expect(can('task', action, stackArn(name), call('sfn-deploy-1234', role))).toBe(readsAsNested ? 'Allow' : 'ImplicitDeny');
      }
    }
  });

  test('GIVEN a change set not named by this library (CDK Pipelines\' PipelineChange) on its own stack THEN it may not execute, delete or read it', () => {
    for (const name of ['PipelineChange', 'my-change', changeSetArn('PipelineChange')]) {
      expect(can('task', 'cloudformation:ExecuteChangeSet', stackArn('prod-web'), call(name))).toBe('ImplicitDeny');
      expect(can('task', 'cloudformation:DeleteChangeSet', stackArn('prod-web'), call(name))).toBe('ImplicitDeny');
      expect(can('task', 'cloudformation:DescribeChangeSet', stackArn('prod-web'), call(name))).toBe('ImplicitDeny');
    }
  });

  test('GIVEN a nested stack of an action\'s stack THEN it may read its change sets and nothing else', () => {
    const nested = stackArn('prod-web-Database-1A2B3C4D5E6F');
    expect(can('task', 'cloudformation:DescribeChangeSet', nested, call(changeSetArn('sfn-deploy-1234-Database-XYZ')))).toBe('Allow');
    for (const action of STACK_ACTIONS.filter((a) => a !== 'cloudformation:DescribeChangeSet' && a !== 'cloudformation:DescribeStacks')) {
      expect(can('task', action, nested, call('sfn-deploy-1234', arns.webRole))).toBe('ImplicitDeny');
    }
  });

  test('GIVEN recreateRolledBackStack on one action only THEN it may delete that action\'s stack and no other', () => {
    expect(can('task', 'cloudformation:DeleteStack', stackArn('prod-api'), call(undefined, arns.apiRole))).toBe('Allow');
    expect(can('task', 'cloudformation:DeleteStack', stackArn('prod-web'), call(undefined, arns.webRole))).toBe('ImplicitDeny');
    expect(can('task', 'cloudformation:DeleteStack', stackArn('prod-web-g1a2b3c4d'), call(undefined, arns.webRole))).toBe('ImplicitDeny');
    expect(can('task', 'cloudformation:DeleteStack', stackArn('billing'), call(undefined, arns.billingRole))).toBe('ImplicitDeny');
  });
});

describe('task function: roles', () => {
  test('it may pass the deployment roles of its actions, to CloudFormation only', () => {
    for (const role of [arns.webRole, arns.apiRole]) {
      expect(can('task', 'iam:PassRole', role, { 'iam:PassedToService': 'cloudformation.amazonaws.com' })).toBe('Allow');
      expect(can('task', 'iam:PassRole', role, { 'iam:PassedToService': 'lambda.amazonaws.com' })).toBe('ImplicitDeny');
      expect(can('task', 'iam:PassRole', role)).toBe('ImplicitDeny');
    }
  });

  test('it may pass no other role: another workflow\'s deployment role, an approver, itself, a target account\'s', () => {
    for (const role of [arns.billingRole, arns.approver, arns.taskRole, 'arn:aws:iam::222222222222:role/cloudformation-exec', `arn:aws:iam::${account}:role/Admin`]) {
      expect(can('task', 'iam:PassRole', role, { 'iam:PassedToService': 'cloudformation.amazonaws.com' })).toBe('ImplicitDeny');
    }
  });

  test('it may assume the cross-account action\'s targetAccountRole and no other role', () => {
    expect(can('task', 'sts:AssumeRole', 'arn:aws:iam::222222222222:role/pipeline-deployer')).toBe('Allow');
    expect(can('task', 'sts:AssumeRole', 'arn:aws:iam::222222222222:role/cloudformation-exec')).toBe('ImplicitDeny');
    expect(can('task', 'sts:AssumeRole', arns.webRole)).toBe('ImplicitDeny');
  });
});

describe('task function: the rest of its row', () => {
  test('it may read the artifact bucket and write only under the staging prefix', () => {
    expect(can('task', 's3:GetObject', arns.artifactObjects('Pipeline/Source/abc.zip'))).toBe('Allow');
    expect(can('task', 's3:PutObject', arns.artifactObjects('sfn-deploy-action-staging/prod-web/sfn-deploy-1.template'))).toBe('Allow');
    expect(can('task', 's3:PutObject', arns.artifactObjects('Pipeline/Source/abc.zip'))).toBe('ImplicitDeny');
    expect(can('task', 's3:DeleteObject', arns.artifactObjects('sfn-deploy-action-staging/x'))).toBe('ImplicitDeny');
  });

  test('it may invoke the policy function and publish to the approval topic, and no other function or topic', () => {
    expect(can('task', 'lambda:InvokeFunction', arns.policyFunction)).toBe('Allow');
    expect(can('task', 'lambda:InvokeFunction', arns.triggerFunction)).toBe('ImplicitDeny');
    expect(can('task', 'lambda:InvokeFunction', arns.taskFunction)).toBe('ImplicitDeny');
    expect(can('task', 'sns:Publish', arns.topic)).toBe('Allow');
    expect(can('task', 'sns:Publish', `arn:aws:sns:${region}:${account}:other`)).toBe('ImplicitDeny');
  });

  test('it may confirm jobs of its pipeline only, and read the history of its own state machine\'s executions only', () => {
    expect(can('task', 'codepipeline:GetJobDetails', '*')).toBe('Allow');
    expect(can('task', 'codepipeline:ListActionExecutions', arns.pipeline)).toBe('Allow');
    expect(can('task', 'codepipeline:ListActionExecutions', `arn:aws:codepipeline:${region}:${account}:OtherPipeline`)).toBe('ImplicitDeny');
    expect(can('task', 'states:GetExecutionHistory', arns.execution('stateMachine'))).toBe('Allow');
    expect(can('task', 'states:GetExecutionHistory', arns.execution('otherStateMachine'))).toBe('ImplicitDeny');
    expect(can('task', 'states:StartExecution', arns.stateMachine)).toBe('ImplicitDeny');
    expect(can('task', 'states:SendTaskSuccess', arns.stateMachine)).toBe('ImplicitDeny');
  });
});

describe('trigger function', () => {
  test('it may not call CloudFormation, on any stack', () => {
    for (const action of STACK_ACTIONS) {
      for (const name of ['prod-web', 'prod-api', 'billing']) {
        expect(can('trigger', action, stackArn(name), call('sfn-deploy-1234', arns.webRole))).toBe('ImplicitDeny');
      }
    }
    expect(can('trigger', 'iam:PassRole', arns.webRole, { 'iam:PassedToService': 'cloudformation.amazonaws.com' })).toBe('ImplicitDeny');
  });

  test('it may start and follow executions of its own state machine only, and answer CodePipeline', () => {
    expect(can('trigger', 'states:StartExecution', arns.stateMachine)).toBe('Allow');
    expect(can('trigger', 'states:StartExecution', arns.otherStateMachine)).toBe('ImplicitDeny');
    expect(can('trigger', 'states:DescribeExecution', arns.execution('stateMachine'))).toBe('Allow');
    expect(can('trigger', 'states:DescribeExecution', arns.execution('otherStateMachine'))).toBe('ImplicitDeny');
    expect(can('trigger', 'codepipeline:PutJobSuccessResult', '*')).toBe('Allow');
    expect(can('trigger', 'lambda:InvokeFunction', arns.taskFunction)).toBe('ImplicitDeny');
  });
});

describe('state machine', () => {
  test('it may invoke the task function only (any version), and write wait records', () => {
    expect(can('stateMachine', 'lambda:InvokeFunction', arns.taskFunction)).toBe('Allow');
    expect(can('stateMachine', 'lambda:InvokeFunction', `${arns.taskFunction}:$LATEST`)).toBe('Allow');
    for (const other of [arns.triggerFunction, arns.policyFunction, arns.otherTaskFunction]) {
      expect(can('stateMachine', 'lambda:InvokeFunction', other)).toBe('ImplicitDeny');
    }
    expect(can('stateMachine', 'dynamodb:PutItem', arns.waitTable)).toBe('Allow');
    expect(can('stateMachine', 'cloudformation:ExecuteChangeSet', stackArn('prod-web'), call('sfn-deploy-1234'))).toBe('ImplicitDeny');
  });
});

describe('event function', () => {
  test('it may read its workflow\'s deployed stacks, record a wait\'s end and wake its own state machine\'s executions, and nothing else', () => {
    expect(can('stackEvents', 'dynamodb:UpdateItem', arns.waitTable)).toBe('Allow');
    expect(can('stackEvents', 'dynamodb:DeleteItem', arns.waitTable)).toBe('ImplicitDeny');
    expect(can('stackEvents', 'states:SendTaskSuccess', arns.stateMachine)).toBe('Allow');
    expect(can('stackEvents', 'states:SendTaskFailure', arns.stateMachine)).toBe('ImplicitDeny');
    expect(can('stackEvents', 'states:SendTaskSuccess', arns.otherStateMachine)).toBe('ImplicitDeny');
    // It reads a stack before it believes an event: the workflow's stacks only, and nothing but DescribeStacks.
    expect(can('stackEvents', 'cloudformation:DescribeStacks', stackArn('prod-web'))).toBe('Allow');
    expect(can('stackEvents', 'cloudformation:DescribeStacks', stackArn('billing'))).toBe('ImplicitDeny');
    expect(can('stackEvents', 'cloudformation:DescribeStacks', stackArn('someone-elses'))).toBe('ImplicitDeny');
    for (const action of ['cloudformation:ExecuteChangeSet', 'cloudformation:DescribeChangeSet', 'cloudformation:DeleteStack']) {
      expect(can('stackEvents', action, stackArn('prod-web'))).toBe('ImplicitDeny');
    }
  });
});
