/**
 * What the integration tests (integ.*.ts) share: the CloudFormation templates their pipelines deploy, the source
 * zips that carry them, and the assertion chains that drive a pipeline run and read the action's result on AWS.
 *
 * A run: copy a source zip (a file asset, published with the test stack) to the key the pipeline's S3 source
 * reads, start the pipeline, and wait until the action's execution of that pipeline execution ends as expected
 * (ListActionExecutions). The deployed stacks are not the test's own: each test deletes them at its end.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ExpectedResult, Match } from '@aws-cdk/integ-tests-alpha';
import type { IApiCall, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { Aspects, CfnResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { Stack } from 'aws-cdk-lib';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import type { Construct, IConstruct } from 'constructs';

/** The prefix of every stack the tests' pipelines deploy, so that they are easy to find (and to delete by hand). */
export const STACK_PREFIX = 'integ-sfn-deploy';

const table = {
  Type: 'AWS::DynamoDB::Table',
  Properties: {
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  },
};
const parameter = { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: 'second version' } };

/**
 * The three versions of the application: a table (the first deployment creates the stack), the table and a
 * parameter (a safe update: a resource added), the parameter only (the table's removal, which the default policy refuses).
 */
export const TEMPLATES = {
  table: { Resources: { Table: table } },
  tableAndParameter: { Resources: { Table: table, Parameter: parameter } },
  parameterOnly: { Resources: { Parameter: parameter } },
};

/**
 * A test stack that leaves nothing behind when it is destroyed: every resource is deleted with it (log groups, the
 * workflow's table, the buckets, which `bucket()` empties first).
 */
export function destroyedWithTheTest(stack: Stack): void {
  Aspects.of(stack).add({
    visit(node: IConstruct) {
      if (node instanceof CfnResource) node.applyRemovalPolicy(RemovalPolicy.DESTROY);
    },
  });
}

/** A bucket (source or artifacts) emptied and deleted when the test stack is destroyed. */
export function bucket(scope: Construct, id: string, versioned = false): s3.Bucket {
  return new s3.Bucket(scope, id, { versioned, enforceSSL: true, removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
}

/** The logical id of the table in every template above. */
export const TABLE_ID = 'Table';

/**
 * A source zip with these files (JSON), as a file asset. The directory is written at synth; the asset's hash is
 * that of the files' contents, so it is the same on every machine.
 */
export function sourceZip(scope: Construct, id: string, files: Record<string, unknown>): s3assets.Asset {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'integ-source-'));
  for (const [name, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), `${JSON.stringify(content, undefined, 2)}\n`);
  }
  return new s3assets.Asset(scope, id, { path: dir });
}

/** How long a pipeline run may take before its assertion fails, and how often it is read. */
const WAIT = { totalTimeout: Duration.minutes(30), interval: Duration.seconds(20), backoffRate: 1 };

/** What the action's execution of a run must end with. */
export type ActionResult =
  | { readonly status: 'Succeeded'; readonly summary: string }
  | { readonly status: 'Failed'; readonly message: string };

export interface PipelineRunOptions {
  /** The run's name among the test's runs (letters, digits and hyphens). */
  readonly run: string;
  readonly pipeline: codepipeline.IPipeline;
  readonly sourceBucket: s3.IBucket;
  /** The key the pipeline's S3 source action reads. */
  readonly sourceKey: string;
  /** The zip to deploy in this run. */
  readonly source: s3assets.Asset;
  /** A regular expression on the name of the action whose result is awaited. */
  readonly actionName: string;
  /** The action's result: its status and a regular expression on its summary or its error message. */
  readonly expect: ActionResult;
}

/** An assertion chain: each call starts once the one before it ended. */
export class Chain {
  private last?: IApiCall;

  constructor(private readonly integ: IntegTest) {}

  /** Adds a call after the chain's last one. */
  public then(call: IApiCall): IApiCall {
    if (this.last) this.last.next(call);
    this.last = call;
    return call;
  }

