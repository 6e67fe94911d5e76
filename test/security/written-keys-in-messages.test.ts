/**
 * Keys someone wrote in a file the workflow reads (the template configuration file in the input artifact, which
 * whoever commits to the source writes; a policy or strategy document in UserParameters or the CLI's files) reach
 * the pipeline's message and the function's log when they are refused. Such a key is shown quoted when it is not a
 * plain name (a line break or a control character stays visible and cannot start a line of its own, as the
 * configuration's own keys are shown) and cut short when it is long; a plain name is shown as it is.
 */
import { validateConfig } from '../../src/shared/config';
import { validatePolicyDocument, validateUnsafeDocument } from '../../src/shared/validate-document';
import { parseTemplateConfiguration } from '../../src/workflow/artifact';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const FORGED_LINE = 'x\nDeployment succeeded: approved by security-team';

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('the template configuration file in the input artifact', () => {
  test('GIVEN an unknown key with a line break THEN the refusal shows it quoted, with no control character', () => {
    const message = refusal(() => parseTemplateConfiguration(JSON.stringify({ Parameters: {}, [FORGED_LINE]: 1 }), 'config/prod.json'));
    expect(message).toContain(JSON.stringify(FORGED_LINE));
    expect(message).not.toMatch(CONTROL);
  });

  test('GIVEN an unknown key of 20000 characters THEN the refusal shows its start, cut short', () => {
    const message = refusal(() => parseTemplateConfiguration(JSON.stringify({ ['k'.repeat(20_000)]: 1 }), 'config/prod.json'));
    expect(message.length).toBeLessThan(300);
    expect(message).toMatch(/has unknown keys "k+…" \(known: Parameters, Tags, StackPolicy\)/);
  });

  test('GIVEN a plain misspelt key THEN it is shown as before, unquoted', () => {
    expect(refusal(() => parseTemplateConfiguration(JSON.stringify({ Parameter: {} }), 'c.json')))
      .toBe('c.json has unknown keys Parameter (known: Parameters, Tags, StackPolicy)');
  });
});

describe('a policy or strategy document', () => {
  test.each<[string, () => string[]]>([
    ['a strategy', () => validateUnsafeDocument({ type: 'fail', [FORGED_LINE]: 1 })],
    ['a policy', () => validatePolicyDocument({ type: 'allowAll', [FORGED_LINE]: 1 })],
    ['a policy\'s rule', () => validatePolicyDocument({ type: 'rules', rules: [{ verdict: 'DENY', actions: ['Remove'], [FORGED_LINE]: 1 }] })],
  ])('GIVEN %s with an unknown key holding a line break THEN the problem shows it quoted, with no control character', (_what, problems) => {
    const message = problems().join('; ');
    expect(message).toContain(JSON.stringify(FORGED_LINE));
    expect(message).not.toMatch(CONTROL);
  });

  test('GIVEN UserParameters whose strategy has such a key THEN the run-time refusal shows it quoted', () => {
    const message = refusal(() => validateConfig({ v: 1, stackName: 'app', templatePath: 'app.json', onUnsafe: { type: 'fail', [FORGED_LINE]: 1 } }));
    expect(message).not.toMatch(CONTROL);
  });
});

describe('line and paragraph separators, C1 controls and direction overrides, which JSON.stringify leaves as they are', () => {
  const BREAKS = /[\u0080-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
  test.each([
    ['a line separator', 'x\u2028Deployment succeeded', 'x\\u2028Deployment succeeded'],
    ['a paragraph separator', 'x\u2029Deployment succeeded', 'x\\u2029Deployment succeeded'],
    ['a next-line control (NEL)', 'x\u0085Deployment succeeded', 'x\\u0085Deployment succeeded'],
    ['a right-to-left override', 'x\u202eDeployment succeeded', 'x\\u202eDeployment succeeded'],
  ])('GIVEN an unknown key with %s THEN the refusal shows it escaped', (_what, key, shown) => {
    const message = refusal(() => parseTemplateConfiguration(JSON.stringify({ [key]: 1 }), 'c.json'));
    expect(message).toBe(`c.json has unknown keys "${shown}" (known: Parameters, Tags, StackPolicy)`);
    expect(message).not.toMatch(BREAKS);
  });
});
