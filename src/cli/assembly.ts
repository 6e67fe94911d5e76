/**
 * Finding an action of this library in a synthesized cloud assembly (`cdk.out`): the Lambda invoke actions of the
 * pipelines in its stack templates whose UserParameters are this library's configuration, whatever they deploy: one
 * stack, several stacks as one unit (`stacks`), or the change sets CDK Pipelines prepared (ChangeSetReviewStep). In a
 * template the UserParameters are often an `Fn::Join` (role and topic ARNs are resolved at deploy time); the
 * references become placeholders, which is enough to read the policy.
 */
import * as fs from 'fs';
import * as path from 'path';
import { InputFileError, readJsonFile } from './files';
import { fullStackName } from '../shared/naming';

/** One action of this library in a synthesized pipeline. */
export interface SynthesizedAction {
  /** `<stack>/<pipeline logical id>/<stage>/<action>` */
  readonly id: string;
  readonly stageName: string;
  readonly actionName: string;
  /** The action's configuration, references replaced by `<Ref:...>` placeholders. */
  readonly config: Record<string, unknown>;
  /** What it deploys or reviews, in words: `deploys stack prod-app`, `deploys 2 stacks as one unit: a, b`. */
  readonly what: string;
}

/** Every deploy action of every stack of the assembly (nested assemblies of CDK stages included). */
export function deployActionsOf(assemblyDir: string): SynthesizedAction[] {
  const manifestFile = path.join(assemblyDir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) {
    throw new InputFileError(`${assemblyDir} is not a cloud assembly: it has no manifest.json (run cdk synth, which writes cdk.out)`);
  }
  const manifest = readJsonFile(manifestFile) as { artifacts?: Record<string, { type?: string; properties?: Record<string, string> }> };
  const actions: SynthesizedAction[] = [];
  for (const [name, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      actions.push(...deployActionsOf(path.join(assemblyDir, artifact.properties.directoryName)));
    }
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    const template = readJsonFile(path.join(assemblyDir, artifact.properties.templateFile)) as { Resources?: Record<string, any> };
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      if (resource?.Type !== 'AWS::CodePipeline::Pipeline') continue;
      for (const stage of resource.Properties?.Stages ?? []) {
        for (const action of stage.Actions ?? []) {
          const config = deployConfig(action);
          if (config) {
            actions.push({
              id: `${name}/${logicalId}/${stage.Name}/${action.Name}`, stageName: stage.Name, actionName: action.Name, config, what: describeConfig(config),
            });
          }
        }
      }
    }
  }
  return actions;
}

/**
 * The action named `name` (`Action`, `Stage/Action` or a longer suffix of its id; for a CDK Pipelines step, also the
 * step's id), or a clear error naming every action.
 */
export function findDeployAction(assemblyDir: string, name: string): SynthesizedAction {
  const actions = deployActionsOf(assemblyDir);
  // CDK Pipelines names a stack's step `<stack>.<step>`: the step's own id finds it too.
  const matches = actions.filter((a) => a.id === name || a.id.endsWith(`/${name}`) || (!name.includes('/') && a.actionName.endsWith(`.${name}`)));
  if (matches.length === 1) return matches[0];
  const known = actions.map((a) => `${a.id} (${a.what})`).join(', ') || 'none';
  if (matches.length === 0) {
    throw new InputFileError(`${assemblyDir} has no StepFunctionsDeployAction or ChangeSetReviewStep named ${name} (it has: ${known})`);
  }
  throw new InputFileError(`${name} names ${matches.length} actions in ${assemblyDir} (${matches.map((a) => a.id).join(', ')}): give more of the name, such as Stage/Action`);
}

function deployConfig(action: any): Record<string, unknown> | undefined {
  const type = action?.ActionTypeId;
  if (type?.Provider !== 'Lambda' || type?.Category !== 'Invoke') return undefined;
  const raw = action.Configuration?.UserParameters;
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(flatten(raw));
  } catch {
    return undefined;
  }
  return isActionConfig(parsed) ? parsed : undefined;
}

/**
 * Whether a JSON value is this library's configuration: one stack (`stackName` and `templatePath`), or a list of
 * stacks (`stacks`: a unit, or the change sets a ChangeSetReviewStep reviews, with `prepared`).
 */
export function isActionConfig(value: unknown): value is Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const config = value as Record<string, unknown>;
  if (typeof config.stackName === 'string' && typeof config.templatePath === 'string') return true;
  return Array.isArray(config.stacks) && config.stacks.length > 0 && config.stacks.every((s) => stackNameOf(s) !== undefined);
}

/** What a configuration deploys or reviews, naming its stacks as CloudFormation will (with their environment prefix). */
export function describeConfig(config: Record<string, unknown>): string {
  const environment = typeof config.environmentName === 'string' ? config.environmentName : undefined;
  if (!Array.isArray(config.stacks)) return `deploys stack ${fullStackName(String(config.stackName), environment)}`;
  const names = config.stacks.map((s) => fullStackName(stackNameOf(s) ?? '?', environment)).join(', ');
  if (typeof config.prepared === 'string') return `reviews the change sets CDK Pipelines prepared for ${names}`;
  return `deploys ${config.stacks.length} stack${config.stacks.length === 1 ? '' : 's'} as one unit: ${names}`;
}

/** A unit's entry: a stack name, or an object with one. */
function stackNameOf(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  const name = (entry as { stackName?: unknown } | null)?.stackName;
  return typeof name === 'string' ? name : undefined;
}

/** A template value as text: Fn::Join joined, references as placeholders. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (v && Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'];
    return (Array.isArray(parts) ? parts : []).map(flatten).join(separator);
  }
  if (v && typeof v.Ref === 'string') return `<Ref:${v.Ref}>`;
  if (v && Array.isArray(v['Fn::GetAtt'])) return `<GetAtt:${v['Fn::GetAtt'].join('.')}>`;
  return '<token>';
}
