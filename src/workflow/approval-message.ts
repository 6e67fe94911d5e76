/** The message approvers receive (UnsafeChangeAction.requireApproval). Pure. */
import type { Deployment, InspectionResult, UnitState } from '../shared/contract';
import { shortDigest } from '../shared/naming';

/** Where the cdk-sfn-deploy command comes from, in words that work for every language's users. */
export const CLI_ROUTES = 'pip install cdk-stepfunctions-deploy-action installs it; ' +
  'with Node.js (also from Java): npx -p cdk-stepfunctions-deploy-action cdk-sfn-deploy';

/**
 * The message names the execution and how to decide on it through the approval function (`url`): never the task
 * token, which answers nothing for an approver.
 */
export function approvalMessage(deployment: Deployment, inspection: InspectionResult | undefined, executionId?: string, url?: string): string {
  return [
    `The deployment of stack ${deployment.stackName} (pipeline job ${deployment.jobId}) waits for a decision.`,
    ...changeSetLines(deployment.changeSetName, inspection),
    '',
    `Without a decision within ${Math.round(timeoutOf(deployment) / 60)} minutes the change set is deleted and the deployment fails.`,
    ...decisionLines(executionId, url),
  ].join('\n');
}

/** A unit's message: every stack of the wave with its changes that need approval; one decision covers them all. */
export function unitApprovalMessage(deployment: Deployment, unit: UnitState, executionId?: string, url?: string): string {
  const stacks = unit.review.map((d) => ({ deployment: d, member: unit.members.find((m) => m.stackName === d.stackName) }));
  const flagged = stacks.filter((s) => s.member?.review?.inspection && s.member.review.inspection.verdict !== 'SAFE');
  const others = stacks.filter((s) => !flagged.includes(s)).map((s) => `${s.deployment.stackName} (${planOf(s.member?.review?.plan)})`);
  return [
    `The deployment of ${unit.members.length} stacks as one unit (pipeline job ${deployment.jobId}) waits for a decision on wave ${unit.wave}: ` +
      `${stacks.map((s) => s.deployment.stackName).join(', ')}. One decision covers every change set of the wave; nothing is executed before it.`,
    ...flagged.flatMap((s) => ['', `Stack ${s.deployment.stackName}:`, ...changeSetLines(s.deployment.changeSetName, s.member!.review!.inspection)]),
    ...(others.length > 0 ? ['', `The other stacks of the wave need no approval: ${others.join(', ')}.`] : []),
    '',
    `Without a decision within ${Math.round(timeoutOf(deployment) / 60)} minutes the wave's change sets are deleted and the deployment fails.`,
    ...decisionLines(executionId, url),
  ].join('\n');
}

function planOf(plan: string | undefined): string {
  return { EXECUTE: 'safe changes', CREATE: 'a new stack', NONE: 'no changes' }[plan ?? ''] ?? 'reviewed';
}

function timeoutOf(deployment: Deployment): number {
  return deployment.onUnsafe.type === 'requireApproval' ? deployment.onUnsafe.timeoutSeconds : 0;
}

/** One change set: its counts and the changes that need approval, with their property lines. */
function changeSetLines(changeSetName: string, inspection: InspectionResult | undefined): string[] {
  const violations = inspection?.violations ?? [];
  const listed = violations.flatMap((v) => [
    `  - ${[...(v.path ?? []), v.logicalId].join('/')} (${v.resourceType}): ${v.action}` +
    `${v.replacement ? `, replacement ${v.replacement}` : ''}, by ${v.rule}`,
    ...(v.properties ?? []).map((line) => `      ${line}`),
  ]);
  const more = (inspection?.violationCount ?? 0) > violations.length
    ? [`  ... and ${(inspection?.violationCount ?? 0) - violations.length} more (see the change set in the console)`] : [];
  const counts = Object.entries(inspection?.counts ?? {}).map(([a, n]) => `${n} ${a}`).join(', ') || 'none';
  // What is approved is this change set as it was judged: it is described again before it runs, and runs only unchanged.
  const judged = inspection?.changeSetId ? ` (${inspection.changeSetId}), digest ${shortDigest(inspection.digest)}` : '';
  return [`Change set ${changeSetName}${judged}: ${counts}. These changes need approval:`, ...listed, ...more,
    ...(judged ? ['  Only this change set, unchanged since it was judged, is executed on approval.'] : [])];
}

function decisionLines(executionId?: string, url?: string): string[] {
  const execution = executionId ?? '<the execution>';
  const where = url ?? '<the approval URL: the deploy workflow\'s approvalUrl>';
  return [
    `Execution: ${execution}`,
    '',
    'To decide, as an approver of this action (grantApproval: lambda:InvokeFunctionUrl on the approval function):',
    `  cdk-sfn-deploy approve --url '${where}' --execution '${execution}' --comment 'why'`,
    `  cdk-sfn-deploy reject --url '${where}' --execution '${execution}' --comment 'why'`,
    `or POST {"executionArn": "${execution}", "decision": "approve" or "reject", "comment": "why"} to ${where}, signed with SigV4 (service lambda).`,
    'The approval function answers only approvers of the action this execution deploys for, and records you by your AWS identity ' +
      '(your IAM user\'s or role session\'s ARN).',
    '',
    `cdk-sfn-deploy is the command of the package: ${CLI_ROUTES}.`,
  ];
}
