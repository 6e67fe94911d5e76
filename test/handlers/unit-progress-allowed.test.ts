/**
 * What a unit's progress says of the stacks the tests of every other state leave out: prepared change sets allowed
 * (the pipeline executes them next, so they are not deployed yet), a stack interrupted by an error, and a stack
 * reviewed but not deployed.
 */
import { progress } from '../../src/workflow/tasks/unit';

test('GIVEN prepared change sets allowed and one stack up to date WHEN the progress is told THEN the allowed are not said to be deployed', () => {
  const told = progress([
    { stackName: 'Prod-Data', status: 'ALLOWED' }, { stackName: 'Prod-Topics', status: 'NO_CHANGES' }, { stackName: 'Prod-Api', status: 'ALLOWED' },
  ]);
  expect(told).toBe('Up to date: Prod-Topics. Allowed (the pipeline executes them next): Prod-Data, Prod-Api.');
  expect(told).not.toContain('Deployed');
});

test('GIVEN a stack interrupted by an error and one reviewed but not deployed WHEN the progress is told THEN each is named under what happened to it', () => {
  expect(progress([
    { stackName: 'a', status: 'UPDATED' }, { stackName: 'b', status: 'INTERRUPTED' }, { stackName: 'c', status: 'REVIEWED' },
  ])).toBe('Deployed: a. Interrupted by the error (see the stack for how it ended): b. Untouched: c.');
});
