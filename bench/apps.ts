/**
 * The pipelines the benchmark synthesizes: the same source stage and stage layout, with each deployed stack
 * deployed either by a StepFunctionsDeployAction or by aws-cdk-lib's native change-set pair
 * (CloudFormationCreateReplaceChangeSetAction, then CloudFormationExecuteChangeSetAction).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as cpactions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { LOCAL_ENV } from '../demo/lib/intrinsics';
import { DeployStateMachine, StepFunctionsDeployAction } from '../src';

export type Design = 'sfn-deploy-action' | 'sfn-deploy-unit' | 'native-change-set';

/** Stacks per action in the unit design (`stacks`). */
export const STACKS_PER_UNIT = 5;

export const { account: ACCOUNT, region: REGION } = LOCAL_ENV;
/** Deployed stacks per pipeline stage (CodePipeline allows 50 actions in a stage; the native design uses 2 per stack). */
export const STACKS_PER_STAGE = 10;
export const ENVIRONMENT = 'prod';

export interface PipelineOptions {
  readonly design: Design;
  /** Deployed stacks (one StepFunctionsDeployAction, or one native change-set pair, each). */
  readonly stacks: number;
  /** The deploy action's timeout (StepFunctionsDeployAction only). */
  readonly timeout?: Duration;
  /** The workflow wakes on the stacks' status events (DeployStateMachine `stackEvents`), for every StepFunctionsDeployAction. @default - the library's default */
  readonly stackEvents?: boolean;
  /** Rollback alarms (their ARNs) and a monitoring time, for every StepFunctionsDeployAction of one stack. @default - none */
  readonly rollback?: { readonly alarmArns: string[]; readonly monitoringTime: Duration };
}

export function stackNameOf(i: number): string {
  return `app${i}`;
}

export function templatePathOf(i: number): string {
  return `infra/app${i}.json`;
}

/** Builds the pipeline stack in a new App whose output goes to a fresh temporary directory. */
export function buildPipeline(options: PipelineOptions): { app: App; stack: Stack; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'BenchPipelineStack', { env: { account: ACCOUNT, region: REGION } });
  const source = new codepipeline.Artifact('Source');
  const pipeline = new codepipeline.Pipeline(stack, 'Pipeline', {
    stages: [{
      stageName: 'Source',
      actions: [new cpactions.S3SourceAction({
        actionName: 'Source', bucket: new s3.Bucket(stack, 'SourceBucket', { versioned: true }), bucketKey: 'source.zip', output: source,
      })],
    }],
  });
  const deployStateMachine = options.stackEvents !== undefined
    ? new DeployStateMachine(stack, 'DeployWorkflow', { stackEvents: options.stackEvents }) : undefined;
  // What every action of this library gets, whether it deploys one stack or a unit: the timeout, the workflow, the alarms.
  const actionSettings = (n: number) => ({
    ...(options.timeout ? { timeout: options.timeout } : {}),
    ...(deployStateMachine ? { deployStateMachine } : {}),
    ...(options.rollback ? {
      rollbackAlarms: options.rollback.alarmArns.map((arn, k) => cloudwatch.Alarm.fromAlarmArn(stack, `RollbackAlarm${n}x${k}`, arn)),
      monitoringTime: options.rollback.monitoringTime,
    } : {}),
  });
  for (let first = 0; first < options.stacks; first += STACKS_PER_STAGE) {
    const actions: codepipeline.IAction[] = [];
    const last = Math.min(first + STACKS_PER_STAGE, options.stacks);
    for (let unit = first; options.design === 'sfn-deploy-unit' && unit < last; unit += STACKS_PER_UNIT) {
      const members = Array.from({ length: Math.min(STACKS_PER_UNIT, last - unit) }, (_, k) => unit + k);
      actions.push(new StepFunctionsDeployAction(stack, `Release${unit}`, {
        actionName: `Release${unit}`,
        environmentName: ENVIRONMENT,
        stacks: members.map((i) => ({ stackName: stackNameOf(i), templatePath: source.atPath(templatePathOf(i)) })),
        ...actionSettings(unit),
      }));
    }
    for (let i = first; options.design !== 'sfn-deploy-unit' && i < last; i++) {
      if (options.design === 'sfn-deploy-action') {
        actions.push(new StepFunctionsDeployAction(stack, `Deploy${i}`, {
          actionName: `Deploy${i}`,
          stackName: stackNameOf(i),
          environmentName: ENVIRONMENT,
          templatePath: source.atPath(templatePathOf(i)),
          ...actionSettings(i),
        }));
      } else {
        const stackName = `${ENVIRONMENT}-${stackNameOf(i)}`;
        const changeSetName = `${stackName}-change-set`;
        actions.push(
          new cpactions.CloudFormationCreateReplaceChangeSetAction({
            actionName: `PrepareChanges${i}`,
            stackName,
            changeSetName,
            adminPermissions: false,
            templatePath: source.atPath(templatePathOf(i)),
            runOrder: 1,
          }),
          new cpactions.CloudFormationExecuteChangeSetAction({
            actionName: `ExecuteChanges${i}`, stackName, changeSetName, runOrder: 2,
          }),
        );
      }
    }
    pipeline.addStage({ stageName: `Deploy${first / STACKS_PER_STAGE + 1}`, actions });
  }
  return { app, stack, outdir };
}

/** Synthesizes the app (assets staged, template written) and returns the stack's template. */
export function synthesize(options: PipelineOptions): { template: Record<string, any>; ms: number } {
  const started = process.hrtime.bigint();
  const { app, stack, outdir } = buildPipeline(options);
  try {
    const template = app.synth().getStackByName(stack.stackName).template as Record<string, any>;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    return { template, ms };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
