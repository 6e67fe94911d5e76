/**
 * Inspecting a change set: every page, every nested change set, every change evaluated by
 * the safety policy (rules here, or the user's policy function), and a result small enough for the state.
 */
import { createHash } from 'crypto';
import { DescribeChangeSetCommand } from '@aws-sdk/client-cloudformation';
import type { CloudFormationClient, DescribeChangeSetCommandOutput } from '@aws-sdk/client-cloudformation';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { IncompleteChangeSetError, readPagesAsync, walkChangeSet } from '../policy/change-set-reader';
import type { LocatedChange } from '../policy/change-set-reader';
import { combine, evaluateChanges, withoutNulls } from '../policy/evaluate';
import type { ChangeVerdict } from '../policy/evaluate';
import { applyFunctionAnswer, readAnswer } from '../policy/function-answer';
import { propertyDiffs } from '../policy/property-diff';
import { LIMITS } from '../shared/contract';
import type { Deployment, InspectionResult, ReportedChange, Violation } from '../shared/contract';
import { truncate } from '../shared/errors';
import type { FunctionPolicyAnswer } from '../shared/policy-document';

export { IncompleteChangeSetError } from '../policy/change-set-reader';
export type { LocatedChange } from '../policy/change-set-reader';

const MAX_PAGES = 1000;

/** Which change set to describe: the root by its stack and id, a nested one by its id alone. */
type DescribedChangeSet = { StackName?: string; ChangeSetName: string };

/**
 * Reads every page of a change set and of each nested stack's change set, recursively, with DescribeChangeSet
 * (the one page walker, `policy/change-set-reader.ts`). A root change set that is not complete is an error; a
 * nested one that cannot be read completely leaves its stack "not inspected", which no policy but allowAll allows.
 */
export async function readChanges(
  cloudformation: CloudFormationClient, deployment: Deployment, changeSetId: string,
): Promise<ReadChangeSet> {
  const walk = walkChangeSet<DescribedChangeSet, DescribeChangeSetCommandOutput>({
    // By id: a change set deleted and created again under the same name is another change set, and is not found.
    root: { StackName: deployment.stackName, ChangeSetName: changeSetId },
    name: deployment.changeSetName,
    stopAtProblem: true,
    maxPages: MAX_PAGES,
    nestedChangeSet: (change) => {
      const rc = withoutNulls(change)?.ResourceChange;
      if (!deployment.includeNestedStacks) return { notRead: 'nested stacks are not inspected (includeNestedStacks is false)' };
      if (!rc?.ChangeSetId) return { notRead: 'CloudFormation gave no change set for it' };
      return { changeSet: { ChangeSetName: rc.ChangeSetId } };
    },
  });
  const read = await readPagesAsync(walk, ({ changeSet, token, withValues }) =>
    cloudformation.send(new DescribeChangeSetCommand({ ...changeSet, NextToken: token, IncludePropertyValues: withValues })));
  const problem = read.rootProblems[0];
  if (problem) throw new IncompleteChangeSetError(`Change set ${deployment.changeSetName} for stack ${deployment.stackName} ${problem}; it is not executed.`);
  const head = read.head ? headOf(read.head) : undefined;
  if (head?.ChangeSetId !== changeSetId) {
    throw new IncompleteChangeSetError(`Change set ${deployment.changeSetName} for stack ${deployment.stackName} was described with another id ` +
      `than ${changeSetId}; it is not executed.`);
  }
  return { changeSetId, changes: read.changes, nestedChangeSets: read.nestedChangeSets, digest: digestOf(head, read.changes) };
}

/** A change set as read: its id, every change (nested ones in place), and the digest of what was read. */
export interface ReadChangeSet {
  readonly changeSetId: string;
  readonly changes: LocatedChange[];
  readonly nestedChangeSets: number;
  readonly digest: string;
}

/**
 * What a change set's description says beside its changes that decides what executing it does. Its status,
 * times and paging are left out: they change while the change set stays the same.
 */
const DESCRIPTION_FIELDS = [
  'ChangeSetId', 'StackId', 'StackName', 'Parameters', 'Capabilities', 'Tags', 'NotificationARNs', 'RollbackConfiguration',
  'IncludeNestedStacks', 'ParentChangeSetId', 'RootChangeSetId', 'OnStackFailure', 'ImportExistingResources', 'DeploymentMode',
] as const;

function headOf(page: DescribeChangeSetCommandOutput): Record<string, unknown> {
  const head: Record<string, unknown> = {};
  for (const field of DESCRIPTION_FIELDS) {
    const value = (page as unknown as Record<string, unknown>)[field];
    if (value !== undefined && value !== null) head[field] = value;
  }
  return head;
}

