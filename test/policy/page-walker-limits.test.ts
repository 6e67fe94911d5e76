/**
 * The page walker's limits, at their edges: a change set of exactly the page limit is read, one page more is not;
 * nested stacks exactly as deep as the nesting limit are inspected, one level deeper is not (and so refused).
 */
import { change, walkOptions } from './change-set-pages';
import { IncompleteChangeSetError, MAX_NESTING, readPagesSync, walkChangeSet } from '../../src/policy/change-set-reader';
import type { ChangeSetPage, PageRequest, WalkOptions } from '../../src/policy/change-set-reader';

const options = (overrides: Partial<WalkOptions<string>> = {}) => walkOptions('level0', overrides);

describe('the page limit', () => {
  /** One change set of `count` pages, each adding a queue. */
  const pagesOf = (count: number) => (request: PageRequest<string>): ChangeSetPage => {
    const at = request.token === undefined ? 1 : Number(request.token);
    return { Status: 'CREATE_COMPLETE', ...(at < count ? { NextToken: String(at + 1) } : {}), Changes: [change('Add', `Queue${at}`, 'AWS::SQS::Queue')] };
  };

  test('GIVEN a change set of exactly the limit\'s pages THEN every page is read', () => {
    const read = readPagesSync(walkChangeSet(options({ maxPages: 3 })), pagesOf(3));
    expect(read.changes.map((c) => c.change.ResourceChange?.LogicalResourceId)).toEqual(['Queue1', 'Queue2', 'Queue3']);
  });

  test('GIVEN one page more than the limit THEN the change set cannot be read, saying the limit', () => {
    expect(() => readPagesSync(walkChangeSet(options({ maxPages: 2 })), pagesOf(3))).toThrow(IncompleteChangeSetError);
    expect(() => readPagesSync(walkChangeSet(options({ maxPages: 2 })), pagesOf(3))).toThrow('change set cs has more than 2 pages');
  });
});

describe('the nesting limit', () => {
  /** A chain of nested stacks `depth` deep: level N holds the stack Nested<N+1>, whose change set is level N+1; the last removes a table. */
  const nestedChain = (depth: number) => (request: PageRequest<string>): ChangeSetPage => {
    const level = Number(request.changeSet.replace('level', ''));
    return {
      Status: 'CREATE_COMPLETE',
      Changes: [level < depth
        ? change('Modify', `Nested${level + 1}`, 'AWS::CloudFormation::Stack', { ChangeSetId: `level${level + 1}` })
        : change('Remove', 'Table', 'AWS::DynamoDB::Table')],
    };
  };

  test(`GIVEN nested stacks exactly ${MAX_NESTING} levels deep THEN each is inspected, down to the table removed at the bottom`, () => {
    const read = readPagesSync(walkChangeSet(options()), nestedChain(MAX_NESTING));
    expect(read.nestedChangeSets).toBe(MAX_NESTING);
    expect(read.changes.filter((c) => c.context.nestedChangeSet !== true).map((c) => c.change.ResourceChange?.LogicalResourceId)).toEqual(['Table']);
    expect(read.changes[read.changes.length - 1].path).toHaveLength(MAX_NESTING);
  });

  test(`GIVEN nested stacks ${MAX_NESTING + 1} levels deep THEN the deepest is not inspected, saying why, and its change set is not read`, () => {
    const requests: string[] = [];
    const source = nestedChain(MAX_NESTING + 1);
    const read = readPagesSync(walkChangeSet(options()), (r) => {
      requests.push(r.changeSet);
      return source(r);
    });
    expect(read.nestedChangeSets).toBe(MAX_NESTING);
    const deepest = read.changes[read.changes.length - 1];
    expect(deepest.change.ResourceChange?.LogicalResourceId).toBe(`Nested${MAX_NESTING + 1}`);
    expect(deepest.context).toEqual({ nestedChangeSet: `it is nested deeper than ${MAX_NESTING} levels` });
    expect(requests).not.toContain(`level${MAX_NESTING + 1}`);
  });
});
