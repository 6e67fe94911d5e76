/**
 * Turns a synthesized StepFunctions definition (a DefinitionString made of Fn::Join, Fn::GetAtt and Ref)
 * into plain Amazon States Language JSON, so it can run locally. Tokens become placeholder ARNs.
 */
export interface StateMachineDefinition {
  readonly StartAt: string;
  readonly States: Record<string, Record<string, any>>;
  readonly [key: string]: unknown;
}

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

/** Resolves the intrinsics CDK uses in a DefinitionString. */
export function resolveIntrinsics(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (v && Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'];
    return (parts as unknown[]).map(resolveIntrinsics).join(separator);
  }
  if (v && Array.isArray(v['Fn::GetAtt'])) {
    const [logicalId] = v['Fn::GetAtt'];
    return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${logicalId}`;
  }
  if (v && typeof v.Ref === 'string') {
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com',
    };
    return pseudo[v.Ref] ?? v.Ref;
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)} in a state machine definition`);
}

/** The one state machine of a synthesized template, as plain JSON. */
export function definitionFromTemplate(template: Record<string, any>): StateMachineDefinition {
  const machines = Object.values(template.Resources as Record<string, any>).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`expected one state machine in the template, found ${machines.length}`);
  return JSON.parse(resolveIntrinsics(machines[0].Properties.DefinitionString));
}

/** The names of the states of a given type (Task, Wait, Choice, ...). */
export function statesOfType(definition: StateMachineDefinition, type: string): string[] {
  return Object.entries(definition.States).filter(([, s]) => s.Type === type).map(([name]) => name);
}
