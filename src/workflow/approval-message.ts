/** The message approvers receive (UnsafeChangeAction.requireApproval), and the digest of what it asks them to approve. Pure. */
import { createHash } from 'crypto';
import type { Deployment, InspectionResult, UnitState } from '../shared/contract';
import { shortDigest } from '../shared/naming';

/** A change set's digest as the inspection records it: SHA-256, hex. */
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * The digest of what an approval wait asks a person to approve, from the state the wait was scheduled with (what the
 * message shows, and what the approval function compares with the digest an approver sends back):
 * - one stack: its inspection's digest;
 * - a unit's round (`state.unit`): SHA-256 over the round's stacks in order, one line each, `<stack name> <its
 *   inspection's digest>` (or `<stack name> (<plan>)` for a stack of the round with no change set: a new stack, no
 *   changes), so another round, or the same round with another change set, has another digest.
 * Undefined when the state holds no judged change set to approve (nothing can then be approved).
 */
export function approvalDigest(
  state: { readonly inspection?: Partial<InspectionResult>; readonly unit?: Partial<UnitState> } | undefined,
): string | undefined {
  const unit = state?.unit;
  if (unit) {
    const members = Array.isArray(unit.members) ? unit.members : [];
    const round = Array.isArray(unit.review) ? unit.review : [];
    const lines = round.map((d) => {
      const review = members.find((m) => m?.stackName === d?.stackName)?.review;
      const digest = review?.inspection?.digest;
      return { judged: typeof digest === 'string' && SHA256_HEX.test(digest), line: `${d?.stackName} ${digest ?? `(${review?.plan ?? 'unreviewed'})`}` };
    });
    if (!lines.some((l) => l.judged)) return undefined;
    return createHash('sha256').update(lines.map((l) => l.line).join('\n')).digest('hex');
  }
  const digest = state?.inspection?.digest;
  return typeof digest === 'string' && SHA256_HEX.test(digest) ? digest : undefined;
}

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
    ...decisionLines(approvalDigest({ inspection }), 'this change set', executionId, url),
  ].join('\n');
}

/** A unit's message: every stack of the round with its changes that need approval; one decision covers them all. */
export function unitApprovalMessage(deployment: Deployment, unit: UnitState, executionId?: string, url?: string): string {
  const stacks = unit.review.map((d) => ({ deployment: d, member: unit.members.find((m) => m.stackName === d.stackName) }));
  const flagged = stacks.filter((s) => s.member?.review?.inspection && s.member.review.inspection.verdict !== 'ALLOW');
  const others = stacks.filter((s) => !flagged.includes(s)).map((s) => `${s.deployment.stackName} (${planOf(s.member?.review?.plan)})`);
  return [
    `The deployment of ${unit.members.length} stacks as one unit (pipeline job ${deployment.jobId}) waits for a decision on round ${unit.round}: ` +
      `${stacks.map((s) => s.deployment.stackName).join(', ')}. One decision covers every change set of the round; nothing is executed before it.`,
    ...flagged.flatMap((s) => ['', `Stack ${s.deployment.stackName}:`, ...changeSetLines(s.deployment.changeSetName, s.member!.review!.inspection)]),
    ...(others.length > 0 ? ['', `The other stacks of the round need no approval: ${others.join(', ')}.`] : []),
    '',
    `Without a decision within ${Math.round(timeoutOf(deployment) / 60)} minutes the round's change sets are deleted and the deployment fails.`,
    ...decisionLines(approvalDigest({ unit }), `round ${unit.round}`, executionId, url),
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

/**
 * How to decide: the execution and the digest of what this message asks to approve (`approvalDigest`), both sent back,
 * so that a decision reaches only the wait this message is about.
 */
function decisionLines(digest: string | undefined, what: string, executionId?: string, url?: string): string[] {
  const execution = executionId ?? '<the execution>';
  const where = url ?? '<the approval URL: the deploy workflow\'s approvalUrl>';
  const short = digest ? shortDigest(digest) : '<none: nothing here can be approved>';
  return [
    `Execution: ${execution}`,
    `Approve digest: ${short}`,
    '',
    'To decide, as an approver of this action (grantApproval: lambda:InvokeFunctionUrl on the approval function):',
    `  cdk-sfn-deploy approve --url '${where}' --execution '${execution}' --digest ${short} --comment 'why'`,
    `  cdk-sfn-deploy reject --url '${where}' --execution '${execution}' --digest ${short} --comment 'why'`,
    `or POST {"executionArn": "${execution}", "decision": "approve" or "reject", "digest": "${short}", "comment": "why"} to ${where}, ` +
      'signed with SigV4 (service lambda).',
    `The digest names ${what}: if the execution waits on another change set or round by then, nothing is decided; read its latest message.`,
    'The approval function answers only approvers of the action this execution deploys for, and records you by your AWS identity ' +
      '(your IAM user\'s or role session\'s ARN).',
    '',
    `cdk-sfn-deploy is the command of the package: ${CLI_ROUTES}.`,
  ];
}
