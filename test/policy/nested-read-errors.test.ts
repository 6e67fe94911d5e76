/**
 * A nested stack's change set that fails to be read: a lasting error (the change set is gone, access denied) leaves
 * that stack not inspected, saying why; a passing one (throttling, a 5xx, a reset connection) reaches the caller,
 * whom the workflow retries, so that a busy API never turns an inspectable stack into a refused one.
 */
import { change, walkOptions } from './change-set-pages';
import { readPagesAsync, readPagesSync, walkChangeSet } from '../../src/policy/change-set-reader';
import type { ChangeSetPage, PageRequest } from '../../src/policy/change-set-reader';

const NESTED = 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/cs-Net-1/ab';

const options = walkOptions('root');

/** The root holds one nested stack; reading its change set fails with `error`. */
function failingNested(error: Error) {
  return (request: PageRequest<string>): ChangeSetPage => {
    if (request.changeSet === NESTED) throw error;
    return { Status: 'CREATE_COMPLETE', Changes: [change('Modify', 'Net', 'AWS::CloudFormation::Stack', { ChangeSetId: NESTED })] };
  };
}

const awsError = (name: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(name), { name, ...extra });

test.each<[string, Error]>([
  ['throttled (ThrottlingException)', awsError('ThrottlingException')],
  ['answered with a 503', awsError('ServiceUnavailable', { $metadata: { httpStatusCode: 503 } })],
  ['cut by a reset connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
])('GIVEN a nested change set whose read is %s THEN the error reaches the caller, to be retried, and the stack is not judged', async (_what, error) => {
  expect(() => readPagesSync(walkChangeSet(options), failingNested(error))).toThrow(error);
  await expect(readPagesAsync(walkChangeSet(options), async (r) => failingNested(error)(r))).rejects.toBe(error);
});

test('GIVEN a nested change set that is refused for good (AccessDenied) THEN its stack is not inspected, naming the error; the root is read', () => {
  const read = readPagesSync(walkChangeSet(options), failingNested(awsError('AccessDeniedException')));
  expect(read.rootProblems).toEqual([]);
  expect(read.changes.map((c) => c.context)).toEqual([{ nestedChangeSet: 'its change set could not be read (AccessDeniedException)' }]);
});
