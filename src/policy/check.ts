/**
 * The offline check: the same evaluation the workflow runs, on the JSON that
 * `aws cloudformation describe-change-set` prints (one page or several, and the pages of nested stacks'
 * change sets). It judges only what it can see: a change set that is not complete, pages missing or given
 * twice, nested change sets not given, or a description CloudFormation marks as incomplete are never
 * allowed; the result says what is missing. Pure.
 */
import { completenessProblem, isIncompleteDescription } from './completeness';
import { NESTED_STACK_TYPE, combine, evaluateChange, withoutNulls } from './evaluate';
import type { ChangeContext, ChangeInput, ChangeVerdict, PolicyResult } from './evaluate';
import { propertyDiffs } from './property-diff';
import type { PolicyDocument } from '../shared/policy-document';

/** A verdict on one change, with the nested stacks around it (outermost first). */
export interface CheckedChange extends ChangeVerdict {
  readonly path?: string[];
  /** For a change that is not allowed: what it does to its properties (from property values; secrets masked). */
  readonly properties?: string[];
}

export interface CheckResult extends PolicyResult {
  readonly changes: CheckedChange[];
  /**
   * What the check could not see, one sentence each. Not empty: the verdict is DENY whatever the changes
   * say, because an incomplete description is never allowed.
   */
  readonly incomplete: string[];
}

/** The input is not describe-change-set output: a message that says what was expected. */
export class ChangeSetInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChangeSetInputError';
  }
}

/** The fields of a DescribeChangeSet page the check reads. */
interface Page {
  readonly ChangeSetId?: string;
  readonly ChangeSetName?: string;
  readonly StackName?: string;
  readonly Status?: string;
  readonly StatusReason?: string;
  readonly NextToken?: string;
  readonly Changes: ChangeInput[];
}

/** The pages of one change set, in the order given. */
interface ChangeSetPages {
  readonly key: string;
  readonly label: string;
  readonly pages: Page[];
}

const SHAPE_HINT = 'give the whole output of `aws cloudformation describe-change-set` (one file per page), ' +
  'not a part of it such as `--query Changes`: its Status and NextToken show whether the change set is complete';

/** Checks the pages' shape and groups them by change set, keeping the order in which they were given. */
export function readPages(pages: readonly unknown[]): ChangeSetPages[] {
  const groups = new Map<string, ChangeSetPages>();
  pages.forEach((raw, i) => {
    const page = raw as Record<string, unknown>;
    if (Array.isArray(raw)) {
      throw new ChangeSetInputError(`page ${i + 1} is a list, not the output of describe-change-set: ${SHAPE_HINT}`);
    }
    if (!page || typeof page !== 'object' || !Array.isArray(page.Changes)) {
      throw new ChangeSetInputError(`page ${i + 1} has no "Changes" list, so it is not the output of describe-change-set: ${SHAPE_HINT}`);
    }
    const text = (key: string) => (typeof page[key] === 'string' ? page[key] as string : undefined);
    const id = text('ChangeSetId');
    const name = text('ChangeSetName');
    const stack = text('StackName');
    const key = id ?? (name || stack ? `${stack ?? ''}/${name ?? ''}` : 'the change set');
    const label = name && stack ? `change set ${name} of stack ${stack}` : id ? `change set ${id}` : 'the change set';
    const group = groups.get(key) ?? { key, label, pages: [] };
    group.pages.push({
      ...(id ? { ChangeSetId: id } : {}),
      ...(name ? { ChangeSetName: name } : {}),
      ...(stack ? { StackName: stack } : {}),
      ...(text('Status') ? { Status: text('Status') } : {}),
      ...(text('StatusReason') ? { StatusReason: text('StatusReason') } : {}),
      ...(text('NextToken') ? { NextToken: text('NextToken') } : {}),
      Changes: page.Changes as ChangeInput[],
    });
    groups.set(key, group);
  });
  return [...groups.values()];
}

