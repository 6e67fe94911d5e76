/**
 * The action on AWS: three pipelines (one deploy workflow) with an S3 source, each driven by assertions.
 *
 * - Single: creation, a safe update, a refused removal (the table is still there afterwards) and a run without
 *   changes, one after the other on one stack.
 * - Approval: a removal under `requireApproval` with a one-minute timeout that nobody answers: the action fails
 *   with ApprovalTimedOut and the table is still there.
 * - Unit: two stacks deployed as one unit (`stacks`).
 *
 * Deploy, assert and destroy with `npx projen integ:deploy` (docs/contributing.md); CI only checks the snapshot.
 */
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as cpactions from 'aws-cdk-lib/aws-codepipeline-actions';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Chain, STACK_PREFIX, TEMPLATES, bucket, destroyedWithTheTest, sourceZip } from './fixtures';
import type { ActionResult } from './fixtures';
import { RuleVerdict, SafetyPolicy, StepFunctionsDeployAction, UnsafeChangeAction } from '../../src';
import type { StepFunctionsDeployActionProps } from '../../src';

const app = new App();
const stack = new Stack(app, 'SfnDeployIntegActions');

destroyedWithTheTest(stack);
const sourceBucket = bucket(stack, 'SourceBucket', true);

/** A pipeline (V2: billed by the action minute) whose S3 source is `<name>.zip`, started by the assertions only. */
function pipelineWith(name: string, props: (source: codepipeline.Artifact) => Omit<StepFunctionsDeployActionProps, 'actionName'>) {
  const source = new codepipeline.Artifact(`${name}Source`);
  const pipeline = new codepipeline.Pipeline(stack, `${name}Pipeline`, {
    pipelineType: codepipeline.PipelineType.V2,
    artifactBucket: bucket(stack, `${name}Artifacts`),
    stages: [{
      stageName: 'Source',
      actions: [new cpactions.S3SourceAction({
        actionName: 'Source', bucket: sourceBucket, bucketKey: `${name}.zip`, output: source, trigger: cpactions.S3Trigger.NONE,
      })],
    }],
  });
  // The test's stacks hold a table and a parameter: the deployment role may do anything, as in a sandbox account.
  const action = new StepFunctionsDeployAction(stack, `${name}Deploy`, { actionName: 'Deploy', adminPermissions: true, ...props(source) });
  pipeline.addStage({ stageName: 'Deploy', actions: [action] });
  return { pipeline, sourceBucket, sourceKey: `${name}.zip` };
}

const single = pipelineWith('Single', (source) => ({
  stackName: `${STACK_PREFIX}-single`,
  templatePath: source.atPath('template.json'),
}));

const approvalTopic = new sns.Topic(stack, 'ApprovalTopic');
const approval = pipelineWith('Approval', (source) => ({
  stackName: `${STACK_PREFIX}-approval`,
  templatePath: source.atPath('template.json'),
  safetyPolicy: SafetyPolicy.denyDestructiveChanges({ destructiveChangeVerdict: RuleVerdict.REQUIRE_APPROVAL }),
  onUnsafeChange: UnsafeChangeAction.requireApproval({ notificationTopic: approvalTopic, timeout: Duration.minutes(1) }),
}));

const unit = pipelineWith('Unit', (source) => ({
  stacks: [
    { stackName: `${STACK_PREFIX}-unit-data`, templatePath: source.atPath('data.json') },
    { stackName: `${STACK_PREFIX}-unit-app`, templatePath: source.atPath('app.json') },
  ],
}));

const zips = {
  table: sourceZip(stack, 'TableSource', { 'template.json': TEMPLATES.table }),
  tableAndParameter: sourceZip(stack, 'TableAndParameterSource', { 'template.json': TEMPLATES.tableAndParameter }),
  parameterOnly: sourceZip(stack, 'ParameterOnlySource', { 'template.json': TEMPLATES.parameterOnly }),
  unit: sourceZip(stack, 'UnitSource', { 'data.json': TEMPLATES.table, 'app.json': TEMPLATES.parameterOnly }),
};

const integ = new IntegTest(app, 'DeployActionTest', {
  testCases: [stack],
  // The snapshot's asset hashes are compared too: the handler bundles and the source zips are the same on every machine.
  diffAssets: true,
  // The snapshot was never deployed: no deployment of it before the current version.
  stackUpdateWorkflow: false,
});

/** The assertion chain of one pipeline: its runs, one after the other, and the checks between them. */
function runsOf(target: ReturnType<typeof pipelineWith>) {
  const chain = new Chain(integ);
  const run = (name: string, source: s3assets.Asset, expect: ActionResult) =>
    chain.runPipeline({ ...target, run: name, source, actionName: '^Deploy$', expect });
  return { chain, run };
}

// Single stack: create, safe update, refused removal, no change; then the stack is deleted.
const singleStack = `${STACK_PREFIX}-single`;
const singleRuns = runsOf(single);
// The job confirmation on AWS: the workflow's first state confirms the pipeline job with CodePipeline's GetJobDetails
// and ListActionExecutions (the action's execution id, its pipeline execution, its input artifact) before it deploys
// anything, and fails closed when they do not match. The action's execution ends Succeeded only when that confirmation
// held on AWS, so this first assertion checks it.
singleRuns.run('single-create', zips.table, { status: 'Succeeded', summary: `Created stack ${singleStack}` });
singleRuns.run('single-safe-update', zips.tableAndParameter, { status: 'Succeeded', summary: `Updated stack ${singleStack}` });
singleRuns.run('single-refused-removal', zips.parameterOnly, { status: 'Failed', message: 'UnsafeChangeSet' });
singleRuns.chain.tableStillExists(singleStack);
singleRuns.run('single-no-change', zips.tableAndParameter, { status: 'Succeeded', summary: `Stack ${singleStack} is up to date` });
singleRuns.chain.deleteStacks([singleStack]);

// Approval: nobody answers within the minute; the change set is deleted, the table stays.
const approvalStack = `${STACK_PREFIX}-approval`;
const approvalRuns = runsOf(approval);
approvalRuns.run('approval-create', zips.table, { status: 'Succeeded', summary: `Created stack ${approvalStack}` });
approvalRuns.run('approval-timeout', zips.parameterOnly, { status: 'Failed', message: 'ApprovalTimedOut' });
approvalRuns.chain.tableStillExists(approvalStack);
approvalRuns.chain.deleteStacks([approvalStack]);

// Several stacks as one unit.
const unitRuns = runsOf(unit);
unitRuns.run('unit-create', zips.unit, { status: 'Succeeded', summary: 'Deployed 2 stacks as one unit' });
unitRuns.chain.stackExists(`${STACK_PREFIX}-unit-data`);
unitRuns.chain.stackExists(`${STACK_PREFIX}-unit-app`);
unitRuns.chain.deleteStacks([`${STACK_PREFIX}-unit-app`, `${STACK_PREFIX}-unit-data`]);

app.synth();
