/**
 * Approvals per action: approvers get `lambda:InvokeFunctionUrl` on the deploy workflow's approval function (AWS_IAM
 * auth) and no right on the state machine; the function lists each action's approvers under the action's approver key,
 * which the action's configuration carries; only the approval function and the stack-event function may answer the state machine's waits.
 */
import { createHash } from 'crypto';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { basicProps, logicalIdOf, newPipeline, newStack, userParametersOf } from './helpers';
import { RuleVerdict, SafetyPolicy, StepFunctionsDeployAction, UnsafeChangeAction } from '../../src';
import { ENV } from '../../src/shared/contract';

/** One pipeline with a Staging and a Production stage, an action each, and a role of approvers each. */
function stagedPipeline() {
  const stack = newStack();
  const { pipeline, source } = newPipeline(stack, 'Releases');
  const topic = new sns.Topic(stack, 'Approvals', { enforceSSL: true });
  const action = (id: string, stackName: string) => new StepFunctionsDeployAction(stack, id, basicProps(source, {
    actionName: id,
    stackName,
    safetyPolicy: SafetyPolicy.denyDestructiveChanges({ destructiveChangeVerdict: RuleVerdict.REQUIRE_APPROVAL }),
    onUnsafeChange: UnsafeChangeAction.requireApproval({ notificationTopic: topic }),
  }));
  const staging = action('DeployStaging', 'staging-app');
  const production = action('DeployProduction', 'prod-app');
  pipeline.addStage({ stageName: 'Staging', actions: [staging] });
  pipeline.addStage({ stageName: 'Production', actions: [production] });
  const stagingApprovers = new iam.Role(stack, 'StagingApprovers', { assumedBy: new iam.AccountPrincipal(stack.account) });
  const productionApprovers = new iam.Role(stack, 'ProductionApprovers', { assumedBy: new iam.AccountPrincipal(stack.account) });
  staging.grantApproval(stagingApprovers);
  production.grantApproval(productionApprovers);
  return { stack, pipeline, staging, production, stagingApprovers, productionApprovers, template: () => Template.fromStack(stack) };
}

/** Every statement of the policies attached to a role (by its logical id). */
function statementsOfRole(template: Template, roleId: string): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p: any) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

const actionsOf = (statements: any[]) => statements.flatMap((s) => [s.Action].flat());

