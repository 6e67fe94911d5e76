/**
 * Cross-account: the task function assumes a role of the target account for CloudFormation; it holds no
 * CloudFormation rights of its own for that stack, and the target role may read the staged templates.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { basicProps, logicalIdOf, newPipeline, newStack, statementsOf, userParametersOf } from './helpers';
import { StepFunctionsDeployAction } from '../../src';

const TARGET = '222222222222';

function crossAccount() {
  const stack = newStack();
  const { pipeline, source } = newPipeline(stack);
  const targetAccountRole = iam.Role.fromRoleArn(stack, 'TargetRole', `arn:aws:iam::${TARGET}:role/pipeline-deployer`);
  const deploymentRole = iam.Role.fromRoleArn(stack, 'TargetCfnRole', `arn:aws:iam::${TARGET}:role/cloudformation-exec`);
  const action = new StepFunctionsDeployAction(stack, 'Deploy', basicProps(source, { targetAccountRole, deploymentRole }));
  pipeline.addStage({ stageName: 'Deploy', actions: [action] });
  return { stack, pipeline, action, t: Template.fromStack(stack) };
}

test('GIVEN a target account role THEN UserParameters carry it and the task function may assume it', () => {
  const { action, t } = crossAccount();
  const { config } = userParametersOf(t, 'Deploy');
  expect(config.assumeRoleArn).toBe(`arn:aws:iam::${TARGET}:role/pipeline-deployer`);
  expect(config.roleArn).toBe(`arn:aws:iam::${TARGET}:role/cloudformation-exec`);
  const statements = statementsOf(t, logicalIdOf(action.taskFunction.role!));
  expect(statements.filter((s) => s.Action.includes('sts:AssumeRole'))).toEqual([
    expect.objectContaining({ Resource: [`arn:aws:iam::${TARGET}:role/pipeline-deployer`] }),
  ]);
});

test('GIVEN a target account role THEN the task function holds no CloudFormation or PassRole rights for that stack', () => {
  const { action, t } = crossAccount();
  const statements = statementsOf(t, logicalIdOf(action.taskFunction.role!));
  expect(statements.filter((s) => s.Action.some((a) => a.startsWith('cloudformation:') || a === 'iam:PassRole'))).toEqual([]);
});

test('GIVEN a target account role THEN the artifact bucket lets it read the staged templates only', () => {
  const { pipeline, t } = crossAccount();
  t.hasResourceProperties('AWS::S3::BucketPolicy', {
    Bucket: { Ref: logicalIdOf(pipeline.artifactBucket) },
    PolicyDocument: {
      Statement: Match.arrayWith([Match.objectLike({
        Principal: { AWS: `arn:aws:iam::${TARGET}:role/pipeline-deployer` },
        Resource: Match.arrayWith([{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalIdOf(pipeline.artifactBucket), 'Arn'] }, '/sfn-deploy-action-staging/*']] }]),
      })]),
    },
  });
});

test('a target account role without a deployment role of that account is refused', () => {
  const stack = newStack();
  const { source } = newPipeline(stack);
  const targetAccountRole = iam.Role.fromRoleArn(stack, 'TargetRole', `arn:aws:iam::${TARGET}:role/pipeline-deployer`);
  expect(() => new StepFunctionsDeployAction(stack, 'Deploy', basicProps(source, { targetAccountRole })))
    .toThrow(/with targetAccountRole, give deploymentRole too/);
});
