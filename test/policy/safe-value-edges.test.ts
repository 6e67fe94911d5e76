/**
 * Masking at its edges: a value cut short after a secret's name is masked to the end of the text, a quote after
 * an even number of backslashes closes a JSON string, the shortest random token and hex key count, and a name
 * around a value masks it whatever the value looks like.
 */
import { MASKED, isSafeToShow, maskSecrets, shownValue } from '../../src/policy/safe-value';

describe('a value cut short after a secret\'s name is masked whole, to the end of the text', () => {
  test.each([
    ['a quoted value whose closing quote was cut off', 'the connection failed: db password: "correct horse battery staple', 'correct horse'],
    ['an object that was cut off', 'deploy failed with secret={"first":"correct horse battery staple', 'correct horse'],
    ['a list that was cut off', 'deploy failed with secret=["correct horse", "battery staple"', 'battery staple'],
  ])('%s', (_what, text, secret) => {
    const masked = maskSecrets(text);
    expect(masked).not.toContain(secret);
    expect(masked).toContain(MASKED);
  });
});

test('GIVEN a JSON secret ending in an escaped backslash WHEN masked THEN its closing quote ends it: what follows is kept as it was', () => {
  // The value is `ab\\` (two backslashes, JSON for one): the quote after them closes the string.
  expect(maskSecrets('{"password": "ab\\\\", "region": "eu-west-1"}')).toBe(`{"password": "${MASKED}", "region": "eu-west-1"}`);
  // After an odd number of backslashes the quote is inside the string: the value goes on.
  expect(maskSecrets('{"password": "a\\"b c", "region": "eu-west-1"}')).toBe(`{"password": "${MASKED}", "region": "eu-west-1"}`);
});

describe('the shortest secrets found by their randomness', () => {
  test('GIVEN a random token of exactly 20 letters and digits in free text WHEN masked THEN it is masked', () => {
    expect(maskSecrets('the value Xk9Qz2Lm7Rt4Wv8Yb3Np was set')).toBe(`the value ${MASKED} was set`);
  });

  test('GIVEN a hex key of exactly 32 digits in free text WHEN masked THEN it is masked', () => {
    expect(maskSecrets('the value 9f86d081884c7d659a2feaa0c55ad015 was set')).toBe(`the value ${MASKED} was set`);
  });
});

test('GIVEN a value that looks harmless under a name that marks it as a secret WHEN shown THEN it is masked', () => {
  expect(isSafeToShow('eu-west-1', { namedSecret: true })).toBe(false);
  expect(shownValue('eu-west-1', { namedSecret: true })).toBe(MASKED);
  expect(shownValue('eu-west-1')).toBe('eu-west-1');
});
