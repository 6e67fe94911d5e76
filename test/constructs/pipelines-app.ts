/**
 * A CDK Pipelines app for the tests: a pipeline stack (S3 source, so no connection or token) and an application
 * stage whose stacks hold a DynamoDB table or not, the "second commit" that removes it. Its stacks can live in
 * the pipeline's account or in another one.
 */
import { App, RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';
import type { Environment, StageProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as pipelines from 'aws-cdk-lib/pipelines';
import type { Construct } from 'constructs';

export const PIPELINE_ENV: Environment = { account: '111111111111', region: 'eu-west-1' };

export interface AppStageProps extends StageProps {
  /** The first commit has the table; the second removes it. */
  readonly withTable: boolean;
  /** A second stack (topics), and whether it depends on the first. */
  readonly topics?: 'independent' | 'dependent';
}

/** The application: a data stack (a table, or not) and perhaps a topics stack. */
export class AppStage extends Stage {
  public readonly data: Stack;
  public readonly topics?: Stack;

  constructor(scope: Construct, id: string, props: AppStageProps) {
    super(scope, id, props);
    this.data = new Stack(this, 'Data');
    new sns.Topic(this.data, 'Events');
    if (props.withTable) {
      new dynamodb.Table(this.data, 'Orders', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      });
    }
    if (props.topics) {
      this.topics = new Stack(this, 'Topics');
      new sns.Topic(this.topics, 'Alerts');
      if (props.topics === 'dependent') this.topics.addDependency(this.data);
    }
  }
}

/** A CDK Pipelines pipeline in its own stack, built (its actions exist) by `build()`. */
export function cdkPipeline(app = new App()) {
  const stack = new Stack(app, 'PipelineStack', { env: PIPELINE_ENV });
  const bucket = new s3.Bucket(stack, 'SourceBucket', { versioned: true, enforceSSL: true });
  const pipeline = new pipelines.CodePipeline(stack, 'Pipeline', {
    // Stacks in other accounts need the artifact bucket's key.
    crossAccountKeys: true,
    synth: new pipelines.ShellStep('Synth', {
      input: pipelines.CodePipelineSource.s3(bucket, 'source.zip'),
      commands: ['npm ci', 'npx cdk synth'],
    }),
  });
  return {
    app,
    stack,
    pipeline,
    template: () => {
      pipeline.buildPipeline();
      return Template.fromStack(stack);
    },
  };
}

export interface SynthesizedAction {
  readonly name: string;
  readonly runOrder: number;
  readonly provider: string;
  readonly configuration: Record<string, unknown>;
  readonly roleArn?: unknown;
}

/** The actions of one pipeline stage, as CodePipeline sees them. */
export function stageActions(template: Template, stageName: string): SynthesizedAction[] {
  const [pipeline] = Object.values(template.findResources('AWS::CodePipeline::Pipeline')) as any[];
  const stage = pipeline.Properties.Stages.find((s: any) => s.Name === stageName);
  if (!stage) throw new Error(`no stage ${stageName}: ${pipeline.Properties.Stages.map((s: any) => s.Name).join(', ')}`);
  return stage.Actions.map((a: any) => ({
    name: a.Name, runOrder: a.RunOrder ?? 1, provider: a.ActionTypeId.Provider, configuration: a.Configuration ?? {}, roleArn: a.RoleArn,
  }));
}
