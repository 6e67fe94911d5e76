/**
 * Masking when the judgement cannot be made as usual: a value whose resource type is not known is judged by every
 * type's secret properties, and a secretlint rule that answers only later (a Promise) cannot clear the text now.
 * Both mask: when unsure, mask.
 */
import { MASKED, isSafeToShow, shownValue } from '../../src/policy/safe-value';

describe('GIVEN a value whose resource type is not known', () => {
  test.each([
    ['a Lambda environment variable', 'Environment/Variables/LOG_LEVEL', 'debug'],
    ['an SSM parameter\'s value', 'Value', 'plain-looking'],
    ['a Glue job argument', 'DefaultArguments/--conf', 'spark.executor.memory=2g'],
  ])('WHEN it sits where some type keeps secrets (%s) THEN it is masked, whatever it looks like', (_what, path, value) => {
    expect(isSafeToShow(value, { path })).toBe(false);
    expect(shownValue(value, { path })).toBe(MASKED);
  });

  test('WHEN the same value at the same place has a type that keeps no secret there THEN it is shown', () => {
    expect(shownValue('debug', { resourceType: 'AWS::S3::Bucket', path: 'Environment/Variables/LOG_LEVEL' })).toBe('debug');
  });
});

describe('GIVEN a secretlint rule that answers with a Promise', () => {
  afterEach(() => {
    jest.dontMock('@secretlint/secretlint-rule-preset-recommend');
  });

  test('WHEN a value is judged THEN it is masked: the answer is needed now (fail closed)', () => {
    jest.isolateModules(() => {
      jest.doMock('@secretlint/secretlint-rule-preset-recommend', () => ({
        rules: [
          { meta: { id: 'sync-rule' }, create: () => ({ file: () => undefined }) },
          { meta: { id: 'async-rule' }, create: () => ({ file: async () => undefined }) },
        ],
      }));
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const isolated = require('../../src/policy/safe-value') as typeof import('../../src/policy/safe-value');
      expect(isolated.isSafeToShow('t3.micro')).toBe(false);
      expect(isolated.maskSecrets('any words')).toBe(MASKED);
    });
  });

  test('WHEN every rule answers at once and finds nothing THEN the value is shown (the check above is not masking everything)', () => {
    jest.isolateModules(() => {
      jest.doMock('@secretlint/secretlint-rule-preset-recommend', () => ({
        rules: [{ meta: { id: 'sync-rule' }, create: () => ({ file: () => undefined }) }],
      }));
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const isolated = require('../../src/policy/safe-value') as typeof import('../../src/policy/safe-value');
      expect(isolated.isSafeToShow('t3.micro')).toBe(true);
      expect(isolated.maskSecrets('any words')).toBe('any words');
    });
  });
});
