/**
 * Where a strategy may go, decided at synth: blue/green (`deployToNewStack()`) cannot go to a unit of stacks, however
 * few stacks it holds (the synth check of the configuration leaves the strategy to the construct: without this
 * refusal the mistake would surface only when the pipeline runs), and a stack name suffix the app resolves only at
 * deployment (a token) is taken as it is.
 */
import { CfnParameter } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { newPipeline, newStack, userParametersOf } from './helpers';
import { StepFunctionsDeployAction, UnsafeChangeAction } from '../../src';

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
