/**
 * ChangeSetReviewStep on AWS: a CDK Pipelines pipeline whose stage (two stacks) is reviewed as one unit between
 * CDK Pipelines' prepare and deploy actions, driven by assertions.
 *
 * The synth step does not run `cdk synth`: its source zip is the stage's cloud assembly as this app synthesizes it
 * (the stage's stacks have no assets), and the step passes it on as its output. The run creates both stacks,
 * reviewed by the step; the test then deletes them.
 *
 * Deploy, assert and destroy with `npx projen integ:deploy` (docs/contributing.md); CI only checks the snapshot.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as cpactions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Chain, STACK_PREFIX, bucket, destroyedWithTheTest } from './fixtures';
import { ChangeSetReviewStep } from '../../src';

const app = new App();
const stack = new Stack(app, 'SfnDeployIntegPipelines');

destroyedWithTheTest(stack);
const sourceBucket = bucket(stack, 'SourceBucket', true);
const sourceKey = 'assembly.zip';

const pipeline = new pipelines.CodePipeline(stack, 'Pipeline', {
  pipelineType: codepipeline.PipelineType.V2,
  artifactBucket: bucket(stack, 'Artifacts'),
  selfMutation: false,
  synth: new pipelines.ShellStep('Synth', {
    input: pipelines.CodePipelineSource.s3(sourceBucket, sourceKey, { trigger: cpactions.S3Trigger.NONE }),
    // The source is the cloud assembly itself.
    commands: ['ls -R'],
    primaryOutputDirectory: '.',
  }),
});

// The application: two independent stacks, a table and a parameter.
const stage = new Stage(app, 'Application');
const data = new Stack(stage, 'Data', { stackName: `${STACK_PREFIX}-review-data` });
new dynamodb.Table(data, 'Table', {
  partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
  billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
  removalPolicy: RemovalPolicy.DESTROY,
});
const settings = new Stack(stage, 'Settings', { stackName: `${STACK_PREFIX}-review-settings` });
new ssm.StringParameter(settings, 'Parameter', { stringValue: 'reviewed' });

pipeline.addStage(stage, { stackSteps: ChangeSetReviewStep.forStage(stage) });
pipeline.buildPipeline();

// The source zip: the stage's assembly (forStage synthesized it) under the directory name CDK Pipelines reads.
const assemblyDir = stage.synth().directory;
const zipDir = fs.mkdtempSync(path.join(os.tmpdir(), 'integ-assembly-'));
fs.cpSync(assemblyDir, path.join(zipDir, path.basename(assemblyDir)), { recursive: true });
const assembly = new s3assets.Asset(stack, 'AssemblySource', { path: zipDir });

const integ = new IntegTest(app, 'PipelinesReviewTest', {
  testCases: [stack],
  diffAssets: true,
  stackUpdateWorkflow: false,
});

const reviewed = new Chain(integ);
reviewed.runPipeline({
  run: 'review-create',
  pipeline: pipeline.pipeline,
  sourceBucket,
  sourceKey,
  source: assembly,
  // The step's one action, named after the step (and, by CDK Pipelines, after a stack it reviews).
  actionName: 'ReviewChangeSets',
  expect: { status: 'Succeeded', summary: 'Reviewed the change sets the pipeline prepared for 2 stacks: allowed' },
});
reviewed.stackExists(data.stackName);
reviewed.stackExists(settings.stackName);
reviewed.deleteStacks([data.stackName, settings.stackName]);

app.synth();
