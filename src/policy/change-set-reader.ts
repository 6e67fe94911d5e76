/**
 * The one page walker: reads a change set page by page and the change sets of its nested stacks, recursively,
 * for the workflow's inspection (pages from DescribeChangeSet) and for the offline check (pages given as files).
 * Where the pages come from is injected: the walk asks for one page at a time (which change set, the NextToken
 * it is requested with, with or without property values) and a driver answers, awaiting the AWS SDK
 * (`readPagesAsync`) or looking in what was given (`readPagesSync`). The walk follows NextToken from the first
 * page to the last, refuses a NextToken given twice, checks that every page can be judged (complete, nothing
 * left out), and reads a nested stack's change set right after the change that names it, so every change is
 * listed before the changes inside it, in the order CloudFormation lists them. Pure.
 */
import { completenessProblem, isIncompleteDescription } from './completeness';
import { NESTED_STACK_TYPE, withoutNulls } from './evaluate';
import type { ChangeContext, ChangeInput } from './evaluate';
import { FAILURE_NAMES, isTransient } from '../shared/errors';

/** The fields of a DescribeChangeSet page the walk reads. */
export interface ChangeSetPage {
  readonly Status?: string;
  readonly StatusReason?: string;
  readonly NextToken?: string;
  readonly Changes?: ChangeInput[];
}

/** One page to read: of which change set, requested with which NextToken (none: the first), with property values or not. */
export interface PageRequest<R> {
  readonly changeSet: R;
  readonly token?: string;
  readonly withValues: boolean;
}

/** A change, where it sits (the logical ids of the nested stacks around it, outermost first), and whether a nested stack's own change set was inspected. */
export interface LocatedChange {
  readonly change: ChangeInput;
  readonly path: string[];
  readonly context: ChangeContext;
}

/** The change set cannot be judged: it is not complete, or CloudFormation left changes out of its description. */
export class IncompleteChangeSetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = FAILURE_NAMES.incompleteChangeSet;
  }
}

/** How deep nested stacks are read: a nested stack below this many is not inspected. */
export const MAX_NESTING = 10;

export interface WalkOptions<R> {
  /** The change set to start from. */
  readonly root: R;
  /** How the change set is named in an error (`change set NAME has more than ... pages`). */
  readonly name: string;
  /**
   * The workflow (true): a change set stops being read at its first page that cannot be judged, and a
   * description CloudFormation says left changes out is read again without property values. The offline check
   * (false): every page given is read and every problem said once per change set, and a nested stack whose
   * pages were read counts as inspected (its problems make the whole check incomplete).
   */
  readonly stopAtProblem: boolean;
  /** At most this many pages in all. @default no limit */
  readonly maxPages?: number;
  /**
   * For a nested stack's change: its change set to read, or why it is not read (then the stack is not
   * inspected).
   */
  nestedChangeSet(change: ChangeInput): { readonly changeSet: R } | { readonly notRead: string };
}

/** What a walk read. */
export interface WalkedChangeSet<R, P extends ChangeSetPage> {
  /** The first page of the root change set (its description); undefined when it could not be read. */
  readonly head?: P;
  /** Every change, the changes of a nested stack right after it. */
  readonly changes: LocatedChange[];
  /** How many nested change sets were read. */
  readonly nestedChangeSets: number;
  /** Why the root change set cannot be judged (the workflow: the first reason; the offline check: every one). */
  readonly rootProblems: string[];
  /** Why change sets read cannot be judged: each change set (the root's too) with its problems, in reading order. */
  readonly problems: { readonly changeSet: R; readonly problem: string }[];
}

/** The walk: yields the page it needs next, receives it (or has the source's error thrown in), returns what it read. */
export type PageWalk<R, P extends ChangeSetPage> = Generator<PageRequest<R>, WalkedChangeSet<R, P>, P>;

/** Reads a change set and its nested stacks' change sets; see the module's description. */
export function* walkChangeSet<R, P extends ChangeSetPage>(options: WalkOptions<R>): PageWalk<R, P> {
  const walk: Walk<R, P> = { options, changes: [], problems: [], nestedChangeSets: 0, pages: 0 };
  const rootProblems = yield* visit(walk, options.root, []);
  const { head, changes, nestedChangeSets, problems } = walk;
  return { ...(head ? { head } : {}), changes, nestedChangeSets, rootProblems, problems };
}

/** What a walk has read so far, shared by every change set it visits. */
interface Walk<R, P extends ChangeSetPage> {
  readonly options: WalkOptions<R>;
  readonly changes: LocatedChange[];
  readonly problems: { changeSet: R; problem: string }[];
  nestedChangeSets: number;
  pages: number;
  head?: P;
}

/** A step of the walk: yields the pages it needs, returns `T`. */
type WalkStep<R, P extends ChangeSetPage, T> = Generator<PageRequest<R>, T, P>;

