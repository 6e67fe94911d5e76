/**
 * The demo's example CDK app: one pipeline whose Deploy stage uses StepFunctionsDeployAction, exactly as a
 * user writes it, and a CDK Pipelines pipeline in the same stack whose stage is reviewed by ChangeSetReviewStep
 * (both share the stack's one workflow). The demo synthesizes it and runs the resulting state machine.
 */
import { App, ArnFormat, DefaultStackSynthesizer, Duration, Stack, Stage } from 'aws-cdk-lib';
import type { StageProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as cpactions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as pipelines from 'aws-cdk-lib/pipelines';
import type { Construct } from 'constructs';
import { ChangeSetReviewStep, StepFunctionsDeployAction, WhenAlarmFiring } from '../src';
import { LOCAL_ENV, resolveIntrinsics } from './lib/intrinsics';

export const DEMO_STACK = { environmentName: 'demo', stackName: 'orders', templatePath: 'infra/orders.json' };
/** The orders service's error alarm: the Prod action's rollback trigger, and what keeps it from deploying while in ALARM. */
export const DEMO_ALARM = 'demo-orders-errors';

/** A release of three stacks, reviewed as one unit by a second action. */
export const DEMO_UNIT = {
  environmentName: 'demo',
  stacks: [
    { stackName: 'network', templatePath: 'release/network.json' },
    { stackName: 'data', templatePath: 'release/data.json' },
    { stackName: 'web', templatePath: 'release/web.json' },
  ],
};

/** The CDK Pipelines application: a shop whose data stack has an orders table in its first commit, and none in its second. */
export class ShopStage extends Stage {
  public readonly data: Stack;

  constructor(scope: Construct, id: string, props: StageProps & { readonly withTable: boolean }) {
    super(scope, id, props);
    // No bootstrap version rule: the emulator has no SSM parameter for it (a real account has, once bootstrapped).
    this.data = new Stack(this, 'Data', { synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }) });
    new sns.Topic(this.data, 'OrderEvents', { topicName: 'order-events' });
    if (props.withTable) {
      new dynamodb.Table(this.data, 'Orders', { tableName: 'orders', partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    }
  }
}

/** The shop stage's name in the CDK Pipelines pipeline: its stack is `Shop-Data`. */
export const SHOP_STAGE = 'Shop';

export interface DemoApp {
  readonly template: Record<string, any>;
  readonly userParameters: string;
  readonly unitUserParameters: string;
  /** The CDK Pipelines review step's UserParameters. */
  readonly reviewUserParameters: string;
  /** The shop's data stack, as CDK Pipelines' prepare action deploys it: its name and template, per commit. */
  readonly shop: { readonly stackName: string; readonly templates: { readonly withTable: unknown; readonly withoutTable: unknown } };
}

export function synthesizeDemoApp(): DemoApp {
  const app = new App({ analyticsReporting: false });
  const stack = new Stack(app, 'DemoPipelineStack', { env: LOCAL_ENV });
  const source = new codepipeline.Artifact('Source');
  const deploy = new StepFunctionsDeployAction(stack, 'Deploy', {
    actionName: 'Deploy',
    ...DEMO_STACK,
    templatePath: source.atPath(DEMO_STACK.templatePath),
    rollbackAlarms: [cloudwatch.Alarm.fromAlarmArn(stack, 'OrdersErrors', stack.formatArn({
      service: 'cloudwatch', resource: 'alarm', resourceName: DEMO_ALARM, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }))],
    monitoringTime: Duration.minutes(5),
    whenAlarmFiring: WhenAlarmFiring.FAIL,
  });
  const release = new StepFunctionsDeployAction(stack, 'Release', {
    actionName: 'Release',
    ...DEMO_UNIT,
    stacks: DEMO_UNIT.stacks.map((s) => ({ ...s, templatePath: source.atPath(s.templatePath) })),
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
      { stageName: 'Release', actions: [release] },
    ],
  });

  // CDK Pipelines, in the same stack: the shop stage's change set is reviewed between its prepare and deploy actions.
  const shopPipeline = new pipelines.CodePipeline(stack, 'ShopPipeline', {
    synth: new pipelines.ShellStep('Synth', {
      input: pipelines.CodePipelineSource.s3(new s3.Bucket(stack, 'ShopSource', { versioned: true }), 'shop.zip'),
      commands: ['npm ci', 'npx cdk synth'],
    }),
  });
  const shop = new ShopStage(app, SHOP_STAGE, { withTable: true });
  shopPipeline.addStage(shop, { stackSteps: ChangeSetReviewStep.forStage(shop) });
  shopPipeline.buildPipeline();
  // The second commit: the same stage without the table (a stage of its own app, as the next synth would make it).
  const secondCommit = new ShopStage(new App({ analyticsReporting: false }), SHOP_STAGE, { withTable: false });

  const template = Template.fromStack(stack).toJSON();
  // UserParameters hold the deployment role's ARN as a token: it is given its placeholder ARN.
  const userParametersOf = (stage: string) => resolveIntrinsics(findDeployAction(template, stage).Configuration.UserParameters, template.Resources);
  return {
    template,
    userParameters: userParametersOf('Prod'),
    unitUserParameters: userParametersOf('Release'),
    reviewUserParameters: userParametersOf(SHOP_STAGE),
    shop: {
      stackName: shop.data.stackName,
      templates: { withTable: stageTemplate(shop, shop.data), withoutTable: stageTemplate(secondCommit, secondCommit.data) },
    },
  };
}

/** A stack's template as the stage's cloud assembly holds it (what CDK Pipelines' prepare action deploys). */
function stageTemplate(stage: Stage, stack: Stack): unknown {
  return stage.synth().getStackArtifact(stack.artifactId).template;
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
