/**
 * The shared task function's policy grows as little as IAM allows: every deployed stack joins one statement to
 * read it and act on its change sets, every deployment role one iam:PassRole statement; only creating a stack or a
 * change set takes a statement per deployment role, because IAM cannot tie a stack to its role in one statement
 * (`cloudformation:RoleArn`). What does not fit the role's inline policy, CDK moves into managed policies.
 */
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { basicProps, logicalIdOf, newPipeline, newStack, statementsOf } from './helpers';
import { StepFunctionsDeployAction } from '../../src';

test('GIVEN 100 actions in one stack THEN the task role has one statement per deployment role to create, one to act on the stacks, one PassRole, within the managed policy quota', () => {
  const stack = newStack();
  const { pipeline, source } = newPipeline(stack);
  const actions: StepFunctionsDeployAction[] = [];
  for (let i = 0; i < 100; i++) {
    const stage = i % 10 === 0 ? pipeline.addStage({ stageName: `Deploy${i / 10}` }) : pipeline.stages[pipeline.stages.length - 1];
    const action = new StepFunctionsDeployAction(stack, `Deploy${i}`, basicProps(source, { actionName: `Deploy${i}`, stackName: `app-${i}` }));
    stage.addAction(action);
    actions.push(action);
  }
  const t = Template.fromStack(stack);
  const statements = statementsOf(t, logicalIdOf(actions[0].taskFunction.role!));
  const cloudformation = statements.filter((s) => s.Action.some((a) => a.startsWith('cloudformation:')));
  const passRole = statements.filter((s) => s.Action.includes('iam:PassRole'));
  const creating = cloudformation.filter((s) => s.Action.includes('cloudformation:CreateChangeSet'));
  const others = cloudformation.filter((s) => !s.Action.includes('cloudformation:CreateChangeSet'));
  // One statement to act on the stacks, one to read their nested stacks' change sets; one per role to create.
  expect(others.map((s) => s.Sid)).toEqual(['DeployTargetStacks', 'ReadNestedChangeSets']);
  expect(creating).toHaveLength(100);
  expect(passRole).toHaveLength(1);
  // 100 stacks; 100 nested-stack patterns; 100 deployment roles, each creating its own stack only
  expect(others[0].Resource).toHaveLength(100);
  expect(others[1].Resource).toHaveLength(100);
  expect(passRole[0].Resource).toHaveLength(100);
  expect(creating.map((s) => s.Resource.length)).toEqual(Array(100).fill(1));
  expect(creating.map((s) => JSON.stringify(s.Condition))).toEqual(actions.map((a) =>
    JSON.stringify({ ArnEquals: { 'cloudformation:RoleArn': { 'Fn::GetAtt': [logicalIdOf(a.deploymentRole), 'Arn'] } } })));
  // (the pipeline's own role overflows with one sts:AssumeRole per action role, as with native actions)
  const taskRoleRef = JSON.stringify({ Ref: logicalIdOf(actions[0].taskFunction.role!) });
  const managed = Object.values(t.findResources('AWS::IAM::ManagedPolicy'))
    .filter((p) => (p.Properties.Roles ?? []).some((r: unknown) => JSON.stringify(r) === taskRoleRef));
  // IAM attaches 10 managed policies to a role by default.
  expect(managed.length).toBeLessThanOrEqual(3);
});

