/**
 * Where a strategy may go, decided at synth: blue/green (`deployToNewStack()`) cannot go to a unit of stacks, however
 * few stacks it holds (the synth check of the configuration leaves the strategy to the construct: without this
 * refusal the mistake would surface only when the pipeline runs), and a stack name suffix the app resolves only at
 * deployment (a token) is taken as it is. A review of prepared change sets is a unit as well: what a unit refuses, it
 * refuses at synth, as the run-time check does.
 */
import { CfnParameter } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { newPipeline, newStack, userParametersOf } from './helpers';
import { AppStage, cdkPipeline } from './pipelines-app';
import { ChangeSetReviewStep, StepFunctionsDeployAction, UnsafeChangeAction } from '../../src';
import { validateConfig } from '../../src/shared/config';
import { STRATEGIES } from '../../src/shared/policy-document';

test('GIVEN a unit of one stack and deployToNewStack() THEN the action is refused as a unit is, saying why and what to use', () => {
  const stack = newStack();
  const { pipeline, source } = newPipeline(stack);
  const build = () => pipeline.addStage({ stageName: 'Deploy' }).addAction(new StepFunctionsDeployAction(stack, 'Deploy', {
    actionName: 'Deploy',
    stacks: [{ stackName: 'app', templatePath: source.atPath('app.json') }],
    onUnsafeChange: UnsafeChangeAction.deployToNewStack(),
  }));
  expect(build).toThrow('StepFunctionsDeployAction at TestStack/Deploy: UnsafeChangeAction.deployToNewStack() is not available with stacks: ' +
    'a unit is refused or approved as a whole; use UnsafeChangeAction.fail() or requireApproval()');
});

test('GIVEN a stack name suffix that is a token (a CloudFormation parameter) THEN deployToNewStack() takes it and the action writes the parameter', () => {
  const stack = newStack();
  const { pipeline, source } = newPipeline(stack);
  const suffix = new CfnParameter(stack, 'Suffix', { default: 'green' }).valueAsString;
  pipeline.addStage({ stageName: 'Deploy' }).addAction(new StepFunctionsDeployAction(stack, 'Deploy', {
    actionName: 'Deploy',
    stackName: 'app',
    templatePath: source.atPath('app.json'),
    onUnsafeChange: UnsafeChangeAction.deployToNewStack({ stackNameSuffix: suffix }),
  }));
  const { config, tokens } = userParametersOf(Template.fromStack(stack), 'Deploy');
  expect(config.onUnsafe.type).toBe('deployToNewStack');
  expect(tokens[config.onUnsafe.suffix]).toEqual({ Ref: 'Suffix' });
});

describe('a review of the change sets a pipeline prepared is a unit too: a strategy refused for units is refused there at synth', () => {
  // No strategy today is refused for units but allowed for prepared change sets; this one, for the test only, is.
  const fail = STRATEGIES.fail as { refused?: unknown };
  beforeEach(() => {
    fail.refused = { units: { config: 'cannot go to a unit (for the test)', why: 'a unit cannot take it (for the test)' } };
  });
  afterEach(() => {
    delete fail.refused;
  });

  test('GIVEN such a strategy WHEN the run-time check reads a review\'s configuration THEN it is refused', () => {
    expect(() => validateConfig({ v: 1, prepared: 'PipelineChange', stacks: ['Prod-Data'], onUnsafe: { type: 'fail' } }))
      .toThrow('"stacks" cannot go to a unit (for the test) (fail)');
  });

  test('GIVEN such a strategy WHEN a ChangeSetReviewStep is given it THEN synth refuses it, saying why and what to use', () => {
    const p = cdkPipeline();
    const stage = new AppStage(p.app, 'Prod', { withTable: true });
    const review = new ChangeSetReviewStep('Review', { onUnsafeChange: UnsafeChangeAction.fail() });
    expect(() => {
      p.pipeline.addStage(stage, { stackSteps: [{ stack: stage.data, changeSet: [review] }] });
      p.template();
    }).toThrow(/ReviewChangeSetReview: UnsafeChangeAction.fail\(\) is not available with stacks: a unit cannot take it \(for the test\); use UnsafeChangeAction.requireApproval\(\)$/);
  });
});