/** Reads one change set and the change sets below it; returns why it cannot be judged (empty: it can). */
function* visit<R, P extends ChangeSetPage>(walk: Walk<R, P>, changeSet: R, path: string[]): WalkStep<R, P, string[]> {
  const read = yield* pagesOf(walk, changeSet);
  if (path.length === 0) walk.head ??= read.pages[0];
  for (const problem of read.problems) walk.problems.push({ changeSet, problem });
  if (walk.options.stopAtProblem && read.problems.length > 0) return read.problems;
  for (const page of read.pages) {
    for (const change of page.Changes ?? []) {
      // The change first, then the changes inside it (a nested stack's), in the order CloudFormation lists them.
      const at = walk.changes.push({ change, path, context: {} }) - 1;
      const context = yield* nestedContext(walk, change, path);
      if (context.nestedChangeSet !== undefined) walk.changes[at] = { change, path, context };
    }
  }
  return read.problems;
}

/**
 * Every page of one change set, from the first, following NextToken. With property values first (what each
 * property changes from and to, for the people who read the verdict); when the workflow reads a description
 * that CloudFormation says left changes out, it reads it again without values: every change, fewer words.
 */
function* pagesOf<R, P extends ChangeSetPage>(walk: Walk<R, P>, changeSet: R): WalkStep<R, P, { pages: P[]; problems: string[] }> {
  const { options } = walk;
  for (const withValues of options.stopAtProblem ? [true, false] : [true]) {
    const read: P[] = [];
    const found: string[] = [];
    const seen = new Set<string>();
    let token: string | undefined;
    let incomplete = false;
    do {
      if (options.maxPages !== undefined && ++walk.pages > options.maxPages) {
        throw new IncompleteChangeSetError(`change set ${options.name} has more than ${options.maxPages} pages`);
      }
      const page: P = yield { changeSet, token, withValues };
      const problem = completenessProblem(page.Status, page.StatusReason);
      if (problem && options.stopAtProblem) return { pages: read, problems: [problem] };
      if (problem && !found.includes(problem)) found.push(problem);
      incomplete ||= isIncompleteDescription(page.StatusReason);
      read.push(page);
      token = page.NextToken;
      if (token && seen.has(token)) throw new IncompleteChangeSetError('DescribeChangeSet returned the same NextToken twice');
      if (token) seen.add(token);
    } while (token);
    if (!incomplete) return { pages: read, problems: found };
    if (!options.stopAtProblem) {
      found.push('was described incompletely: CloudFormation says property values made it leave changes out ' +
        '(describe it again without --include-property-values)');
      return { pages: read, problems: found };
    }
  }
  return { pages: [], problems: ['was described incompletely (CloudFormation left changes out)'] };
}

/** For a nested stack: read its change set first, then say whether it was inspected. */
function* nestedContext<R, P extends ChangeSetPage>(walk: Walk<R, P>, change: ChangeInput, path: string[]): WalkStep<R, P, ChangeContext> {
  const rc = withoutNulls(change)?.ResourceChange;
  if (rc?.ResourceType !== NESTED_STACK_TYPE) return {};
  const nested = walk.options.nestedChangeSet(change);
  if ('notRead' in nested) return { nestedChangeSet: nested.notRead };
  if (path.length + 1 > MAX_NESTING) return { nestedChangeSet: `it is nested deeper than ${MAX_NESTING} levels` };
  walk.nestedChangeSets++;
  let found: string[];
  try {
    found = yield* visit(walk, nested.changeSet, [...path, rc.LogicalResourceId ?? '(nested)']);
  } catch (e) {
    if (isTransient(e) || e instanceof IncompleteChangeSetError) throw e;
    found = [`could not be read (${(e as Error).name})`];
  }
  return { nestedChangeSet: walk.options.stopAtProblem && found.length > 0 ? `its change set ${found[0]}` : true };
}

/** Runs a walk on pages read with the AWS SDK (or any source that answers later); the source's errors reach the walk. */
export async function readPagesAsync<R, P extends ChangeSetPage>(
  walk: PageWalk<R, P>, source: (request: PageRequest<R>) => Promise<P>,
): Promise<WalkedChangeSet<R, P>> {
  let step = walk.next();
  while (!step.done) {
    let page: P;
    try {
      page = await source(step.value);
    } catch (e) {
      step = walk.throw(e);
      continue;
    }
    step = walk.next(page);
  }
  return step.value;
}

/** Runs a walk on pages already at hand (the offline check's files). */
export function readPagesSync<R, P extends ChangeSetPage>(
  walk: PageWalk<R, P>, source: (request: PageRequest<R>) => P,
): WalkedChangeSet<R, P> {
  let step = walk.next();
  while (!step.done) {
    let page: P;
    try {
      page = source(step.value);
    } catch (e) {
      step = walk.throw(e);
      continue;
    }
    step = walk.next(page);
  }
  return step.value;
}