/** SHA-256 of the description and of every change where it sits, in a canonical JSON (keys sorted). */
function digestOf(head: Record<string, unknown>, changes: LocatedChange[]): string {
  const judged = { head, changes: changes.map(({ change, path, context }) => ({ change: withoutNulls(change), path, context })) };
  return createHash('sha256').update(canonicalJson(judged)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}


/** The verdict on every change: the rules here, or the user's function (after the fail-closed check). */
export async function judge(deployment: Deployment, located: LocatedChange[], lambda?: LambdaClient): Promise<ChangeVerdict[]> {
  const policy = deployment.policy;
  if (policy.type !== 'function') return evaluateChanges(policy, located.map((l) => l.change), located.map((l) => l.context)).changes;

  const answer = await askPolicyFunction(policy.functionArn, deployment, located, lambda);
  return applyFunctionAnswer(answer, located.map((l) => l.change), located.map((l) => l.context));
}

async function askPolicyFunction(
  functionArn: string, deployment: Deployment, located: LocatedChange[], lambda?: LambdaClient,
): Promise<FunctionPolicyAnswer> {
  if (!lambda) throw new Error('the task function has no Lambda client to call the policy function');
  const event = {
    stackName: deployment.stackName,
    changeSetName: deployment.changeSetName,
    changes: located.map(({ change, path }) => (path.length > 0 ? { ...change, NestedStackPath: path } : change)),
  };
  const payload = JSON.stringify(event);
  if (payload.length > 6_000_000) {
    return { verdict: 'DENY', reasons: [{ reason: 'the change set is too large to send to the policy function (6 MB)' }] };
  }
  const result = await lambda.send(new InvokeCommand({ FunctionName: functionArn, Payload: new TextEncoder().encode(payload) }));
  const text = result.Payload ? new TextDecoder().decode(result.Payload) : '';
  if (result.FunctionError) {
    throw new Error(`the policy function ${functionArn} failed (${result.FunctionError}): ${truncate(text, 1000)}`);
  }
  return readAnswer(text);
}

/** The inspection result: small enough for the state, whatever the size of the change set. */
export function summarise(
  deployment: Deployment, located: LocatedChange[], verdicts: ChangeVerdict[], nestedChangeSets: number,
): Omit<InspectionResult, 'changeSetId' | 'digest'> {
  const counts: Record<string, number> = {};
  for (const v of verdicts) counts[v.action] = (counts[v.action] ?? 0) + 1;
  const overall = combine(verdicts.map((v) => v.verdict));
  const approvalPossible = deployment.onUnsafe.type === 'requireApproval';
  // Without a person to ask, a change that needs approval is refused like a denied one.
  const verdict = overall === 'REQUIRE_APPROVAL' && !approvalPossible ? 'DENY' : overall;
  const refused = verdicts.map((v, i) => ({ v, path: located[i].path, change: located[i].change })).filter(({ v }) => v.verdict !== 'ALLOW');
  const violations: Violation[] = refused.map(({ v, path, change }) => ({
    logicalId: v.logicalId,
    resourceType: v.resourceType,
    action: v.action,
    ...(v.replacement ? { replacement: v.replacement } : {}),
    rule: v.verdict === 'REQUIRE_APPROVAL' ? `${v.rule} (needs approval)` : v.rule,
    ...(path.length > 0 ? { path } : {}),
    ...withProperties(propertyDiffs(change)),
  }));
  const lines = violations.map((v) =>
    `${[...(v.path ?? []), v.logicalId].join('/')} (${v.resourceType}): ${v.action}` +
    `${v.replacement ? `, replacement ${v.replacement}` : ''} refused by ${v.rule}` +
    `${v.properties ? ` [${v.properties.join('; ')}]` : ''}`);
  const one = violations.length === 1;
  const what = verdict === 'REQUIRE_APPROVAL' ? (one ? 'needs a person\'s approval' : 'need a person\'s approval') : (one ? 'is not allowed' : 'are not allowed');
  const counted = verdicts.length === 1 ? 'its one change' : `${violations.length} of ${verdicts.length} changes`;
  // An unsafe change set is deleted next, never executed; one that waits for a person is not executed yet.
  const fate = verdict === 'DENY' ? ' is refused (deleted, never executed)' : '';
  // A stack of a unit keeps its share of the state: the unit's stacks travel together.
  const share = Math.max(1, deployment.unitSize ?? 1);
  const reason = violations.length === 0 ? '' : truncate(
    `Change set ${deployment.changeSetName} for stack ${deployment.stackName}${fate}: ` +
    `${counted} ${what}: ${lines.join('; ')}`, Math.max(400, Math.floor(4000 / share)));
  return {
    verdict,
    ...(deployment.report ? { changes: reportedChanges(verdicts, located, Math.floor(LIMITS.changesInReport / share)) } : {}),
    changeCount: verdicts.length,
    violationCount: violations.length,
    violations: violations.slice(0, Math.max(3, Math.floor(LIMITS.violationsInState / share))),
    reason,
    counts,
    nestedChangeSets,
  };
}

function withProperties(lines: string[]): { properties?: string[] } {
  return lines.length > 0 ? { properties: lines } : {};
}

/** Every change's verdict, for the change report: at most `max` of them (a stack of a unit keeps its share). */
function reportedChanges(verdicts: ChangeVerdict[], located: LocatedChange[], max: number): ReportedChange[] {
  return verdicts.slice(0, max).map((v, i) => ({
    logicalId: v.logicalId,
    resourceType: v.resourceType,
    action: v.action,
    ...(v.replacement ? { replacement: v.replacement } : {}),
    verdict: v.verdict,
    rule: v.rule,
    ...(located[i].path.length > 0 ? { path: located[i].path } : {}),
  }));
}
