/**
 * Finding a StepFunctionsDeployAction in a synthesized cloud assembly (`cdk.out`): the Lambda invoke actions
 * of the pipelines in its stack templates whose UserParameters are this library's configuration. In a
 * template the UserParameters are often an `Fn::Join` (role and topic ARNs are resolved at deploy time); the
 * references become placeholders, which is enough to read the policy.
 */
import * as fs from 'fs';
import * as path from 'path';
import { InputFileError, readJsonFile } from './files';

/** One deploy action of a synthesized pipeline. */
export interface SynthesizedAction {
  /** `<stack>/<pipeline logical id>/<stage>/<action>` */
  readonly id: string;
  readonly stageName: string;
  readonly actionName: string;
  /** The action's configuration, references replaced by `<Ref:...>` placeholders. */
  readonly config: Record<string, unknown>;
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
            actions.push({ id: `${name}/${logicalId}/${stage.Name}/${action.Name}`, stageName: stage.Name, actionName: action.Name, config });
          }
        }
      }
    }
  }
  return actions;
}

/** The deploy action named `name` (`Action`, `Stage/Action` or a longer suffix of its id), or a clear error. */
export function findDeployAction(assemblyDir: string, name: string): SynthesizedAction {
  const actions = deployActionsOf(assemblyDir);
  const matches = actions.filter((a) => a.id === name || a.id.endsWith(`/${name}`));
  if (matches.length === 1) return matches[0];
  const known = actions.map((a) => a.id).join(', ') || 'none';
  if (matches.length === 0) throw new InputFileError(`${assemblyDir} has no StepFunctionsDeployAction named ${name} (it has: ${known})`);
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
  const config = parsed as Record<string, unknown>;
  return config && typeof config === 'object' && typeof config.stackName === 'string' && typeof config.templatePath === 'string'
    ? config : undefined;
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