  /**
   * One pipeline run: the zip copied to the source key, the pipeline started, and the action's execution of that
   * pipeline execution awaited until it ends as `expect` says (a different end fails the test after the wait).
   */
  public runPipeline(options: PipelineRunOptions): void {
    const { assertions } = this.integ;
    const copy = this.then(assertions.awsApiCall('S3', 'copyObject', {
      Bucket: options.sourceBucket.bucketName,
      Key: options.sourceKey,
      CopySource: `${options.source.s3BucketName}/${options.source.s3ObjectKey}`,
    }));
    copy.provider.addToRolePolicy({ Effect: 'Allow', Action: ['s3:GetObject'], Resource: [options.source.bucket.arnForObjects(options.source.s3ObjectKey)] });
    copy.provider.addToRolePolicy({ Effect: 'Allow', Action: ['s3:PutObject'], Resource: [options.sourceBucket.arnForObjects(options.sourceKey)] });

    const start = this.then(assertions.awsApiCall('CodePipeline', 'startPipelineExecution', {
      name: options.pipeline.pipelineName,
      // Tells this run from the others of the test (and makes a retried call start no second run).
      clientRequestToken: options.run,
    }, ['pipelineExecutionId']));

    const pipelineExecutionId = start.getAttString('pipelineExecutionId');
    const action = Match.stringLikeRegexp(options.actionName);
    const expect = options.expect;
    // The summary of a success is in the action's execution result (PutJobSuccessResult's executionDetails).
    const output = expect.status === 'Succeeded'
      ? { output: Match.objectLike({ executionResult: Match.objectLike({ externalExecutionSummary: Match.stringLikeRegexp(expect.summary) }) }) }
      : {};
    this.then(assertions.awsApiCall('CodePipeline', 'listActionExecutions', {
      pipelineName: options.pipeline.pipelineName,
      filter: { pipelineExecutionId },
    }).expect(ExpectedResult.objectLike({
      actionExecutionDetails: Match.arrayWith([Match.objectLike({ actionName: action, status: expect.status, ...output })]),
    })).waitForAssertions(WAIT));
    if (expect.status === 'Failed') {
      // The message of a failure (PutJobFailureResult's failureDetails) is the action's error in the pipeline's state,
      // as the console shows it: read once the action has failed, while its stage still shows this pipeline execution.
      this.then(assertions.awsApiCall('CodePipeline', 'getPipelineState', { name: options.pipeline.pipelineName }).expect(ExpectedResult.objectLike({
        stageStates: Match.arrayWith([Match.objectLike({
          latestExecution: Match.objectLike({ pipelineExecutionId, status: 'Failed' }),
          actionStates: Match.arrayWith([Match.objectLike({
            actionName: action,
            latestExecution: Match.objectLike({ status: 'Failed', errorDetails: Match.objectLike({ message: Match.stringLikeRegexp(expect.message) }) }),
          })]),
        })]),
      })));
    }
  }

  /** The table of a deployed stack still exists, and is ACTIVE (a refused removal left it in place). */
  public tableStillExists(stackName: string, logicalId = TABLE_ID): void {
    const { assertions } = this.integ;
    const resource = this.then(assertions.awsApiCall('CloudFormation', 'describeStackResource', {
      StackName: stackName, LogicalResourceId: logicalId,
    }, ['StackResourceDetail.PhysicalResourceId']));
    this.then(assertions.awsApiCall('DynamoDB', 'describeTable', {
      TableName: resource.getAttString('StackResourceDetail.PhysicalResourceId'),
    }).expect(ExpectedResult.objectLike({ Table: Match.objectLike({ TableStatus: 'ACTIVE' }) })));
  }

  /** A stack the pipeline deployed exists, in a state of a finished deployment. */
  public stackExists(stackName: string): void {
    this.then(this.integ.assertions.awsApiCall('CloudFormation', 'describeStacks', { StackName: stackName })
      .expect(ExpectedResult.objectLike({ Stacks: [Match.objectLike({ StackStatus: Match.stringLikeRegexp('^(CREATE|UPDATE)_COMPLETE$') })] })));
  }

  /**
   * Deletes the stacks the pipeline deployed, and waits until they are gone: their deployment role (a resource of
   * the test stack) must outlive their deletion, so the test stack is destroyed only after this.
   */
  public deleteStacks(stackNames: string[]): void {
    const { assertions } = this.integ;
    for (const stackName of stackNames) {
      const described = this.then(assertions.awsApiCall('CloudFormation', 'describeStacks', { StackName: stackName }, ['Stacks.0.StackId']));
      const stackId = described.getAttString('Stacks.0.StackId');
      this.then(assertions.awsApiCall('CloudFormation', 'deleteStack', { StackName: stackId }));
      // A deleted stack is described by its id (not by its name) until CloudFormation forgets it.
      this.then(assertions.awsApiCall('CloudFormation', 'describeStacks', { StackName: stackId })
        .expect(ExpectedResult.objectLike({ Stacks: [Match.objectLike({ StackStatus: 'DELETE_COMPLETE' })] }))
        .waitForAssertions(WAIT));
    }
  }
}
