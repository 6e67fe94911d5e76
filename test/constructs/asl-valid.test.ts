/**
 * Every state machine the tests' configurations synthesize is valid Amazon States Language, as asl-validator (a
 * maintained validator of the language: its JSON schema, transitions, terminal states, paths and ARNs) reads it:
 * the DefinitionString with its Ref, Fn::GetAtt and Fn::Join resolved to placeholder ARNs of one account and region.
 */
import type { Stack, Stage } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { basicProps, newPipeline, newStack } from './helpers';
import { AppStage, cdkPipeline } from './pipelines-app';
import { resolveIntrinsics } from '../../demo/lib/intrinsics';
import type { Resources } from '../../demo/lib/intrinsics';
import {
  ChangeSetReviewStep, DeployStateMachine, RuleVerdict, SafetyPolicy, StepFunctionsDeployAction, UnsafeChangeAction,
} from '../../src';
import type { StepFunctionsDeployActionProps } from '../../src';

interface AslValidation {
  readonly isValid: boolean;
  readonly errors: unknown[];
  readonly errorsText: (separator?: string) => string;
}
// asl-validator ships no type declarations: its one export, a function, as its README describes it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }) => AslValidation;

/** Every state machine definition of every stack of the stack's app, as plain JSON, by construct path. */
function definitionsOf(stack: Stack): Record<string, unknown> {
  const assembly = (stack.node.root as Stage).synth();
  const definitions: Record<string, unknown> = {};
  for (const artifact of [assembly, ...assembly.nestedAssemblies.map((n) => n.nestedAssembly)].flatMap((a) => a.stacks)) {
    const resources = artifact.template.Resources as Resources;
    const env = { account: artifact.environment.account.replace('unknown-account', '123456789012'), region: artifact.environment.region.replace('unknown-region', 'us-east-1') };
    for (const [id, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
      const properties = resource.Properties as { DefinitionString: unknown };
      definitions[`${artifact.stackName}/${id}`] = JSON.parse(resolveIntrinsics(properties.DefinitionString, resources, env));
    }
  }
  return definitions;
}

/** A stack with a pipeline whose Deploy stage holds one action with these props. */
function pipelineWith(props: (stack: Stack, source: codepipeline.Artifact) => Partial<StepFunctionsDeployActionProps>): Stack {
  const stack = newStack();
  const { pipeline, source } = newPipeline(stack);
  const action = new StepFunctionsDeployAction(stack, 'Deploy', basicProps(source, props(stack, source)));
  pipeline.addStage({ stageName: 'Deploy', actions: [action] });
  return stack;
}

/** The configurations the construct, execution and security tests synthesize. */
const CONFIGURATIONS: [string, () => Stack][] = [
  ['one stack, the default workflow (waits woken by stack events)', () => pipelineWith(() => ({}))],
  ['one stack, a workflow without stack events (polling waits)', () => pipelineWith((stack) => ({
    deployStateMachine: new DeployStateMachine(stack, 'Workflow', { stackEvents: false }),
  }))],
  ['several stacks as one unit', () => pipelineWith((_stack, source) => ({
    stackName: undefined,
    templatePath: undefined,
    environmentName: 'prod',
    stacks: [
      { stackName: 'network', templatePath: source.atPath('network.template.json') },
      { stackName: 'data', templatePath: source.atPath('data.template.json'), dependsOn: ['network'] },
      { stackName: 'app', templatePath: source.atPath('app.template.json') },
    ],
  }))],
  ['blue/green to a new stack', () => pipelineWith(() => ({ onUnsafeChange: UnsafeChangeAction.deployToNewStack({ stackNameSuffix: 'green' }) }))],
  ['approval by a person', () => pipelineWith((stack) => ({
    safetyPolicy: SafetyPolicy.denyDestructiveChanges({ destructiveChangeVerdict: RuleVerdict.REQUIRE_APPROVAL }),
    onUnsafeChange: UnsafeChangeAction.requireApproval({ notificationTopic: new sns.Topic(stack, 'Approvals') }),
  }))],
  ['a policy function', () => pipelineWith((stack) => ({
    safetyPolicy: SafetyPolicy.fromFunction(lambda.Function.fromFunctionArn(stack, 'Policy', 'arn:aws:lambda:eu-west-1:111111111111:function:policy')),
  }))],
  ['nested stacks, a report artifact, rolled-back stacks recreated', () => pipelineWith(() => ({
    includeNestedStacks: true, reportArtifact: new codepipeline.Artifact('Report'), recreateRolledBackStack: true,
  }))],
  ['a stack in another account', () => pipelineWith((stack) => ({
    targetAccountRole: iam.Role.fromRoleArn(stack, 'TargetRole', 'arn:aws:iam::222222222222:role/pipeline-deployer'),
    deploymentRole: iam.Role.fromRoleArn(stack, 'TargetCfnRole', 'arn:aws:iam::222222222222:role/cloudformation-exec'),
  }))],
  ['a CDK Pipelines stage reviewed by ChangeSetReviewStep', () => {
    const p = cdkPipeline();
    const stage = new AppStage(p.app, 'Prod', { withTable: true, topics: 'independent' });
    p.pipeline.addStage(stage, { stackSteps: ChangeSetReviewStep.forStage(stage) });
    p.pipeline.buildPipeline();
    return p.stack;
  }],
];

describe('asl-validator on every synthesized state machine definition', () => {
  test.each(CONFIGURATIONS)('GIVEN %s WHEN synthesized THEN every state machine definition is valid Amazon States Language', (_name, build) => {
    const definitions = definitionsOf(build());
    expect(Object.keys(definitions).length).toBeGreaterThan(0);
    for (const [where, definition] of Object.entries(definitions)) {
      const { isValid, errorsText } = aslValidator(definition);
      expect({ where, errors: isValid ? '' : errorsText('\n') }).toEqual({ where, errors: '' });
    }
  });

  test('GIVEN a definition broken as a wrong edit of the graph would break it WHEN validated THEN asl-validator reports each fault', () => {
    const [definition] = Object.values(definitionsOf(pipelineWith(() => ({})))) as { StartAt: string; States: Record<string, any> }[];
    expect(aslValidator(definition).isValid).toBe(true);

    // A transition to a state that does not exist.
    const dangling = structuredClone(definition);
    dangling.States[dangling.StartAt].Next = 'No Such State';
    const danglingResult = aslValidator(dangling);
    expect(danglingResult.isValid).toBe(false);
    expect(danglingResult.errorsText()).toMatch(/No Such State/);

    // A state of a type the language does not have.
    const unknownType = structuredClone(definition);
    unknownType.States[unknownType.StartAt].Type = 'Deploy';
    expect(aslValidator(unknownType).isValid).toBe(false);

    // A path that is not a JSONPath.
    const badPath = structuredClone(definition);
    badPath.States[badPath.StartAt].ResultPath = 'result';
    expect(aslValidator(badPath).isValid).toBe(false);
  });
});
