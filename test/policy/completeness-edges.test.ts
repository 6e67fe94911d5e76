/**
 * Whether a described change set can be judged, at its edges: every reason CloudFormation gives for a change set
 * without changes, its warning that a description with property values left changes out however the option is
 * written, and a long failure reason kept short.
 */
import { completenessProblem, isIncompleteDescription, isNoChangesReason } from '../../src/policy/completeness';

test.each([
  'The submitted information didn\'t contain changes. Submit different information to create a change set.',
  'No updates are to be performed.',
  'The change set does not contain any changes.',
])('GIVEN a FAILED change set whose reason is "%s" THEN it holds no changes, and nothing keeps it from being judged', (reason) => {
  expect(isNoChangesReason(reason)).toBe(true);
  expect(completenessProblem('FAILED', reason)).toBeUndefined();
});

test('GIVEN a FAILED change set for another reason THEN it cannot be judged, and the reason says why', () => {
  expect(completenessProblem('FAILED', 'Template format error: Unresolved resource dependencies [Vpc]')).toBe('failed: Template format error: Unresolved resource dependencies [Vpc]');
  expect(completenessProblem('FAILED', undefined)).toBe('failed: no reason given');
});

test('GIVEN a failure reason of 2,000 characters THEN the problem quotes its start only, and says it was cut', () => {
  const reason = `Template error: ${'x'.repeat(2000)}`;
  const problem = completenessProblem('FAILED', reason)!;
  expect(problem).toBe(`failed: ${reason.slice(0, 285)} ... (truncated)`);
  // A reason of 300 characters is quoted whole.
  expect(completenessProblem('FAILED', 'y'.repeat(300))).toBe(`failed: ${'y'.repeat(300)}`);
});

test.each([
  '[WARN] --include-property-values option can return incomplete ChangeSet data because: Logical Id: Config, failed property validation',
  '[WARN] IncludePropertyValues option can return incomplete ChangeSet data because: Logical Id: Config, failed property validation',
  '[WARN] --includePropertyValues option can return incomplete ChangeSet data because: a nested stack',
])('GIVEN CloudFormation\'s warning "%s" THEN the description is incomplete', (reason) => {
  expect(isIncompleteDescription(reason)).toBe(true);
});

test.each([
  ['CREATE_PENDING', 'is still being created (CREATE_PENDING): describe it again once it is CREATE_COMPLETE'],
  ['CREATE_IN_PROGRESS', 'is still being created (CREATE_IN_PROGRESS): describe it again once it is CREATE_COMPLETE'],
  ['DELETE_COMPLETE', 'is DELETE_COMPLETE, not CREATE_COMPLETE'],
  [undefined, 'has no Status, so whether it is complete is unknown'],
])('GIVEN a change set that is %s THEN it cannot be judged yet', (status, problem) => {
  expect(completenessProblem(status, undefined)).toBe(problem);
  expect(completenessProblem('CREATE_COMPLETE', undefined)).toBeUndefined();
});
