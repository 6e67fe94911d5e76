/**
 * The offline check: the same evaluation the workflow runs, on the JSON that
 * `aws cloudformation describe-change-set` prints (one page or several, and the pages of nested stacks'
 * change sets). It judges only what it can see: a change set that is not complete, pages missing or given
 * twice, nested change sets not given, or a description CloudFormation marks as incomplete are never
 * allowed; the result says what is missing. Pure.
 *
 * Pages. A DescribeChangeSet page carries the NextToken of the page after it, never the token it was
 * requested with, so nothing in a page tells the first page from a later one. The AWS CLI's own
 * `describe-change-set` fetches every page and prints them as one description without NextToken: that is
 * one complete page. Pages fetched one by one prove their place only when each page after the first says
 * which NextToken it was requested with (`RequestNextToken`): then they must form one unbroken chain from
 * the page requested without a token to a page without NextToken, in any order given. Anything else (a
 * single page requested with a token, pages that do not say, a chain with a gap, a page given twice) is
 * incomplete.
 */
import { readPagesSync, walkChangeSet } from './change-set-reader';
import { NESTED_STACK_TYPE, combine, evaluateChange, withoutNulls } from './evaluate';
import type { ChangeInput, ChangeVerdict, PolicyResult } from './evaluate';
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
  /** The NextToken this page was requested with; absent for the first page (requested without one). */
  readonly RequestNextToken?: string;
  readonly Changes: ChangeInput[];
}

/** The key a page fetched with a NextToken carries to say which one (DescribeChangeSet's own output has no such field). */
export const REQUEST_TOKEN_KEY = 'RequestNextToken';

/** The pages of one change set, in the order given. */
interface ChangeSetPages {
  readonly key: string;
  readonly label: string;
  readonly pages: Page[];
}

const SHAPE_HINT = 'give the whole output of `aws cloudformation describe-change-set`, ' +
  'not a part of it such as `--query Changes`: its Status and NextToken show whether the change set is complete';

/** What to do when the pages given cannot prove they are the whole description. */
const PAGES_HINT = 'give the whole description in one file (`aws cloudformation describe-change-set` without --no-paginate ' +
  `or --max-items fetches every page and prints them as one), or give each page after the first with "${REQUEST_TOKEN_KEY}": ` +
  'the NextToken it was requested with';

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
    if (page[REQUEST_TOKEN_KEY] !== undefined && !text(REQUEST_TOKEN_KEY)) {
      throw new ChangeSetInputError(`page ${i + 1}: "${REQUEST_TOKEN_KEY}" must be the NextToken the page was requested with (a non-empty string), or be left out on the first page`);
    }
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
      ...(text(REQUEST_TOKEN_KEY) ? { RequestNextToken: text(REQUEST_TOKEN_KEY) } : {}),
      Changes: page.Changes as ChangeInput[],
    });
    groups.set(key, group);
  });
  return [...groups.values()];
}

/**
 * The pages of one change set in the order CloudFormation gave them, and what keeps them from being the whole
 * description: the chain from the page requested without a token, each next page the one requested with the
 * NextToken of the page before, to a page without NextToken, through every page given exactly once.
 */
