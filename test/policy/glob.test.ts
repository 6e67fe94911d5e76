/**
 * Globs of rules (`*` any run, `?` one character): the same answers as a regular expression would give, in
 * time that does not explode on the patterns that make a backtracking regular expression run for minutes.
 */
import * as fc from 'fast-check';
import { globMatches } from '../../src/policy/glob';

/** The obvious implementation, as an oracle on inputs too small to backtrack badly. */
function viaRegExp(glob: string, value: string): boolean {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's').test(value);
}

describe('globMatches', () => {
  test.each([
    ['AWS::IAM::*', 'AWS::IAM::Role', true],
    ['AWS::*::Role?', 'AWS::IAM::RoleA', true],
    ['AWS::*::Role?', 'AWS::IAM::Role', false],
    ['a.b', 'axb', false],
    ['[x]+', '[x]+', true],
    ['[x]+', 'xx', false],
    ['*', '', true],
    ['', '', true],
    ['', 'a', false],
    ['?', '', false],
    ['*Db', 'OrdersDb', true],
    ['*Db', 'OrdersDbX', false],
    ['Orders*Table*', 'OrdersMainTable', true],
    ['a*b*a', 'aba', true],
    ['a*b*a', 'ab', false],
  ])('GIVEN glob %j and value %j THEN it matches: %s', (glob, value, expected) => {
    expect(globMatches(glob, value)).toBe(expected);
    expect(viaRegExp(glob, value)).toBe(expected);
  });

  test('GIVEN any small glob over a, b, *, ? and any small value THEN the answer is the regular expression\'s', () => {
    const glob = fc.stringOf(fc.constantFrom('a', 'b', '*', '?', ':'), { maxLength: 8 });
    const value = fc.stringOf(fc.constantFrom('a', 'b', ':'), { maxLength: 10 });
    fc.assert(fc.property(glob, value, (g, v) => globMatches(g, v) === viaRegExp(g, v)));
  });

  test('GIVEN the globs that make a backtracking regular expression explode THEN each answers at once', () => {
    // `.*.*.*.*.*.*.*.*Db` against 5,000 characters, and `*a*a*...*b` against a run of a's: minutes for a regex.
    const cases: [string, string][] = [
      ['********Db', 'x'.repeat(5_000)],
      [`${'*a'.repeat(20)}*b`, 'a'.repeat(5_000)],
      [`AWS::${'*?'.repeat(30)}c`, `AWS::${'a'.repeat(5_000)}`],
    ];
    for (const [glob, value] of cases) expect(globMatches(glob, value)).toBe(false);
  });
});