/** What is missing from one change set's pages, one sentence each. */
function pageProblems(group: ChangeSetPages): string[] {
  const problems: string[] = [];
  const statuses = new Set(group.pages.map((p) => p.Status));
  for (const status of statuses) {
    const reason = group.pages.find((p) => p.Status === status)?.StatusReason;
    const problem = completenessProblem(status, reason);
    if (problem) problems.push(`${group.label} ${problem}`);
  }
  if (group.pages.some((p) => isIncompleteDescription(p.StatusReason))) {
    problems.push(`${group.label} was described incompletely: CloudFormation says property values made it leave changes out ` +
      '(describe it again without --include-property-values)');
  }
  const tokens = group.pages.map((p) => p.NextToken).filter((t): t is string => t !== undefined);
  const repeated = [...new Set(tokens.filter((t, i) => tokens.indexOf(t) !== i))];
  const last = group.pages.filter((p) => p.NextToken === undefined).length;
  if (repeated.length > 0) problems.push(`${group.label}: a page is given more than once (the same NextToken twice)`);
  if (last === 0) {
    problems.push(`${group.label}: its last page is missing (every page given has a NextToken: give the pages that follow it too)`);
  } else if (last > 1) {
    problems.push(`${group.label}: ${last} pages have no NextToken, so a page is given more than once or pages of different describe calls are mixed`);
  }
  return problems;
}

/**
 * Evaluates a change set offline, as the workflow does: the root change set's changes, and the changes of
 * every nested change set whose pages are given, recursively. A nested stack whose change set is not given
 * is judged as not inspected.
 */
export function checkChangeSet(policy: PolicyDocument, pages: readonly unknown[]): CheckResult {
  const groups = readPages(pages);
  const byId = new Map(groups.filter((g) => g.key.startsWith('arn:')).map((g) => [g.key, g]));
  const incomplete = groups.flatMap(pageProblems);
  const referenced = new Set<string>();
  for (const group of groups) {
    for (const page of group.pages) {
      for (const change of page.Changes) {
        const id = nestedChangeSetId(change);
        if (id) referenced.add(id);
      }
    }
  }
  const roots = groups.filter((g) => !referenced.has(g.key));
  if (roots.length !== 1) {
    const names = (roots.length === 0 ? groups : roots).map((g) => g.label).join(', ');
    throw new ChangeSetInputError(roots.length === 0
      ? `the pages given form a loop of nested change sets (${names}); give the root change set's pages first`
      : `pages of ${roots.length} unrelated change sets were given (${names}): check one change set (with its nested stacks' change sets) at a time`);
  }

  const changes: CheckedChange[] = [];
  const visit = (group: ChangeSetPages, path: string[]) => {
    for (const page of group.pages) {
      for (const change of page.Changes) {
        const nestedId = nestedChangeSetId(change);
        const nested = nestedId ? byId.get(nestedId) : undefined;
        const context: ChangeContext = { nestedChangeSet: nested ? true : notGivenReason(change, nestedId) };
        const verdict = evaluateChange(policy, change, context);
        const properties = verdict.verdict === 'ALLOW' ? [] : propertyDiffs(change);
        changes.push({ ...verdict, ...(path.length > 0 ? { path } : {}), ...(properties.length > 0 ? { properties } : {}) });
        if (nested) visit(nested, [...path, verdict.logicalId]);
      }
    }
  };
  visit(roots[0], []);
  const verdict = incomplete.length > 0 ? 'DENY' : combine(changes.map((c) => c.verdict));
  return { verdict, changes, incomplete };
}

function nestedChangeSetId(change: ChangeInput): string | undefined {
  const rc = withoutNulls(change)?.ResourceChange;
  return rc?.ResourceType === NESTED_STACK_TYPE && typeof rc.ChangeSetId === 'string' ? rc.ChangeSetId : undefined;
}

function notGivenReason(change: ChangeInput, nestedId: string | undefined): string | undefined {
  if (withoutNulls(change)?.ResourceChange?.ResourceType !== NESTED_STACK_TYPE) return undefined;
  return nestedId
    ? `its change set was not given (describe it with --change-set-name ${nestedId})`
    : 'the change set was created without its nested stacks (create it with --include-nested-stacks)';
}
