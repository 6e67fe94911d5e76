/**
 * A stack deployed both by a StepFunctionsDeployAction and by CDK Pipelines (whose prepared change sets a
 * ChangeSetReviewStep reviews) in one app: each would deploy its own template over the other's. Refused at synth,
 * naming the stack, the action and the step, when the workflow they share sees both (the pipeline's account and
 * region, by name).
 */
import { Template } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as cpactions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AppStage, PIPELINE_ENV, cdkPipeline } from './pipelines-app';
import { ChangeSetReviewStep, StepFunctionsDeployAction } from '../../src';
import type { StepFunctionsDeployActionProps } from '../../src';

/** A CDK Pipelines app whose stage Prod (stack Prod-Data) is reviewed, and a pipeline of its own in the same stack with one action. */
function appWith(action: Partial<StepFunctionsDeployActionProps>, stageProps: { env?: typeof PIPELINE_ENV } = {}) {
  const p = cdkPipeline();
  const stage = new AppStage(p.app, 'Prod', { withTable: true, ...stageProps });
  p.pipeline.addStage(stage, { stackSteps: ChangeSetReviewStep.forStage(stage) });
  const source = new codepipeline.Artifact('Source');
  new codepipeline.Pipeline(p.stack, 'Direct', {
    stages: [
      { stageName: 'Source', actions: [new cpactions.S3SourceAction({ actionName: 'Source', bucket: new s3.Bucket(p.stack, 'Bucket'), bucketKey: 'a.zip', output: source })] },
      {
        stageName: 'Deploy',
        actions: [new StepFunctionsDeployAction(p.stack, 'DeployData', {
          actionName: 'Deploy', stackName: 'Data', templatePath: source.atPath('data.json'), adminPermissions: true, ...action,
        })],
      },
    ],
  });
  return () => {
    p.pipeline.buildPipeline();
    return Template.fromStack(p.stack);
  };
}

test('GIVEN an action that deploys Prod-Data (Data under environmentName Prod) and a review step of the stage that holds it THEN synth fails naming the stack, the action and the step', () => {
  expect(appWith({ environmentName: 'Prod' })).toThrow(new RegExp(
    'stack Prod-Data is deployed by PipelineStack/DeployData and by CDK Pipelines, whose change sets ChangeSetReviewStep ' +
    'ReviewChangeSets at PipelineStack/Pipeline/.*ReviewChangeSets.* reviews: each would deploy its own template over the other\'s\\. ' +
    'Deploy the stack one way: remove it from the action \\(or give the action another stackName or environmentName\\), or from the CDK Pipelines stage'));
});

test('GIVEN the same stack name written whole (stackName Prod-Data) THEN it is refused too', () => {
  expect(appWith({ stackName: 'Prod-Data' })).toThrow(/stack Prod-Data is deployed by PipelineStack\/DeployData and by CDK Pipelines/);
});

test('GIVEN the action deploys another stack THEN synth succeeds', () => {
  expect(appWith({ environmentName: 'Test' })).not.toThrow();
});

test('GIVEN the reviewed stack is in another region than the action\'s (same name) THEN synth succeeds: they are different stacks', () => {
  expect(appWith({ environmentName: 'Prod' }, { env: { account: PIPELINE_ENV.account, region: 'us-east-1' } })).not.toThrow();
});
