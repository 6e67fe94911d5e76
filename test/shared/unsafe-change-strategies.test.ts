/**
 * The unsafe-change strategies as the functions read them: the run-time check of a strategy's document, and what
 * the action's configuration refuses with it (a unit, prepared change sets, an approval longer than the action), in
 * the words a user reads.
 */
import { configProblems } from '../../src/shared/config';
import { validateUnsafeDocument } from '../../src/shared/validate-document';

const TOPIC = 'arn:aws:sns:eu-west-1:111111111111:approvals';

describe('a strategy\'s document, checked at run time', () => {
  test.each<[string, unknown]>([
    ['fail()', { type: 'fail' }],
    ['deployToNewStack() with the generated suffix', { type: 'deployToNewStack' }],
    ['deployToNewStack() with a suffix', { type: 'deployToNewStack', suffix: 'green-2' }],
    ['requireApproval()', { type: 'requireApproval', topicArn: TOPIC, timeoutSeconds: 3600 }],
    ['requireApproval() with the action\'s approver key', { type: 'requireApproval', topicArn: TOPIC, timeoutSeconds: 60, approvers: '0a1b2c3d' }],
    ['requireApproval() with the longest timeout', { type: 'requireApproval', topicArn: TOPIC, timeoutSeconds: 72000 }],
  ])('GIVEN %s THEN it has no problem', (_what, doc) => {
    expect(validateUnsafeDocument(doc)).toEqual([]);
  });

  test.each<[string, unknown, string[]]>([
    ['no object', null, ['must be an object']],
    ['a string', 'fail', ['must be an object']],
    ['no type', {}, ['unknown on-unsafe type undefined (known: fail, deployToNewStack, requireApproval)']],
    ['an unknown type', { type: 'retry' }, ['unknown on-unsafe type "retry" (known: fail, deployToNewStack, requireApproval)']],
    ['a type that is a name every object has', { type: 'toString' }, ['unknown on-unsafe type "toString" (known: fail, deployToNewStack, requireApproval)']],
    ['the type "constructor"', { type: 'constructor' }, ['unknown on-unsafe type "constructor" (known: fail, deployToNewStack, requireApproval)']],
    ['the type "__proto__"', { type: '__proto__' }, ['unknown on-unsafe type "__proto__" (known: fail, deployToNewStack, requireApproval)']],
    ['fail() with a key', { type: 'fail', suffix: 'g' }, ['unknown keys suffix (known: type)']],
    ['a misspelt suffix', { type: 'deployToNewStack', sufix: 'g' }, ['unknown keys sufix (known: suffix, type)']],
    ['a suffix with a space', { type: 'deployToNewStack', suffix: 'a b' }, ['suffix must be 1 to 40 letters, digits or hyphens']],
    ['a suffix that is a number', { type: 'deployToNewStack', suffix: 7 }, ['suffix must be 1 to 40 letters, digits or hyphens']],
    ['an approval without topic and timeout', { type: 'requireApproval' },
      ['topicArn must be an SNS topic ARN', 'timeoutSeconds must be a whole number from 60 to 72000']],
    ['an approval of 59 seconds', { type: 'requireApproval', topicArn: TOPIC, timeoutSeconds: 59 }, ['timeoutSeconds must be a whole number from 60 to 72000']],
    ['an approval of 20 hours and a second', { type: 'requireApproval', topicArn: TOPIC, timeoutSeconds: 72001 }, ['timeoutSeconds must be a whole number from 60 to 72000']],
    ['an approval of 90.5 seconds', { type: 'requireApproval', topicArn: TOPIC, timeoutSeconds: 90.5 }, ['timeoutSeconds must be a whole number from 60 to 72000']],
    ['a queue for a topic', { type: 'requireApproval', topicArn: 'arn:aws:sqs:eu-west-1:111111111111:q', timeoutSeconds: 60 }, ['topicArn must be an SNS topic ARN']],
    ['an approval with every mistake', { type: 'requireApproval', topic: TOPIC, approvers: 'prod', timeoutSeconds: '60' }, [
      'unknown keys topic (known: approvers, timeoutSeconds, topicArn, type)',
      'approvers must be an action\'s approver key (8 hexadecimal characters)',
      'topicArn must be an SNS topic ARN',
      'timeoutSeconds must be a whole number from 60 to 72000',
    ]],
  ])('GIVEN %s THEN each problem is named', (_what, doc, problems) => {
    expect(validateUnsafeDocument(doc)).toEqual(problems);
  });
});

