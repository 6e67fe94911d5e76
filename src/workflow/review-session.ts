/**
 * Which roles of other accounts the task function may assume, and how. The construct lists them in the function's
 * environment: the roles of cross-account deployments (`targetAccountRole`), assumed as they are, and the roles
 * that CDK Pipelines' change sets are reviewed through (the CDK bootstrap deploy roles), assumed only with a session
 * policy that lets the session read the reviewed stacks and their change sets and delete their `PipelineChange`.
 * A role the environment does not list is not assumed at all: a task's input cannot name a role of its own.
 */
import { CDK_PIPELINES_CHANGE_SET, ENV } from '../shared/contract';

/** STS takes a session policy of at most 2,048 characters. */
export const SESSION_POLICY_LIMIT = 2048;

/** The roles the function may assume: for deployments, and for reviews with the stacks each reviews. */
export interface AssumableRoles {
  readonly deploy: readonly string[];
  readonly review: ReadonlyMap<string, readonly string[]>;
}

/** The roles in the function's environment (written by the construct); anything malformed is an error. */
export function assumableRoles(env: Record<string, string | undefined>): AssumableRoles {
  const deploy = parseList(env[ENV.deployRoles], ENV.deployRoles) as string[];
  const review = new Map<string, string[]>();
  for (const entry of parseList(env[ENV.reviewRoles], ENV.reviewRoles, true)) {
    const [role, stacks] = entry as unknown as [unknown, unknown];
    if (typeof role !== 'string' || !Array.isArray(stacks) || stacks.some((s) => typeof s !== 'string')) {
      throw new Error(`${ENV.reviewRoles} must be a JSON list of [role ARN, [stack names]]`);
    }
    review.set(role, [...(review.get(role) ?? []), ...stacks as string[]]);
  }
  return { deploy, review };
}

/**
 * The session policy for assuming `roleArn`, or undefined to assume it as it is (a deployment's role). A role that
 * is not listed, or listed both ways, is refused.
 */
export function sessionPolicyFor(roleArn: string, roles: AssumableRoles): string | undefined {
  const stacks = roles.review.get(roleArn);
  const deploys = roles.deploy.includes(roleArn);
  if (stacks && deploys) throw new Error(`role ${roleArn} is listed both to deploy and to review: it is not assumed`);
  if (deploys) return undefined;
  if (!stacks) throw new Error(`role ${roleArn} is not a role this workflow was given (targetAccountRole, or a reviewed stack's deploy role): it is not assumed`);
  return reviewSessionPolicy(roleArn, stacks);
}

/**
 * Reading the reviewed stacks (and their nested stacks' change sets) and deleting their `PipelineChange`, in the
 * role's account. When the stacks are too many for STS's limit, reading covers every stack of that account
 * (reading only), while deleting stays limited to the reviewed stacks; more stacks than that are refused.
 */
export function reviewSessionPolicy(roleArn: string, stackNames: readonly string[]): string {
  const arn = /^arn:([^:]+):iam::([^:]+):role\/./.exec(roleArn);
  if (!arn) throw new Error(`${roleArn} is not an IAM role ARN`);
  const [, partition, account] = arn;
  const stack = (name: string) => `arn:${partition}:cloudformation:*:${account}:stack/${name}/*`;
  const names = [...new Set(stackNames)];
  const policy = (read: string | string[]) => JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['cloudformation:DescribeStacks', 'cloudformation:DescribeChangeSet'], Resource: read },
      {
        Effect: 'Allow',
        Action: 'cloudformation:DeleteChangeSet',
        Resource: names.map(stack),
        Condition: { StringEquals: { 'cloudformation:ChangeSetName': CDK_PIPELINES_CHANGE_SET } },
      },
    ],
  });
  const exact = policy(names.flatMap((name) => [stack(name), stack(`${name}-*`)]));
  if (exact.length <= SESSION_POLICY_LIMIT) return exact;
  const broad = policy(stack('*'));
  if (broad.length <= SESSION_POLICY_LIMIT) return broad;
  throw new Error(`the session policy for reviewing ${names.length} stacks through ${roleArn} would exceed STS's ${SESSION_POLICY_LIMIT} ` +
    'characters: review fewer stacks of that account and region from one pipeline stack');
}

function parseList(value: string | undefined, name: string, pairs = false): unknown[] {
  if (value === undefined || value === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error(`${name} is not JSON`);
  }
  if (!Array.isArray(parsed) || (!pairs && parsed.some((r) => typeof r !== 'string'))) throw new Error(`${name} must be a JSON list`);
  return parsed;
}
