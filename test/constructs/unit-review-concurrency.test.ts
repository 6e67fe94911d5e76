/**
 * A unit's stacks are reviewed in parallel, five at a time: a unit of many stacks does not start all their change
 * sets and reads at once (CloudFormation throttles an account's calls), nor one by one.
 */
import { S, synthesizeUnit } from '../executions/harness';

test('GIVEN a unit of stacks WHEN synthesized THEN the review Map runs at most five stack reviews at once', () => {
  const { definition } = synthesizeUnit();
  const review = definition.States[S.reviewUnitStacks] as Record<string, unknown>;
  expect(review.Type).toBe('Map');
  expect(review.MaxConcurrency).toBe(5);
});
