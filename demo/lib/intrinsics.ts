/**
 * The one intrinsic-function resolver for running synthesized templates locally (the demo, the benchmark, the
 * execution tests): Ref, Fn::GetAtt (Arn) and Fn::Join become plain values, resources' ARNs placeholder ones in
 * one account and region (LOCAL_ENV unless the caller names others). Any other intrinsic is an error.
 */

/** The account and region of the local runs, unless a caller names others. */
export interface LocalEnv {
  readonly account: string;
  readonly region: string;
}

export const LOCAL_ENV: LocalEnv = { account: '123456789012', region: 'us-east-1' };

/** A template's resources by logical id. */
export type Resources = Record<string, { readonly Type: string; readonly [key: string]: unknown }>;

/** Resolves Ref, Fn::GetAtt and Fn::Join in `value` (any JSON) to plain values. */
export function resolveIntrinsics(value: unknown, resources: Resources, env: LocalEnv = LOCAL_ENV): any {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, resources, env));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, any>;
  const keys = Object.keys(object);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
    const arg = object[keys[0]];
    switch (keys[0]) {
      case 'Ref': return refOf(arg, resources, env);
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
        if (attribute !== 'Arn') throw new Error(`Fn::GetAtt ${id}.${attribute} is not modelled`);
        return arnOf(id, resources, env);
      }
      case 'Fn::Join': {
        const [separator, parts] = arg;
        return resolveIntrinsics(parts, resources, env).join(separator);
      }
      default: throw new Error(`intrinsic ${keys[0]} is not modelled`);
    }
  }
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, resolveIntrinsics(v, resources, env)]));
}

function refOf(id: string, resources: Resources, env: LocalEnv): string {
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws', 'AWS::Region': env.region, 'AWS::AccountId': env.account, 'AWS::URLSuffix': 'amazonaws.com',
  };
  if (pseudo[id]) return pseudo[id];
  const resource = resources[id];
  if (!resource) throw new Error(`Ref to unknown ${id}`);
  return resource.Type === 'AWS::StepFunctions::StateMachine' ? arnOf(id, resources, env) : id.toLowerCase();
}

/** The placeholder ARN of a resource of the template. */
export function arnOf(id: string, resources: Resources, env: LocalEnv = LOCAL_ENV): string {
  const { account, region } = env;
  const type = resources[id]?.Type;
  switch (type) {
    case 'AWS::Lambda::Function': return `arn:aws:lambda:${region}:${account}:function:${id}`;
    case 'AWS::IAM::Role': return `arn:aws:iam::${account}:role/${id}`;
    case 'AWS::StepFunctions::StateMachine': return `arn:aws:states:${region}:${account}:stateMachine:${id}`;
    case 'AWS::S3::Bucket': return `arn:aws:s3:::${id.toLowerCase()}`;
    case undefined: throw new Error(`Fn::GetAtt on unknown ${id}`);
    default: return `arn:aws:${type.split('::')[1].toLowerCase()}:${region}:${account}:${id}`;
  }
}
