/**
 * How a stack's status event reaches the function that wakes its deployment: EventBridge retries a delivery that
 * fails, and Lambda invokes the function again when it fails (an event the stack does not show yet), each for at
 * most an hour. Without these retries an early event is lost and the deployment waits for its safety poll.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ACCOUNT, REGION, newPipeline } from './helpers';
import { DeployStateMachine, StepFunctionsDeployAction } from '../../src';

function withEvents(): Template {
  const app = new App();
  const stack = new Stack(app, 'Events', { env: { account: ACCOUNT, region: REGION } });
  const { pipeline, source } = newPipeline(stack);
  const workflow = new DeployStateMachine(stack, 'Workflow', { stackEvents: true });
  pipeline.addStage({
    stageName: 'Deploy',
    actions: [new StepFunctionsDeployAction(stack, 'Deploy', {
      actionName: 'Deploy', stackName: 'app', templatePath: source.atPath('app.json'), deployStateMachine: workflow,
    })],
  });
  return Template.fromStack(stack);
}

/** The logical id of the function that wakes deployments on stack events. */
function stackEventFunctionId(template: Template): string {
  const ids = Object.entries(template.findResources('AWS::Lambda::Function'))
    .filter(([, r]) => String((r as any).Properties.Description ?? '').includes('wakes a deployment waiting for its stack operation'))
    .map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0];
}

test('GIVEN stackEvents THEN the rule retries delivering a status event to the function 4 times, for at most an hour', () => {
  const template = withEvents();
  const id = stackEventFunctionId(template);
  const [rule] = Object.values(template.findResources('AWS::Events::Rule')) as any[];
  const targets = rule.Properties.Targets.filter((t: any) => t.Arn?.['Fn::GetAtt']?.[0] === id);
  expect(targets).toHaveLength(1);
  expect(targets[0].RetryPolicy).toEqual({ MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 3600 });
});

test('GIVEN stackEvents THEN Lambda invokes the function again twice when it fails on an event, for at most an hour', () => {
  const template = withEvents();
  const id = stackEventFunctionId(template);
  const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig')) as any[];
  const own = configs.filter((c) => c.Properties.FunctionName?.Ref === id);
  expect(own).toHaveLength(1);
  expect(own[0].Properties).toMatchObject({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 });
});
