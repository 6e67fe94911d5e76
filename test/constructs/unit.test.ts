/**
 * The several-stacks form of the action (`stacks`): what it synthesizes, the rights it grants for each stack, the
 * configuration it writes, and the mistakes it refuses at synth with a message that says what to change.
 */
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ACCOUNT, REGION, newPipeline, newStack } from './helpers';
import { StepFunctionsDeployAction, UnsafeChangeAction } from '../../src';
import type { StackToDeploy, StepFunctionsDeployActionProps } from '../../src';
import { parseUserParameters, validateConfig } from '../../src/shared/config';

/** A stack of the unit as these tests write it: its template's path in the pipeline's source artifact as text. */
type TestStack = Omit<StackToDeploy, 'templatePath'> & { readonly templatePath: string };

/** The stacks with their templates in `source`. */
function inArtifact(source: codepipeline.Artifact, stacks: TestStack[]): StackToDeploy[] {
  return stacks.map((s) => ({ ...s, templatePath: source.atPath(s.templatePath) }));
}

/** More properties of the action; `stacks` in the tests' form replaces the unit's. */
type MoreProps = Partial<Omit<StepFunctionsDeployActionProps, 'stacks'>> & { readonly stacks?: TestStack[] };

function unitAction(stacks: TestStack[], more: MoreProps = {}) {
  const stack = newStack();
  const { pipeline, source } = newPipeline(stack);
  const { stacks: replaced, ...rest } = more;
  const action = new StepFunctionsDeployAction(stack, 'Deploy', {
    actionName: 'Deploy', stacks: inArtifact(source, replaced ?? stacks), environmentName: 'prod', ...rest,
  });
  pipeline.addStage({ stageName: 'Deploy' }).addAction(action);
  return { stack, action, template: () => Template.fromStack(stack) };
}

const THREE: TestStack[] = [
  { stackName: 'network', templatePath: 'network.template.json' },
  { stackName: 'data', templatePath: 'data.template.json' },
  { stackName: 'app', templatePath: 'infra/app.json', parameterOutputs: { VpcId: 'network.VpcId' }, dependsOn: ['data'] },
];

