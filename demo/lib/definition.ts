/**
 * A synthesized Step Functions definition as plain Amazon States Language JSON, so it can run locally: the
 * DefinitionString's intrinsics resolved (./intrinsics.ts), and the states read by type.
 */
import { resolveIntrinsics } from './intrinsics';
import type { LocalEnv, Resources } from './intrinsics';

export interface StateMachineDefinition {
  readonly StartAt: string;
  readonly States: Record<string, Record<string, any>>;
  readonly [key: string]: unknown;
}

/** The one state machine of a synthesized template, as plain JSON. */
export function definitionFromTemplate(template: Record<string, any>, env?: LocalEnv): StateMachineDefinition {
  const resources = template.Resources as Resources;
  const machines = Object.values(resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`expected one state machine in the template, found ${machines.length}`);
  return JSON.parse(resolveIntrinsics((machines[0].Properties as Record<string, unknown>).DefinitionString, resources, env));
}

/** Every state of a definition, those of nested Map and Parallel states included. */
export function allStates(definition: { States: Record<string, Record<string, any>> }): [string, Record<string, any>][] {
  return Object.entries(definition.States).flatMap(([name, state]) => [
    [name, state] as [string, Record<string, any>],
    ...(state.Branches ?? []).flatMap((b: StateMachineDefinition) => allStates(b)),
    ...(state.ItemProcessor ? allStates(state.ItemProcessor) : []),
    ...(state.Iterator ? allStates(state.Iterator) : []),
  ]);
}

/** The names of the states of a given type (Task, Wait, Choice, ...), nested ones included. */
export function statesOfType(definition: StateMachineDefinition, type: string): string[] {
  return allStates(definition).filter(([, s]) => s.Type === type).map(([name]) => name);
}