describe('what an approver may do', () => {
  test('GIVEN approvers of two actions WHEN synthesized THEN neither has any right on the state machine: no states:SendTaskSuccess or SendTaskFailure', () => {
    const { template, stagingApprovers, productionApprovers } = stagedPipeline();
    const t = template();
    for (const role of [stagingApprovers, productionApprovers]) {
      const actions = actionsOf(statementsOfRole(t, logicalIdOf(role)));
      expect(actions).toEqual(['lambda:InvokeFunctionUrl']);
    }
  });

  test('GIVEN an approver WHEN synthesized THEN they may invoke the approval function\'s URL, with AWS_IAM auth only, and no other function', () => {
    const { template, staging, stagingApprovers } = stagedPipeline();
    const t = template();
    const approvalFunction = logicalIdOf(staging.deployStateMachine.approvalFunction);
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalIdOf(stagingApprovers) }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 'lambda:InvokeFunctionUrl',
          Resource: { 'Fn::GetAtt': [approvalFunction, 'Arn'] },
          Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
        })]),
      },
    });
    const resources = statementsOfRole(t, logicalIdOf(stagingApprovers)).map((s) => s.Resource);
    expect(resources).toEqual([{ 'Fn::GetAtt': [approvalFunction, 'Arn'] }]);
    t.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', TargetFunctionArn: { 'Fn::GetAtt': [approvalFunction, 'Arn'] } });
  });

  test('GIVEN approvers of two actions WHEN synthesized THEN each action\'s configuration carries its own approver key, and the approval function lists each action\'s approvers under it', () => {
    const { stack, staging, production, stagingApprovers, productionApprovers, template } = stagedPipeline();
    const t = template();
    const keyOf = (actionName: string) => userParametersOf(t, actionName).config.onUnsafe.approvers;
    expect(keyOf('DeployStaging')).toMatch(/^[0-9a-f]{8}$/);
    expect(keyOf('DeployProduction')).toMatch(/^[0-9a-f]{8}$/);
    expect(keyOf('DeployStaging')).not.toEqual(keyOf('DeployProduction'));
    // The key is the action's construct path's: it stays the same from one synth to the next.
    expect(keyOf('DeployStaging')).toBe(createHash('sha256').update(staging.node.path).digest('hex').slice(0, 8));
    expect(keyOf('DeployProduction')).toBe(createHash('sha256').update(production.node.path).digest('hex').slice(0, 8));
    const env = t.findResources('AWS::Lambda::Function')[logicalIdOf(staging.deployStateMachine.approvalFunction)].Properties.Environment.Variables;
    expect(JSON.parse(resolvedText(stack, env[ENV.approvers]))).toEqual([
      [keyOf('DeployStaging'), [`<${logicalIdOf(stagingApprovers)}.Arn>`]],
      [keyOf('DeployProduction'), [`<${logicalIdOf(productionApprovers)}.Arn>`]],
    ]);
  });

  test('GIVEN an approver of every action (DeployStateMachine.grantApproval) WHEN synthesized THEN they are listed under *', () => {
    const { stack, staging, template } = stagedPipeline();
    const operators = new iam.Role(stack, 'Operators', { assumedBy: new iam.AccountPrincipal(stack.account) });
    staging.deployStateMachine.grantApproval(operators);
    const env = template().findResources('AWS::Lambda::Function')[logicalIdOf(staging.deployStateMachine.approvalFunction)].Properties.Environment.Variables;
    expect(JSON.parse(resolvedText(stack, env[ENV.approvers]))).toEqual(expect.arrayContaining([['*', [`<${logicalIdOf(operators)}.Arn>`]]]));
  });

  test('GIVEN a role of another account WHEN granted approval THEN the approval function\'s resource policy lets it invoke the URL, with AWS_IAM auth', () => {
    const { stack, production, template } = stagedPipeline();
    production.grantApproval(iam.Role.fromRoleArn(stack, 'Auditors', 'arn:aws:iam::210987654321:role/auditors/ReleaseAuditors'));
    template().hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunctionUrl',
      FunctionName: { 'Fn::GetAtt': [logicalIdOf(production.deployStateMachine.approvalFunction), 'Arn'] },
      Principal: 'arn:aws:iam::210987654321:role/auditors/ReleaseAuditors',
      FunctionUrlAuthType: 'AWS_IAM',
    });
  });

  test('GIVEN a group, an account or a service WHEN granted approval THEN it is refused: the function could not recognise it', () => {
    const { stack, staging } = stagedPipeline();
    expect(() => staging.grantApproval(new iam.Group(stack, 'Team'))).toThrow(/is not an IAM role or user[\s\S]*grant each user or a role its members assume/);
    expect(() => staging.grantApproval(new iam.AccountRootPrincipal())).toThrow(/is not an IAM role or user/);
    expect(() => staging.grantApproval(new iam.ServicePrincipal('codebuild.amazonaws.com'))).toThrow(/is not an IAM role or user/);
  });

  test('GIVEN an action that never asks for approval WHEN approval is granted on it THEN it is refused and says what to set', () => {
    const stack = newStack();
    const { source } = newPipeline(stack);
    const action = new StepFunctionsDeployAction(stack, 'NoApprovals', basicProps(source, { actionName: 'NoApprovals' }));
    expect(() => action.grantApproval(new iam.Role(stack, 'Approvers', { assumedBy: new iam.AccountPrincipal(stack.account) })))
      .toThrow(/NoApprovals: grantApproval on an action that never asks for approval: set onUnsafeChange to UnsafeChangeAction.requireApproval\(\)/);
  });
});

describe('who may answer the state machine\'s waits', () => {
  test('GIVEN approvers WHEN synthesized THEN only the approval function and the stack-event function may send task success or failure', () => {
    const { template, staging } = stagedPipeline();
    const t = template();
    const workflow = staging.deployStateMachine;
    const senders = Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.PolicyDocument.Statement.some((s: any) => [s.Action].flat().some((a: string) => /^states:SendTask/.test(a))))
      .flatMap((p: any) => p.Properties.Roles.map((r: any) => r.Ref))
      .sort();
    expect(senders).toEqual([
      logicalIdOf(workflow.approvalFunction.role!), logicalIdOf(workflow.node.findChild('StackEventFunctionRole')),
    ].sort());
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalIdOf(workflow.approvalFunction.role!) }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: ['states:SendTaskSuccess', 'states:SendTaskFailure'], Resource: { Ref: logicalIdOf(workflow.stateMachine) },
        })]),
      },
    });
  });

  test('GIVEN the workflow WHEN synthesized THEN the task function knows the approval URL for its message', () => {
    const { template, staging } = stagedPipeline();
    const t = template();
    const workflow = staging.deployStateMachine;
    const url = logicalIdOf(workflow.approvalUrl);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('deploy workflow\'s tasks'),
      Environment: { Variables: Match.objectLike({ [ENV.approvalUrl]: { 'Fn::GetAtt': [url, 'FunctionUrl'] } }) },
    });
  });
});

/** A value of the template as text, every Ref and GetAtt written `<id>` / `<id.Attribute>`. */
function resolvedText(stack: Stack, value: unknown): string {
  const resolved = stack.resolve(value);
  if (typeof resolved === 'string') return resolved;
  const [, parts] = resolved['Fn::Join'];
  return parts.map((p: any) => (typeof p === 'string' ? p : p.Ref ? `<${p.Ref}>` : `<${p['Fn::GetAtt'].join('.')}>`)).join('');
}
