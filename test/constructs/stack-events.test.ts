/**
 * DeployStateMachine `stackEvents`: the wait table, the rule on the deployed stacks' status events, the handler's
 * rights (the wait records and SendTaskSuccess on this state machine, nothing else), and the configuration that
 * tells each deployment to wait on events.
 */
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { ACCOUNT, REGION, definitionOf, newPipeline, userParametersOf } from './helpers';
import { allStates } from '../../demo/lib/definition';
import { DeployStateMachine, StepFunctionsDeployAction, UnsafeChangeAction } from '../../src';
import { EVENT_WAIT_STATES } from '../../src/shared/state-names';

function withEvents(stackEvents = true) {
  const app = new App();
  const stack = new Stack(app, 'Events', { env: { account: ACCOUNT, region: REGION } });
  const { pipeline, source } = newPipeline(stack);
  const workflow = new DeployStateMachine(stack, 'Workflow', { stackEvents });
  pipeline.addStage({
    stageName: 'Deploy',
    actions: [
      new StepFunctionsDeployAction(stack, 'Deploy', {
        actionName: 'Deploy', stackName: 'app', environmentName: 'prod', templatePath: source.atPath('app.json'), deployStateMachine: workflow,
      }),
      new StepFunctionsDeployAction(stack, 'Api', {
        actionName: 'Api', stackName: 'api', templatePath: source.atPath('api.json'), deployStateMachine: workflow, onUnsafeChange: UnsafeChangeAction.deployToNewStack(),
      }),
    ],
  });
  return { app, stack, workflow, template: Template.fromStack(stack) };
}

test('GIVEN stackEvents WHEN synthesized THEN a table of waits with an expiry, and a rule on exactly the deployed stacks\' status events', () => {
  const { template } = withEvents();
  template.hasResourceProperties('AWS::DynamoDB::Table', {
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST', TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
  });
  const [rule] = Object.values(template.findResources('AWS::Events::Rule')) as any[];
  const prefixes = JSON.stringify(rule.Properties.EventPattern.detail['stack-id']);
  expect(rule.Properties.EventPattern).toMatchObject({ 'source': ['aws.cloudformation'], 'detail-type': ['CloudFormation Stack Status Change'] });
  expect(prefixes).toContain(`:cloudformation:${REGION}:${ACCOUNT}:stack/prod-app/`);
  expect(prefixes).toContain(`:cloudformation:${REGION}:${ACCOUNT}:stack/api/`);
  // The blue/green stacks of the api action: api-g<8 characters>.
  expect(prefixes).toContain(`:cloudformation:${REGION}:${ACCOUNT}:stack/api-g"`);
  // Every state that waits on events is in the definition.
  const names = allStates(definitionOf(template).definition).map(([name]) => name);
  expect(EVENT_WAIT_STATES.filter((name) => !names.includes(name))).toEqual([]);
});

test('GIVEN stackEvents WHEN synthesized THEN the handler may read the deployed stacks, update the wait records and send task success to this state machine, and nothing else', () => {
  const { stack, workflow, template } = withEvents();
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as any[];
  const handlerRole = stack.resolve((workflow.node.findChild('StackEventFunctionRole') as any).roleName);
  const own = policies.filter((p) => JSON.stringify(p.Properties.Roles).includes(JSON.stringify(handlerRole)));
  const actions = own.flatMap((p) => p.Properties.PolicyDocument.Statement).flatMap((s: any) => [s.Action].flat()).sort();
  expect(actions).toEqual([
    'cloudformation:DescribeStacks', 'dynamodb:UpdateItem', 'logs:CreateLogStream', 'logs:PutLogEvents', 'states:SendTaskSuccess',
    'xray:PutTelemetryRecords', 'xray:PutTraceSegments',
  ].sort());
  const describe = own.flatMap((p) => p.Properties.PolicyDocument.Statement).find((s: any) => s.Action === 'cloudformation:DescribeStacks');
  expect(JSON.stringify(describe.Resource)).toMatch(/:stack\/[^*"]+\/\*/);
  const sendTask = own.flatMap((p) => p.Properties.PolicyDocument.Statement).find((s: any) => s.Action === 'states:SendTaskSuccess');
  expect(sendTask.Resource).toEqual({ Ref: stack.getLogicalId(workflow.stateMachine.node.defaultChild as any) });
  // The state machine writes the wait records (PutItem with its task token).
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'dynamodb:PutItem', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('StackWaits'), 'Arn'] } })]) },
  });
  expect(userParametersOf(template, 'Deploy').config).toMatchObject({ stackEvents: true });
});

test('GIVEN stackEvents false WHEN synthesized THEN no table, rule or handler: every wait polls', () => {
  const { template } = withEvents(false);
  template.resourceCountIs('AWS::DynamoDB::Table', 0);
  template.resourceCountIs('AWS::Events::Rule', 0);
  template.resourceCountIs('AWS::Lambda::Function', 3);
  expect(userParametersOf(template, 'Deploy').config).not.toHaveProperty('stackEvents');
});

test('GIVEN stackEvents WHEN the AwsSolutions and Serverless packs run THEN the new resources leave no finding unsuppressed', () => {
  const { app, stack } = withEvents();
  Aspects.of(app).add(new AwsSolutionsChecks());
  Aspects.of(app).add(new ServerlessChecks());
  app.synth();
  const errors = [...Annotations.fromStack(stack).findError('*', Match.anyValue()), ...Annotations.fromStack(stack).findWarning('*', Match.anyValue())]
    .map((a) => `${a.id}: ${String(a.entry.data).split(':')[0]}`)
    .filter((f) => f.includes('/Workflow/'));
  expect(errors).toEqual([]);
});
