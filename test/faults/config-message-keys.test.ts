/**
 * The configuration's problems name keys and stack names that someone wrote (UserParameters, the S3 input file):
 * a name reaches the pipeline's message and the function's log, so it is shown quoted (a line break or a control
 * character stays visible, and cannot start a line of its own) and cut short when it is long. A value of an unknown
 * key is never shown.
 */
import { configProblems, validateConfig } from '../../src/shared/config';

const VALID = { stackName: 'sample-app', templatePath: 'cdk.out/App.json' };
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function problems(config: Record<string, unknown>): string {
  return configProblems(config).join('; ');
}

test.each<[string, Record<string, unknown>, string]>([
  ['a parameterOutputs parameter with a line break', { stacks: ['a', { stackName: 'b', parameterOutputs: { 'P\nApproved by: admin': 'nope' } }] },
    'parameterOutputs["P\\nApproved by: admin"] is "nope"'],
  ['a parameterOutputs parameter with a line break, naming a later stack',
    { stacks: [{ stackName: 'b', parameterOutputs: { 'P\r\nVerdict: ALLOW': 'a.Out' } }, 'a'] }, 'parameterOutputs["P\\r\\nVerdict: ALLOW"] names "a"'],
  ['a stack named twice with a line break', { stacks: ['a\nb', 'a\nb'] }, 'stack "a\\nb" is in the unit twice'],
  ['an unknown key with an escape sequence', { ...VALID, ['\u001b[2Jx']: 1 }, 'unknown keys "\\u001b[2Jx"'],
])('GIVEN %s THEN the problem shows it quoted, with no control character', (_what, config, shown) => {
  const message = problems(config);
  expect(message).toContain(shown);
  expect(message).not.toMatch(CONTROL);
});

test('GIVEN an unknown key of 20000 characters in the S3 input file THEN the problem shows its start, cut short, and lists the known keys', () => {
  const key = `x${'k'.repeat(19999)}`;
  let message = '';
  try {
    validateConfig(VALID, { [key]: 'secret-value' });
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message).toMatch(/unknown keys "xk+…" \(known: /);
  expect(message.length).toBeLessThan(1000);
  expect(message).not.toContain('secret-value');
});

test('GIVEN a unit stack\'s unknown key of 20000 characters THEN it is cut short too', () => {
  const message = problems({ stacks: [{ stackName: 'a', ['y'.repeat(20000)]: 1 }] });
  expect(message).toMatch(/"stacks"\[0\] has unknown keys "y+…" \(known: /);
  expect(message.length).toBeLessThan(1000);
});

test('GIVEN a plain parameter name or stack name THEN it is shown as before, unquoted', () => {
  expect(problems({ stacks: ['a', { stackName: 'b', parameterOutputs: { P: 'a' } }] })).toContain('stacks[1]: parameterOutputs.P is "a"');
  expect(problems({ stacks: ['a', 'a'] })).toContain('stacks[1]: stack a is in the unit twice');
});
