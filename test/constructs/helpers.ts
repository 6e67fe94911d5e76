/**
 * Shared fixtures of the construct tests: a stack with a pipeline whose source is an S3 object, and
 * readers that turn the synthesized template's intrinsic functions (Fn::Join around tokens) back into
 * the JSON the services see.
 */
import { App, Stack } from 'aws-cdk-lib';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as cpactions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { StepFunctionsDeployAction } from '../../src';
import type { StepFunctionsDeployActionProps } from '../../src';

export const ACCOUNT = '111111111111';
export const REGION = 'eu-west-1';

/** A stack with a concrete account and region, so ARNs read as text. */
export function newStack(id = 'TestStack'): Stack {
  return new Stack(new App(), id, { env: { account: ACCOUNT, region: REGION } });
}

export interface TestPipeline {
  readonly pipeline: codepipeline.Pipeline;
  readonly source: codepipeline.Artifact;
}

/** A pipeline with one S3 source stage (no CodeCommit, no connection). */
export function newPipeline(stack: Stack, id = 'Pipeline'): TestPipeline {
  const bucket = stack.node.tryFindChild('SourceBucket') as s3.Bucket | undefined
    ?? new s3.Bucket(stack, 'SourceBucket', { versioned: true });
  const source = new codepipeline.Artifact(`${id}Source`);
  const pipeline = new codepipeline.Pipeline(stack, id, {
    stages: [{
      stageName: 'Source',
      actions: [new cpactions.S3SourceAction({ actionName: 'Source', bucket, bucketKey: `${id}/source.zip`, output: source })],
    }],
  });
  return { pipeline, source };
}

/** The minimal props: action `Deploy`, stack `app` from `infra/app.yaml` in the pipeline's source artifact. */
export function basicProps(source: codepipeline.Artifact, more: Partial<StepFunctionsDeployActionProps> = {}): StepFunctionsDeployActionProps {
  return { actionName: 'Deploy', stackName: 'app', templatePath: source.atPath('infra/app.yaml'), ...more };
}

/** A stack, a pipeline and one action in a `Deploy` stage, as in the example. */
export function singleAction(
  more: Partial<StepFunctionsDeployActionProps> | ((source: codepipeline.Artifact) => Partial<StepFunctionsDeployActionProps>) = {},
) {
  const stack = newStack();
  const { pipeline, source } = newPipeline(stack);
  const action = new StepFunctionsDeployAction(stack, 'Deploy', basicProps(source, typeof more === 'function' ? more(source) : more));
  pipeline.addStage({ stageName: 'Deploy' }).addAction(action);
  return { stack, pipeline, source, action, template: () => Template.fromStack(stack) };
}

/** The logical id of a construct's CloudFormation resource (or of the construct itself when it is one). */
export function logicalIdOf(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).resolve(element.logicalId) as string;
}

/** The logical id of the role behind a function or a role construct. */
export function roleLogicalIdOf(construct: IConstruct & { role?: IConstruct }): string {
  return logicalIdOf(construct.role ?? construct);
}

export interface Flattened {
  /** The text with every intrinsic replaced by a `__TOKEN_n__` marker. */
  readonly text: string;
  /** The intrinsic each marker stands for. */
  readonly tokens: Record<string, unknown>;
}

/** Turns a string or an `Fn::Join` with the empty delimiter into text with markers for the intrinsics. */
export function flatten(value: unknown): Flattened {
  if (typeof value === 'string') return { text: value, tokens: {} };
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join || join[0] !== '') throw new Error(`expected a string or an Fn::Join with "", got ${JSON.stringify(value)}`);
  const tokens: Record<string, unknown> = {};
  const text = join[1].map((part, i) => {
    if (typeof part === 'string') return part;
    const marker = `__TOKEN_${i}__`;
    tokens[marker] = part;
    return marker;
  }).join('');
  return { text, tokens };
}

/** Every action of every pipeline in the template, with its stage name. */
export function pipelineActions(template: Template): Array<{ pipelineId: string; stage: string; action: any }> {
  const found: Array<{ pipelineId: string; stage: string; action: any }> = [];
  for (const [pipelineId, resource] of Object.entries(template.findResources('AWS::CodePipeline::Pipeline'))) {
    for (const stage of resource.Properties.Stages) {
      for (const action of stage.Actions) found.push({ pipelineId, stage: stage.Name, action });
    }
  }
  return found;
}

/** The pipeline action of that name (there must be exactly one). */
export function pipelineAction(template: Template, actionName: string): any {
  const matches = pipelineActions(template).filter((a) => a.action.Name === actionName);
  if (matches.length !== 1) throw new Error(`expected one pipeline action named ${actionName}, found ${matches.length}`);
  return matches[0].action;
}

/** The UserParameters JSON of a pipeline action, role ARNs and other intrinsics as `__TOKEN_n__` markers. */
export function userParametersOf(template: Template, actionName: string): { config: any; tokens: Record<string, unknown> } {
  const { text, tokens } = flatten(pipelineAction(template, actionName).Configuration.UserParameters);
  return { config: JSON.parse(text), tokens };
}

/** The one state machine's definition as JSON, intrinsics (function ARNs) as `__TOKEN_n__` markers. */
export function definitionOf(template: Template): { definition: any; tokens: Record<string, unknown>; properties: any } {
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
  const properties = machines[0].Properties;
  const { text, tokens } = flatten(properties.DefinitionString);
  return { definition: JSON.parse(text), tokens, properties };
}

export interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string[];
  readonly Resource: unknown[];
  readonly Condition?: Record<string, unknown>;
}

/**
 * Every statement of every policy (inline AWS::IAM::Policy and AWS::IAM::ManagedPolicy) attached to the
 * role, Action and Resource always as lists.
 */
export function statementsOf(template: Template, roleLogicalId: string): Statement[] {
  const ref = JSON.stringify({ Ref: roleLogicalId });
  const statements: Statement[] = [];
  const policies = {
    ...template.findResources('AWS::IAM::Policy'),
    ...template.findResources('AWS::IAM::ManagedPolicy'),
  };
  for (const policy of Object.values(policies)) {
    const roles: unknown[] = policy.Properties.Roles ?? [];
    if (!roles.some((r) => JSON.stringify(r) === ref)) continue;
    for (const s of policy.Properties.PolicyDocument.Statement) {
      statements.push({
        ...s,
        Action: [s.Action].flat(),
        Resource: [s.Resource].flat(),
      });
    }
  }
  const role = template.findResources('AWS::IAM::Role')[roleLogicalId];
  for (const inline of role?.Properties?.Policies ?? []) {
    for (const s of inline.PolicyDocument.Statement) {
      statements.push({ ...s, Action: [s.Action].flat(), Resource: [s.Resource].flat() });
    }
  }
  return statements;
}

/** A realistic ARN for the deployment role, for feeding UserParameters to the handler's validation. */
export const SAMPLE_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/TestStack-DeployDeploymentRole1F6BEA18-AbCdEfGhIjKl`;

/** Replaces every `__TOKEN_n__` marker in the config's strings with the given text. */
export function substituteTokens(config: unknown, replacement: string): unknown {
  return JSON.parse(JSON.stringify(config).replace(/__TOKEN_\d+__/g, replacement));
}
