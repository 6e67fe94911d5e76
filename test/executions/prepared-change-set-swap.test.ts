/**
 * A ChangeSetReviewStep that asks no one: the pipeline's change sets are judged, then allowed. Someone who may create
 * change sets replaces one under its name after it was inspected and before the round is allowed: the review fails, and
 * nothing is allowed that was not judged.
 */
import { CreateChangeSetCommand, DescribeChangeSetCommand } from '@aws-sdk/client-cloudformation';
import type { Change } from '@aws-sdk/client-cloudformation';
import { S, causeMessage, createWorld, runWorkflow, synthesizeStack } from './harness';
import type { SynthesizedWorkflow, World } from './harness';
import { ChangeSetReviewStep } from '../../src';
import { parseUserParameters, toDeployment, validateConfig } from '../../src/shared/config';
import { AppStage, cdkPipeline } from '../constructs/pipelines-app';
import { resourceChange } from '../fakes';

const DATA = 'Prod-Data';
const TOPICS = 'Prod-Topics';
const JOB = 'c0ffee00-0000-4000-8000-000000000033';
const CHANGE_SET = 'PipelineChange';
const SAFE: Change[] = [resourceChange('Add', 'Alarm', 'AWS::CloudWatch::Alarm')];
const REMOVES_TABLE: Change[] = [resourceChange('Remove', 'OrdersD5E6F7A8', 'AWS::DynamoDB::Table')];

function synthesizeStageReview(): SynthesizedWorkflow {
  return synthesizeStack(() => {
    const p = cdkPipeline();
    const stage = new AppStage(p.app, 'Prod', { withTable: true, topics: 'independent' });
    p.pipeline.addStage(stage, { stackSteps: ChangeSetReviewStep.forStage(stage) });
    p.pipeline.buildPipeline();
    return p.stack;
  });
}

async function prepare(world: World, stackName: string, changes: Change[]): Promise<void> {
  world.cfn.putStack(stackName, 'UPDATE_COMPLETE');
  world.cfn.scripts.set(stackName, { changeSet: { changes, pendingPolls: 0 } });
  await world.cfn.client.send(new CreateChangeSetCommand({ StackName: stackName, ChangeSetName: CHANGE_SET, ChangeSetType: 'UPDATE', TemplateBody: '{"Resources":{}}' }));
  await world.cfn.client.send(new DescribeChangeSetCommand({ StackName: stackName, ChangeSetName: CHANGE_SET }));
}

test('GIVEN both prepared change sets judged safe WHEN one is replaced under its name after inspection, before the round is judged and allowed THEN the review fails ' +
  'with ChangeSetChanged: the substitute is not allowed', async () => {
  // GIVEN
  const synthesized = synthesizeStageReview();
  const world = createWorld({ synthesized, files: {} });
  await prepare(world, DATA, SAFE);
  await prepare(world, TOPICS, SAFE);
  const deployment = toDeployment(validateConfig(parseUserParameters(synthesized.userParameters)), { id: JOB, startedAt: Date.now() });
  world.codepipeline.issue({ id: JOB, userParameters: synthesized.userParameters, startTime: deployment.startedAt });
  let substitute: { executed: boolean } | undefined;

  // WHEN
  const run = await runWorkflow({ deployment }, world.deps, {
    synthesized,
    stackEvents: world.events,
    duringCall: async (state) => {
      // After every change set was inspected, before the judgement (which allows a safe round's) runs.
      if (state === S.judgeUnit && !substitute) substitute = world.cfn.putChangeSet(DATA, CHANGE_SET, REMOVES_TABLE);
    },
  });

  // THEN
  expect(substitute).toBeDefined();
  expect(run.status).toBe('FAILED');
  expect(run.error).toBe('ChangeSetChanged');
  expect(causeMessage(run.cause)).toContain(`${CHANGE_SET} of stack ${DATA}`);
  expect(substitute!.executed).toBe(false);
});