describe('what the configuration refuses with a strategy', () => {
  const approval = (timeoutSeconds: number) => ({ type: 'requireApproval', topicArn: TOPIC, timeoutSeconds });
  const prepared = { v: 1, prepared: 'PipelineChange', stacks: ['app'] };

  test('GIVEN prepared change sets and deployToNewStack THEN both the review and its unit refuse it, naming the keys', () => {
    expect(configProblems({ ...prepared, onUnsafe: { type: 'deployToNewStack' } })).toEqual([
      '"prepared" change sets cannot be deployed to new stacks (deployToNewStack)',
      '"stacks" cannot switch to new stacks (deployToNewStack)',
    ]);
  });

  test('GIVEN a unit and deployToNewStack THEN the unit refuses it', () => {
    expect(configProblems({ v: 1, stacks: ['a', 'b'], onUnsafe: { type: 'deployToNewStack', suffix: 'g' } }))
      .toEqual(['"stacks" cannot switch to new stacks (deployToNewStack)']);
  });

  test('GIVEN the construct\'s names THEN the refusals name the properties', () => {
    expect(configProblems({ ...prepared, onUnsafe: { type: 'deployToNewStack' } }, { asProps: true })).toEqual([
      'prepared change sets cannot be deployed to new stacks (deployToNewStack)',
      'stacks cannot switch to new stacks (deployToNewStack)',
    ]);
  });

  test.each<[string, object]>([
    ['fail() with prepared change sets', { ...prepared, onUnsafe: { type: 'fail' } }],
    ['requireApproval() with prepared change sets', { ...prepared, onUnsafe: approval(3600) }],
    ['fail() with a unit', { v: 1, stacks: ['a', 'b'], onUnsafe: { type: 'fail' } }],
    ['requireApproval() with a unit', { v: 1, stacks: ['a', 'b'], onUnsafe: approval(3600) }],
    ['deployToNewStack() with one stack', { v: 1, stackName: 'app', templatePath: 'app.json', onUnsafe: { type: 'deployToNewStack' } }],
  ])('GIVEN %s THEN nothing is refused', (_what, config) => {
    expect(configProblems(config as Record<string, unknown>)).toEqual([]);
  });

  test.each<[string, object, number]>([
    ['the default action timeout (120 minutes)', {}, 7201],
    ['a 30-minute action timeout', { timeoutMinutes: 30 }, 1801],
  ])('GIVEN an approval one second longer than %s THEN it is refused: a decision after the deadline could never be executed', (_what, timing, seconds) => {
    const config = { v: 1, stackName: 'app', templatePath: 'app.json', ...timing, onUnsafe: approval(seconds) };
    expect(configProblems(config)).toEqual([
      '"onUnsafe": the approval timeout is longer than the action\'s timeout; an approval after the deadline could never be executed',
    ]);
    expect(configProblems({ ...config, onUnsafe: approval(seconds - 1) })).toEqual([]);
  });

  test('GIVEN an approval timeout that is not a whole number THEN only the document\'s check names it', () => {
    const config = { v: 1, stackName: 'app', templatePath: 'app.json', timeoutMinutes: 1, onUnsafe: approval(90.5) };
    expect(configProblems(config)).toEqual(['"onUnsafe": timeoutSeconds must be a whole number from 60 to 72000']);
  });
});
