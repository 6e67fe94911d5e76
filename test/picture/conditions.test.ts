/**
 * Choice rules in short readable form, as the picture's edge labels show them.
 */
import { describeCondition } from '../../src/picture';
import { wrapLabel } from '../../src/picture/conditions';

test.each([
  [{ Variable: '$.operation.outcome', StringEquals: 'SUCCEEDED' }, '$.operation.outcome == "SUCCEEDED"'],
  [{ Variable: '$.count', NumericGreaterThanEquals: 3 }, '$.count >= 3'],
  [{ Variable: '$.count', NumericLessThanPath: '$.limit' }, '$.count < $.limit'],
  [{ Variable: '$.ok', BooleanEquals: false }, '$.ok == false'],
  [{ Variable: '$.at', TimestampGreaterThan: '2025-01-01T00:00:00Z' }, '$.at > "2025-01-01T00:00:00Z"'],
  [{ Variable: '$.name', StringMatches: 'log-*.txt' }, '$.name matches "log-*.txt"'],
  [{ Variable: '$.x', IsPresent: true }, 'present $.x'],
  [{ Variable: '$.x', IsPresent: false }, 'not present $.x'],
  [{ Not: { Variable: '$.x', IsPresent: true } }, 'not present $.x'],
  [{ Not: { Variable: '$.kind', StringEquals: 'A' } }, '$.kind != "A"'],
  [{ Not: { Variable: '$.n', NumericLessThan: 1 } }, 'not($.n < 1)'],
  [{ Variable: '$.x', IsNull: true }, '$.x == null'],
  [{ Variable: '$.x', IsString: false }, '$.x is not a string'],
  [{ And: [{ Variable: '$.a', StringEquals: 'x' }, { Not: { Variable: '$.b', IsPresent: true } }] }, 'and($.a == "x", not present $.b)'],
  [{ Or: [{ Variable: '$.a', NumericEquals: 1 }, { Variable: '$.a', NumericEquals: 2 }] }, 'or($.a == 1, $.a == 2)'],
  [{ Condition: '{% $states.input.ready = true %}' }, '$states.input.ready = true'],
  [{ Variable: '$.x', SomethingNew: 1 }, '(condition)'],
])('GIVEN the rule %j THEN its label is %s', (rule, label) => {
  expect(describeCondition({ ...rule, Next: 'Somewhere' })).toBe(label);
});

test('GIVEN a long and(...) WHEN wrapped THEN each operand gets its own indented line and no line is longer than the width', () => {
  const lines = wrapLabel('and($.deployment.onUnsafe.type == "deployToNewStack", not present $.deployment.previousStackName)');
  expect(lines).toEqual(['and(', '  $.deployment.onUnsafe.type == "deployToNewStack",', '  not present $.deployment.previousStackName)']);
  expect(wrapLabel('$.a == "b"')).toEqual(['$.a == "b"']);
  for (const line of wrapLabel('or($.a == "a very long value that goes on and on and on", $.b == 1)', 30)) {
    expect(line.length <= 30 || !line.trim().includes(' ')).toBe(true);
  }
});
