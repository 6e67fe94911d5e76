/**
 * The demo's example CDK app: one pipeline whose Deploy stage uses StepFunctionsDeployAction, exactly as a
 * user writes it. The demo synthesizes it and runs the resulting state machine.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as cpactions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { StepFunctionsDeployAction } from '../src';
import { LOCAL_ENV, resolveIntrinsics } from './lib/intrinsics';

export const DEMO_STACK = { environmentName: 'demo', stackName: 'orders', templatePath: 'infra/orders.json' };

/** A release of three stacks, reviewed as one unit by a second action. */
export const DEMO_UNIT = {
  environmentName: 'demo',
  stacks: [
    { stackName: 'network', templatePath: 'release/network.json' },
    { stackName: 'data', templatePath: 'release/data.json' },
    { stackName: 'web', templatePath: 'release/web.json' },
  ],
};

export function synthesizeDemoApp(): { template: Record<string, any>; userParameters: string; unitUserParameters: string } {
  const app = new App();
  const stack = new Stack(app, 'DemoPipelineStack', { env: LOCAL_ENV });
  const source = new codepipeline.Artifact('Source');
  const deploy = new StepFunctionsDeployAction(stack, 'Deploy', {
    input: source,
    ...DEMO_STACK,
  });
  new codepipeline.Pipeline(stack, 'Pipeline', {
    stages: [
      {
        stageName: 'Source',
        actions: [new cpactions.S3SourceAction({
          actionName: 'Source',
          bucket: new s3.Bucket(stack, 'SourceBucket', { versioned: true }),
          bucketKey: 'source.zip',
          output: source,
        })],
      },
      { stageName: 'Prod', actions: [deploy] },
      { stageName: 'Release', actions: [new StepFunctionsDeployAction(stack, 'Release', { input: source, ...DEMO_UNIT })] },
    ],
  });
  const template = Template.fromStack(stack).toJSON();
  // UserParameters hold the deployment role's ARN as a token: it is given its placeholder ARN.
  const userParametersOf = (stage: string) => resolveIntrinsics(findDeployAction(template, stage).Configuration.UserParameters, template.Resources);
  return { template, userParameters: userParametersOf('Prod'), unitUserParameters: userParametersOf('Release') };
}

function findDeployAction(template: Record<string, any>, stageName: string): Record<string, any> {
  for (const resource of Object.values(template.Resources) as any[]) {
    if (resource.Type !== 'AWS::CodePipeline::Pipeline') continue;
    for (const stage of resource.Properties.Stages) {
      if (stage.Name !== stageName) continue;
      for (const action of stage.Actions) {
        if (action.ActionTypeId.Provider === 'Lambda') return action;
      }
    }
  }
  throw new Error(`the demo pipeline has no Lambda invoke action in stage ${stageName}`);
}
