/**
 * The one page walker, on its own: what the workflow's inspection and the offline check both read change sets
 * with. Pages come from a source the test holds; the same walk runs awaited (the AWS SDK) or at once (files).
 */
import { change, walkOptions } from './change-set-pages';
import { IncompleteChangeSetError, readPagesAsync, readPagesSync, walkChangeSet } from '../../src/policy/change-set-reader';
import type { ChangeSetPage, PageRequest, WalkOptions } from '../../src/policy/change-set-reader';

const NESTED = 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/cs-Net-1/ab';

/** Pages by change set and NextToken (`''`: the first page), as DescribeChangeSet would answer them. */
const PAGES: Record<string, Record<string, ChangeSetPage>> = {
  root: {
    '': { Status: 'CREATE_COMPLETE', NextToken: 'p2', Changes: [change('Add', 'Queue', 'AWS::SQS::Queue')] },
    'p2': { Status: 'CREATE_COMPLETE', Changes: [change('Modify', 'Net', 'AWS::CloudFormation::Stack', { ChangeSetId: NESTED })] },
  },
  [NESTED]: { '': { Status: 'CREATE_COMPLETE', Changes: [change('Remove', 'Table', 'AWS::DynamoDB::Table')] } },
};

const options = (overrides: Partial<WalkOptions<string>> = {}) => walkOptions('root', overrides);

const from = (pages: typeof PAGES, requests: PageRequest<string>[] = []) => (request: PageRequest<string>): ChangeSetPage => {
  requests.push(request);
  const page = pages[request.changeSet]?.[request.token ?? ''];
  if (!page) throw Object.assign(new Error('not found'), { name: 'ChangeSetNotFoundException' });
  return page;
};

describe('the page walker', () => {
  test('GIVEN two pages and a nested change set THEN every change in order, each nested stack\'s changes right after it, the same awaited or at once', async () => {
    const requests: PageRequest<string>[] = [];
    const sync = readPagesSync(walkChangeSet(options()), from(PAGES, requests));
    const async = await readPagesAsync(walkChangeSet(options()), async (r) => from(PAGES)(r));
    expect(sync.changes.map((c) => [c.path.join('/'), c.change.ResourceChange?.LogicalResourceId, c.context.nestedChangeSet])).toEqual([
      ['', 'Queue', undefined], ['', 'Net', true], ['Net', 'Table', undefined],
    ]);
    expect(async).toEqual(sync);
    expect(sync).toMatchObject({ nestedChangeSets: 1, rootProblems: [], head: PAGES.root[''] });
    expect(requests.map((r) => [r.changeSet, r.token, r.withValues])).toEqual([
      ['root', undefined, true], ['root', 'p2', true], [NESTED, undefined, true],
    ]);
  });

  test('GIVEN DescribeChangeSet returning the same NextToken twice THEN the change set cannot be read (no endless paging)', () => {
    const looping = { root: { '': { Status: 'CREATE_COMPLETE', NextToken: 'x', Changes: [] }, 'x': { Status: 'CREATE_COMPLETE', NextToken: 'x', Changes: [] } } };
    expect(() => readPagesSync(walkChangeSet(options()), from(looping))).toThrow(IncompleteChangeSetError);
    expect(() => readPagesSync(walkChangeSet(options()), from(looping))).toThrow('DescribeChangeSet returned the same NextToken twice');
  });

  test('GIVEN more pages than the limit THEN the change set cannot be read', () => {
    expect(() => readPagesSync(walkChangeSet(options({ maxPages: 1 })), from(PAGES))).toThrow('change set cs has more than 1 pages');
  });

  test('GIVEN a nested change set that cannot be found THEN its stack is not inspected, saying why; the root is read on', () => {
    const { [NESTED]: _gone, ...withoutNested } = PAGES;
    const read = readPagesSync(walkChangeSet(options()), from(withoutNested));
    expect(read.changes[1].context).toEqual({ nestedChangeSet: 'its change set could not be read (ChangeSetNotFoundException)' });
    expect(read.rootProblems).toEqual([]);
  });

  test('GIVEN a root change set still being created THEN the workflow stops at that page; the offline check reads every page and says it once', () => {
    const pending = { root: { '': { Status: 'CREATE_IN_PROGRESS', NextToken: 'p2', Changes: [] }, 'p2': { Status: 'CREATE_IN_PROGRESS', Changes: [] } } };
    const requests: PageRequest<string>[] = [];
    const workflow = readPagesSync(walkChangeSet(options()), from(pending, requests));
    expect(workflow.rootProblems).toEqual(['is still being created (CREATE_IN_PROGRESS): describe it again once it is CREATE_COMPLETE']);
    expect(requests).toHaveLength(1);
    const offline = readPagesSync(walkChangeSet(options({ stopAtProblem: false })), from(pending));
    expect(offline.problems).toEqual([{ changeSet: 'root', problem: workflow.rootProblems[0] }]);
  });

  test('GIVEN a description CloudFormation says left changes out THEN the workflow reads it again without property values', () => {
    const warned = '[WARN] --include-property-values option can return incomplete ChangeSet data because: x';
    const requests: PageRequest<string>[] = [];
    const source = (r: PageRequest<string>): ChangeSetPage => {
      requests.push(r);
      return { Status: 'CREATE_COMPLETE', ...(r.withValues ? { StatusReason: warned } : {}), Changes: [change('Add', 'Queue', 'AWS::SQS::Queue')] };
    };
    const read = readPagesSync(walkChangeSet(options()), source);
    expect(requests.map((r) => r.withValues)).toEqual([true, false]);
    expect(read.rootProblems).toEqual([]);
    expect(read.changes).toHaveLength(1);
    const offline = readPagesSync(walkChangeSet(options({ stopAtProblem: false })), source);
    expect(offline.problems[0].problem).toMatch(/was described incompletely: .*describe it again without --include-property-values/);
  });
});
