/**
 * A deployment that does not wait on stack status events (a stack in another account or region, whose events never
 * reach this account's function) polls on the interval, even where the state machine can wait on events: every
 * choice between the two waits on events only when the deployment says `stackEvents: true`, not when it merely
 * says something.
 */
import { DEFAULT_ACTION, S, synthesizeWorkflow } from './harness';
import { allStates } from '../../demo/lib/definition';
import { forUnitStack } from '../../src/shared/state-names';

/** Every condition of a Choice, nested ones (And, Or, Not) included. */
function conditions(rule: any): any[] {
  return [rule, ...[...(rule.And ?? []), ...(rule.Or ?? []), ...(rule.Not ? [rule.Not] : [])].flatMap(conditions)];
}

test('GIVEN a state machine on events WHEN a deployment\'s stackEvents is false or missing THEN no choice of how to wait leads to the events', () => {
  const { definition } = synthesizeWorkflow(DEFAULT_ACTION, { stackEvents: true });
  const states = Object.fromEntries(allStates(definition));
  const how = [S.onEventsForUpdate, S.onEventsForCreation, forUnitStack(S.onEventsForUpdate), forUnitStack(S.onEventsForCreation)];
  for (const name of how) {
    const choice = states[name];
    expect(choice?.Type).toBe('Choice');
    const onStackEvents = (choice.Choices as any[]).flatMap(conditions).filter((c) => typeof c.Variable === 'string' && c.Variable.endsWith('.deployment.stackEvents'));
    // Exactly one test of the flag, and it asks for true: false, or a flag left out, goes to the poll.
    expect(onStackEvents).toHaveLength(1);
    expect(onStackEvents[0]).toEqual({ Variable: onStackEvents[0].Variable, BooleanEquals: true });
  }
});
