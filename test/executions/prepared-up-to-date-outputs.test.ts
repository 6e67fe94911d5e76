/**
 * A CDK Pipelines stack whose prepared change set holds no changes is up to date: the review's output variables
 * still carry that stack's outputs (`<stack>_<OutputKey>`), as they do for a stack of a unit the workflow deploys.
 */
import { CreateChangeSetCommand } from '@aws-sdk/client-cloudformation';
import { S, createWorld, runWorkflow, synthesizeStack } from './harness';
import { ChangeSetReviewStep } from '../../src';
import { parseUserParameters, toDeployment, validateConfig } from '../../src/shared/config';
import { outputVariables } from '../../src/trigger/report';
import { AppStage, cdkPipeline } from '../constructs/pipelines-app';

const DATA = 'Prod-Data';
const JOB = 'c0ffee00-0000-4000-8000-000000000016';
const NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set.";

test('GIVEN a prepared change set without changes of a stack with outputs WHEN reviewed THEN the output variables carry the stack\'s outputs', async () => {
  // GIVEN
  const synthesized = synthesizeStack(() => {
    const p = cdkPipeline();
    const stage = new AppStage(p.app, 'Prod', { withTable: true, topics: 'independent' });
    p.pipeline.addStage(stage, { stackSteps: [{ stack: stage.data, changeSet: [new ChangeSetReviewStep('Review', {})] }] });
    p.pipeline.buildPipeline();
    return p.stack;
  });
  const world = createWorld({ synthesized, files: {} });
  world.cfn.putStack(DATA, 'UPDATE_COMPLETE').outputs = { TableName: 'orders-table' };
  world.cfn.scripts.set(DATA, { changeSet: { failedReason: NO_CHANGES, pendingPolls: 0 } });
  await world.cfn.client.send(new CreateChangeSetCommand({ StackName: DATA, ChangeSetName: 'PipelineChange', ChangeSetType: 'UPDATE', TemplateBody: '{}' }));
  const deployment = toDeployment(validateConfig(parseUserParameters(synthesized.userParameters)), { id: JOB, startedAt: Date.now() });
  world.codepipeline.issue({ id: JOB, userParameters: synthesized.userParameters, startTime: deployment.startedAt });

  // WHEN
  const run = await runWorkflow({ deployment }, world.deps, { synthesized, stackEvents: world.events });

  // THEN
  expect(run.status).toBe('SUCCEEDED');
  expect(run.path).toContain(S.preparedStackUpToDate);
  expect(outputVariables(run.output)).toMatchObject({ Outcome: 'NO_CHANGES', [`${DATA}_Outcome`]: 'NO_CHANGES', [`${DATA}_TableName`]: 'orders-table' });
});