function userParametersOf(template: Template): string {
  const [pipeline] = Object.values(template.findResources('AWS::CodePipeline::Pipeline')) as any[];
  const action = pipeline.Properties.Stages.flatMap((s: any) => s.Actions).find((a: any) => a.ActionTypeId.Provider === 'Lambda');
  const value = action.Configuration.UserParameters;
  // Role ARNs are tokens: read them as the placeholder CloudFormation will fill in.
  return typeof value === 'string' ? value
    : value['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : `arn:aws:iam::${ACCOUNT}:role/token`)).join('');
}

describe('a unit of stacks', () => {
  test('GIVEN three stacks WHEN synthesized THEN the configuration lists them (by name only when CDK\'s template file) and reads back as a unit', () => {
    const { template } = unitAction(THREE);
    const config = validateConfig(parseUserParameters(userParametersOf(template())));
    expect(config.stacks).toEqual([
      'network', 'data',
      { stackName: 'app', templatePath: 'infra/app.json', parameterOutputs: { VpcId: 'network.VpcId' }, dependsOn: ['data'] },
    ]);
    expect(config).not.toHaveProperty('templatePath', 'infra/app.json');
  });

  test('GIVEN three stacks WHEN synthesized THEN the task function may deploy exactly those three stacks, through their roles', () => {
    const special = (stack: any) => iam.Role.fromRoleArn(stack, 'DataRole', `arn:aws:iam::${ACCOUNT}:role/data-deployer`);
    const stack = newStack();
    const { pipeline, source } = newPipeline(stack);
    const stacks = THREE.map((s) => (s.stackName === 'data' ? { ...s, deploymentRole: special(stack) } : s));
    pipeline.addStage({ stageName: 'Deploy' }).addAction(new StepFunctionsDeployAction(stack, 'Deploy', {
      actionName: 'Deploy', stacks: inArtifact(source, stacks), environmentName: 'prod',
    }));
    const json = JSON.stringify(Template.fromStack(stack).toJSON());
    for (const name of ['prod-network', 'prod-data', 'prod-app']) {
      expect(json).toContain(`:cloudformation:${REGION}:${ACCOUNT}:stack/${name}/*`);
    }
    expect(json).toContain('arn:aws:iam::111111111111:role/data-deployer');
    // One deployment role is created, shared by the stacks that do not bring their own.
    expect(Object.values(Template.fromStack(stack).findResources('AWS::IAM::Role')).filter((r: any) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('cloudformation.amazonaws.com'))).toHaveLength(1);
  });

  test('GIVEN units of 5 stacks in two actions WHEN synthesized THEN there is still one state machine and three functions', () => {
    const stack = newStack();
    const { pipeline, source } = newPipeline(stack);
    const stage = pipeline.addStage({ stageName: 'Deploy' });
    for (const unit of [0, 1]) {
      const stacks = Array.from({ length: 5 }, (_, i) => ({ stackName: `u${unit}-s${i}`, templatePath: `u${unit}-s${i}.template.json` }));
      stage.addAction(new StepFunctionsDeployAction(stack, `Unit${unit}`, { actionName: `Unit${unit}`, stacks: inArtifact(source, stacks), runOrder: unit + 1 }));
    }
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.resourceCountIs('AWS::Lambda::Function', 4);
  });

  test('GIVEN 20 stacks with CDK\'s template file names WHEN synthesized THEN their configuration fits UserParameters; 20 with paths of their own do not, and the error says so', () => {
    const cdkNamed = Array.from({ length: 20 }, (_, i) => ({ stackName: `service-${i}`, templatePath: `service-${i}.template.json` }));
    const { template } = unitAction(cdkNamed);
    expect(userParametersOf(template()).length).toBeLessThanOrEqual(1000);
    const ownPaths = cdkNamed.map((s) => ({ ...s, templatePath: `infra/${s.stackName}/template.yaml` }));
    expect(() => unitAction(ownPaths)).toThrow(/the action's configuration needs about \d+ characters, over CodePipeline's 1000 for UserParameters; give the stacks CDK's template file names/);
  });

  test('GIVEN a unit WHEN a stack\'s variable is asked for THEN it is the stack\'s full name and the variable', () => {
    const { action } = unitAction(THREE, { variablesNamespace: 'Release' });
    expect(action.stackVariable('network', 'Outcome')).toMatch(/^#\{.+\.prod-network_Outcome\}$/);
    expect(action.stackVariable('app', 'Endpoint')).toMatch(/^#\{.+\.prod-app_Endpoint\}$/);
    expect(() => action.stackVariable('web', 'Outcome')).toThrow('StepFunctionsDeployAction.stackVariable: web is not a stack of this action');
    // Exactly the stack named: app is not my-app, listed first.
    const { action: other } = unitAction([{ stackName: 'my-app', templatePath: 'a.json' }, { stackName: 'app', templatePath: 'b.json' }]);
    expect(other.stackVariable('app', 'Outcome')).toMatch(/\.prod-app_Outcome\}$/);
    expect(() => other.stackVariable('pp', 'Outcome')).toThrow('pp is not a stack of this action');
    // Names as in stacks: prod-app is the stack named prod-app, not app's full name.
    const { action: prefixed } = unitAction([{ stackName: 'app', templatePath: 'a.json' }, { stackName: 'prod-app', templatePath: 'b.json' }]);
    expect(prefixed.stackVariable('prod-app', 'Outcome')).toMatch(/\.prod-prod-app_Outcome\}$/);
    expect(prefixed.stackVariable('app', 'Outcome')).toMatch(/\.prod-app_Outcome\}$/);
    expect(action.stackNames).toEqual(['prod-network', 'prod-data', 'prod-app']);
  });
});

describe('a unit refuses at synth what it cannot keep', () => {
  const topic = () => sns.Topic.fromTopicArn(newStack('Topics'), 'T', `arn:aws:sns:${REGION}:${ACCOUNT}:approvals`);
  test.each<[string, MoreProps, string]>([
    ['stackName with stacks', { stackName: 'x' }, 'stacks replaces stackName: give each stack its own'],
    ['tags with stacks', { tags: { a: 'b' } }, 'stacks replaces tags: give each stack its own'],
    ['no stack', { stacks: [] }, 'stacks must be a list of 1 to 50 stacks, not 0'],
    ['a stack twice', { stacks: [THREE[0], THREE[0]] }, 'stacks[1]: stack network is in the unit twice'],
    ['a later dependency', { stacks: [{ ...THREE[0], dependsOn: ['data'] }, THREE[1]] }, 'stacks[0]: dependsOn names "data", which is not an earlier stack'],
    ['an output of a later stack', { stacks: [{ ...THREE[0], parameterOutputs: { P: 'data.Out' } }, THREE[1]] }, 'stacks[0]: parameterOutputs.P names "data"'],
    ['a bad path', { stacks: [{ stackName: 'a', templatePath: '../a.json' }] }, 'stacks[0]: templatePath must not contain'],
    ['recreateRolledBackStack', { recreateRolledBackStack: true }, 'recreateRolledBackStack is not available with stacks'],
    ['blue/green', { onUnsafeChange: UnsafeChangeAction.deployToNewStack() }, 'UnsafeChangeAction.deployToNewStack() is not available with stacks: a unit is refused or approved as a whole; use UnsafeChangeAction.fail() or requireApproval()'],
  ])('%s', (_what, more, message) => {
    expect(() => unitAction(THREE, more)).toThrow(message);
  });

  test('neither stackName nor stacks is refused, and the error says which properties to give', () => {
    const stack = newStack();
    const { source } = newPipeline(stack);
    expect(() => new StepFunctionsDeployAction(stack, 'Deploy', { actionName: 'Deploy' }))
      .toThrow(/give stackName and templatePath: one stack takes stackName and templatePath \(an ArtifactPath: .*\), as CloudFormationCreateUpdateStackAction does; several stacks reviewed as one unit take stacks instead/);
    expect(() => new StepFunctionsDeployAction(stack, 'One', { actionName: 'One', stackName: 'app' })).toThrow(/give templatePath: /);
    expect(() => new StepFunctionsDeployAction(stack, 'Two', { actionName: 'Two', templatePath: source.atPath('app.json') })).toThrow(/give stackName: /);
  });

  test('ArtifactPaths in two artifacts are refused: the workflow reads one input artifact', () => {
    const stack = newStack();
    const { source } = newPipeline(stack);
    const build = new codepipeline.Artifact('Build');
    expect(() => new StepFunctionsDeployAction(stack, 'Deploy', {
      actionName: 'Deploy', stacks: [{ stackName: 'a', templatePath: source.atPath('a.json') }, { stackName: 'b', templatePath: build.atPath('b.json') }],
    })).toThrow('every ArtifactPath of the action must be in one artifact, its input: stacks[0].templatePath is in PipelineSource, stacks[1].templatePath in Build');
  });

  test('an approval needs a policy that can ask, for a unit as for one stack', () => {
    const onUnsafeChange = UnsafeChangeAction.requireApproval({ notificationTopic: topic(), timeout: Duration.hours(1) });
    expect(() => unitAction(THREE, { onUnsafeChange }))
      .toThrow('onUnsafeChange requireApproval() needs a policy that can ask for approval');
  });
});