function chainOf(group: ChangeSetPages): { pages: Page[]; problems: string[] } {
  const { label, pages } = group;
  const problems: string[] = [];
  const twice = (tokens: (string | undefined)[]) => tokens.some((t, i) => t !== undefined && tokens.indexOf(t) !== i);
  if (twice(pages.map((p) => p.NextToken)) || twice(pages.map((p) => p.RequestNextToken))) {
    problems.push(`${label}: a page is given more than once (the same NextToken twice)`);
  }
  const firsts = pages.filter((p) => p.RequestNextToken === undefined);
  if (firsts.length === 0) {
    problems.push(`${label}: its first page is missing (every page given was requested with a NextToken: give the page ` +
      'requested without one too)');
    return { pages, problems };
  }
  if (firsts.length > 1) {
    problems.push(`${label}: ${firsts.length} pages say no NextToken they were requested with, so whether a page is ` +
      `missing before or between them cannot be told (DescribeChangeSet pages do not say which page they are): ${PAGES_HINT}`);
    return { pages, problems };
  }
  const chain = [firsts[0]];
  for (let page = firsts[0]; page.NextToken !== undefined;) {
    const token = page.NextToken;
    const next = pages.find((p) => p.RequestNextToken === token);
    if (!next || chain.includes(next)) break;
    chain.push(next);
    page = next;
  }
  const unreached = pages.filter((p) => !chain.includes(p)).length;
  if (chain[chain.length - 1].NextToken !== undefined) {
    problems.push(unreached > 0
      ? `${label}: a page in the middle is missing (no page given was requested with the NextToken of page ${chain.length}; ` +
        `${unreached} more ${unreached === 1 ? 'page follows' : 'pages follow'} a page not given)`
      : `${label}: its last page is missing (every page given has a NextToken: give the pages that follow it too)`);
  } else if (unreached > 0) {
    problems.push(`${label}: ${unreached} ${unreached === 1 ? 'page given is' : 'pages given are'} not on the chain from the first ` +
      'page to the last: a page given twice, a page missing before them, or pages of different describe calls mixed');
  }
  return { pages: unreached === 0 ? chain : pages, problems };
}

/**
 * Evaluates a change set offline, as the workflow does: the root change set's changes, and the changes of
 * every nested change set whose pages are given, recursively, read by the workflow's page walker
 * (`change-set-reader.ts`). A nested stack whose change set is not given is judged as not inspected.
 */
export function checkChangeSet(policy: PolicyDocument, pages: readonly unknown[]): CheckResult {
  const groups = readPages(pages);
  const byKey = new Map(groups.map((g) => [g.key, g]));
  const byId = new Map(groups.filter((g) => g.key.startsWith('arn:')).map((g) => [g.key, g]));
  const root = rootOf(groups);

  // The pages of each change set in reading order: the chain when it is whole, else every page as given (what
  // is missing is said in `incomplete`, and the verdict is DENY, but every change given is still shown).
  const ordered = new Map(groups.map((g) => [g.key, chainOf(g)]));
  const walk = walkChangeSet<string, Page>({
    root: root.key,
    name: root.label,
    stopAtProblem: false,
    nestedChangeSet: (change) => {
      const nestedId = nestedChangeSetId(change);
      const nested = nestedId ? byId.get(nestedId) : undefined;
      return nested ? { changeSet: nested.key } : { notRead: notGivenReason(nestedId) };
    },
  });
  const read = readPagesSync(walk, ({ changeSet, token }) => {
    // Pages at hand are served in reading order: the token asks for the page at that place.
    const order = ordered.get(changeSet)!.pages;
    const at = token === undefined ? 0 : Number(token);
    return { ...order[at], NextToken: at + 1 < order.length ? String(at + 1) : undefined };
  });
  const incomplete = [
    ...groups.flatMap((g) => ordered.get(g.key)!.problems),
    ...read.problems.map(({ changeSet, problem }) => `${byKey.get(changeSet)!.label} ${problem}`),
  ];

  const changes: CheckedChange[] = read.changes.map(({ change, path, context }) => {
    const verdict = evaluateChange(policy, change, context);
    const properties = verdict.verdict === 'ALLOW' ? [] : propertyDiffs(change);
    return { ...verdict, ...(path.length > 0 ? { path } : {}), ...(properties.length > 0 ? { properties } : {}) };
  });
  const verdict = incomplete.length > 0 ? 'DENY' : combine(changes.map((c) => c.verdict));
  return { verdict, changes, incomplete };
}

/** The one change set no other change set given names as a nested stack's: the root the check starts from. */
function rootOf(groups: ChangeSetPages[]): ChangeSetPages {
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
  return roots[0];
}

function nestedChangeSetId(change: ChangeInput): string | undefined {
  const rc = withoutNulls(change)?.ResourceChange;
  return rc?.ResourceType === NESTED_STACK_TYPE && typeof rc.ChangeSetId === 'string' ? rc.ChangeSetId : undefined;
}

/** Why a nested stack's change set is not read: not given, or not created (a change set without nested stacks). */
function notGivenReason(nestedId: string | undefined): string {
  return nestedId
    ? `its change set was not given (describe it with --change-set-name ${nestedId})`
    : 'the change set was created without its nested stacks (create it with --include-nested-stacks)';
}