test('GIVEN two actions with the same deployment role THEN one statement lets the task create both stacks with it', () => {
  const stack = newStack();
  const { pipeline, source } = newPipeline(stack);
  const role = iam.Role.fromRoleArn(stack, 'Shared', 'arn:aws:iam::111111111111:role/shared-deployer', { mutable: false });
  const a = new StepFunctionsDeployAction(stack, 'A', basicProps(source, { actionName: 'A', stackName: 'a', deploymentRole: role }));
  pipeline.addStage({ stageName: 'Deploy', actions: [a, new StepFunctionsDeployAction(stack, 'B', basicProps(source, { actionName: 'B', stackName: 'b', deploymentRole: role }))] });
  const creating = statementsOf(Template.fromStack(stack), logicalIdOf(a.taskFunction.role!))
    .filter((s) => s.Action.includes('cloudformation:CreateChangeSet'));
  expect(creating).toHaveLength(1);
  expect(creating[0].Resource.map((r) => JSON.stringify(r))).toEqual([expect.stringContaining(':stack/a/*'), expect.stringContaining(':stack/b/*')]);
  expect(creating[0].Condition).toEqual({ ArnEquals: { 'cloudformation:RoleArn': 'arn:aws:iam::111111111111:role/shared-deployer' } });
});

test('GIVEN the same bucket for two actions THEN the artifact grants appear once', () => {
  const stack = newStack();
  const { pipeline, source } = newPipeline(stack);
  const stage = pipeline.addStage({ stageName: 'Deploy' });
  const a = new StepFunctionsDeployAction(stack, 'A', basicProps(source, { actionName: 'A', stackName: 'a' }));
  stage.addAction(a);
  stage.addAction(new StepFunctionsDeployAction(stack, 'B', basicProps(source, { actionName: 'B', stackName: 'b' })));
  const statements = statementsOf(Template.fromStack(stack), logicalIdOf(a.taskFunction.role!));
  expect(statements.filter((s) => s.Action.includes('s3:GetObject'))).toHaveLength(1);
  expect(statements.filter((s) => s.Action.includes('s3:PutObject'))).toHaveLength(1);
});

test('addToDeploymentRolePolicy() changes only a role the action created', () => {
  const stack = newStack();
  const { pipeline, source } = newPipeline(stack);
  const statement = new iam.PolicyStatement({ actions: ['sqs:CreateQueue'], resources: ['*'] });
  const created = new StepFunctionsDeployAction(stack, 'Created', basicProps(source, { actionName: 'Created', stackName: 'created' }));
  const given = new StepFunctionsDeployAction(stack, 'Given', basicProps(source, {
    actionName: 'Given',
    stackName: 'given',
    deploymentRole: iam.Role.fromRoleArn(stack, 'Imported', 'arn:aws:iam::111111111111:role/deployer'),
  }));
  pipeline.addStage({ stageName: 'Deploy', actions: [created, given] });
  expect(created.addToDeploymentRolePolicy(statement)).toBe(true);
  expect(given.addToDeploymentRolePolicy(statement)).toBe(false);
  const t = Template.fromStack(stack);
  expect(statementsOf(t, logicalIdOf(created.deploymentRole)).map((s) => s.Action)).toContainEqual(['sqs:CreateQueue']);
});

test('cloudformation:DeleteStack only on the stacks whose actions opted in to recreateRolledBackStack', () => {
  const stack = newStack();
  const { pipeline, source } = newPipeline(stack);
  const opted = new StepFunctionsDeployAction(stack, 'Opted', basicProps(source, { actionName: 'Opted', stackName: 'opted', recreateRolledBackStack: true }));
  const plain = new StepFunctionsDeployAction(stack, 'Plain', basicProps(source, { actionName: 'Plain', stackName: 'plain' }));
  pipeline.addStage({ stageName: 'Deploy', actions: [opted, plain] });
  const statements = statementsOf(Template.fromStack(stack), logicalIdOf(opted.taskFunction.role!));
  const deletes = statements.filter((s) => s.Action.includes('cloudformation:DeleteStack'));
  expect(deletes).toHaveLength(1);
  expect(JSON.stringify(deletes[0].Resource)).toContain(':stack/opted/*');
  expect(JSON.stringify(deletes[0].Resource)).not.toContain(':stack/plain/*');
  expect(statements.filter((s) => s.Action.includes('cloudformation:CreateStack'))[0].Action).not.toContain('cloudformation:DeleteStack');
});
