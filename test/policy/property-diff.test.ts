/**
 * Property values for people: the before -> after lines of a change, from DescribeChangeSet's Details with
 * IncludePropertyValues (shapes of the CloudFormation API reference), with secrets masked and every line cut.
 */
import type { ChangeInput } from '../../src/policy/evaluate';
import { MASKED, propertyDiffs } from '../../src/policy/property-diff';

function modify(details: unknown[], contexts: { before?: unknown; after?: unknown } = {}): ChangeInput {
  return {
    Type: 'Resource',
    ResourceChange: {
      Action: 'Modify',
      LogicalResourceId: 'R',
      ResourceType: 'AWS::Any::Thing',
      Replacement: 'False',
      Details: details,
      ...(contexts.before ? { BeforeContext: JSON.stringify(contexts.before) } : {}),
      ...(contexts.after ? { AfterContext: JSON.stringify(contexts.after) } : {}),
    },
  } as unknown as ChangeInput;
}
const target = (t: Record<string, string>) => ({ Target: { RequiresRecreation: 'Never', ...t }, Evaluation: 'Static', ChangeSource: 'DirectModification' });

test('GIVEN the API reference\'s EC2 tag change THEN each property path reads before -> after', () => {
  const change = modify([
    target({ Attribute: 'Tags', Path: '/Properties/Tags/0/Value', BeforeValue: 'testing', AfterValue: 'Test', AttributeChangeType: 'Modify' }),
    target({ Attribute: 'Tags', Path: '/Properties/Tags/0/Key', BeforeValue: 'Purpose', AfterValue: 'Test', AttributeChangeType: 'Modify' }),
  ]);
  expect(propertyDiffs(change)).toEqual(['Tags/0/Value: testing -> Test', 'Tags/0/Key: Purpose -> Test']);
});

test('additions, removals, drift resets, and changes without values each read as what they are', () => {
  const change = modify([
    target({ Attribute: 'Properties', Path: '/Properties/Tags/1', AfterValue: '{"Key":"Owner","Value":"team-a"}', AttributeChangeType: 'Add' }),
    target({ Attribute: 'Properties', Path: '/Properties/Description', BeforeValue: 'old', AttributeChangeType: 'Remove' }),
    target({ Attribute: 'Properties', Path: '/Properties/VisibilityTimeout', BeforeValue: '60', AfterValue: '30', AttributeChangeType: 'SyncWithActual' }),
    target({ Attribute: 'Properties', Name: 'DBInstanceClass' }),
  ]);
  expect(propertyDiffs(change, { lines: 10, valueChars: 60 })).toEqual([
    'Tags/1: added {"Key":"Owner","Value":"team-a"}',
    'Description: removed (was old)',
    'VisibilityTimeout: drift record reset, not changed',
    'DBInstanceClass changes',
  ]);
});

describe('secrets are never shown', () => {
  test.each([
    ['a property named as a secret', target({ Attribute: 'Properties', Path: '/Properties/MasterUserPassword', BeforeValue: 'hunter2', AfterValue: 'swordfish' })],
    ['an environment variable named as a secret', target({ Attribute: 'Properties', Path: '/Properties/Environment/Variables/API_TOKEN', BeforeValue: 'hunter2', AfterValue: 'swordfish' })],
    ['a secret key inside a JSON value', target({ Attribute: 'Properties', Path: '/Properties/Environment', BeforeValue: '{"Variables":{"DB_PASSWORD":"hunter2"}}', AfterValue: '{"Variables":{"DB_PASSWORD":"swordfish","STAGE":"prod"}}' })],
    ['a name/value pair inside a JSON value', target({ Attribute: 'Properties', Path: '/Properties/ContainerDefinitions/0/Environment', BeforeValue: '[{"Name":"PRIVATE_KEY","Value":"hunter2"}]', AfterValue: '[{"Name":"PRIVATE_KEY","Value":"swordfish"}]' })],
    ['a JSON value CloudFormation cut short', target({ Attribute: 'Properties', Path: '/Properties/Config', BeforeValue: '{"clientSecret":"hunter2","x":1', AfterValue: '{"clientSecret": "swordfish", "y": "tail' })],
  ])('GIVEN %s THEN its values are masked', (_what, detail) => {
    const text = propertyDiffs(modify([detail]), { lines: 5, valueChars: 500 }).join('\n');
    expect(text).not.toMatch(/hunter2|swordfish/);
    expect(text).toContain(MASKED);
  });

  test('GIVEN a value whose name is only in the resource around it (Environment/1/Value of a pair named DB_PASSWORD) THEN it is masked', () => {
    const properties = { ContainerDefinitions: [{ Environment: [{ Name: 'STAGE', Value: 'prod' }, { Name: 'DB_PASSWORD', Value: 'hunter2' }] }] };
    const after = { Properties: { ContainerDefinitions: [{ Environment: [{ Name: 'STAGE', Value: 'prod' }, { Name: 'DB_PASSWORD', Value: 'swordfish' }] }] } };
    const change = modify([
      target({ Attribute: 'Properties', Path: '/Properties/ContainerDefinitions/0/Environment/1/Value', BeforeValue: 'hunter2', AfterValue: 'swordfish' }),
      target({ Attribute: 'Properties', Path: '/Properties/ContainerDefinitions/0/Environment/0/Value', BeforeValue: 'dev', AfterValue: 'prod' }),
    ], { before: { Properties: properties }, after });
    expect(propertyDiffs(change)).toEqual([`ContainerDefinitions/0/Environment/1/Value: ${MASKED} -> ${MASKED}`, 'ContainerDefinitions/0/Environment/0/Value: dev -> prod']);
  });

  test('GIVEN a value CloudFormation masks (a NoEcho parameter) THEN it stays as CloudFormation gives it', () => {
    expect(propertyDiffs(modify([target({ Attribute: 'Properties', Path: '/Properties/Pin', BeforeValue: '****', AfterValue: '****' })])))
      .toEqual(['Pin: **** -> ****']);
  });
});

test('limits: at most the lines asked for, then how many more; values cut to their length on one line', () => {
  const many = modify(Array.from({ length: 6 }, (_, i) => target({ Attribute: 'Properties', Path: `/Properties/P${i}`, BeforeValue: 'a', AfterValue: 'b' })));
  expect(propertyDiffs(many, { lines: 2, valueChars: 60 })).toEqual(['P0: a -> b', 'P1: a -> b', 'and 4 more']);
  const long = modify([target({ Attribute: 'Properties', Path: '/Properties/Doc', BeforeValue: 'x'.repeat(500), AfterValue: 'line\nbreak' })]);
  expect(propertyDiffs(long, { lines: 3, valueChars: 20 })).toEqual([`Doc: ${'x'.repeat(17)}... -> line break`]);
});

test('a change without details (an addition) has no lines', () => {
  expect(propertyDiffs({ Type: 'Resource', ResourceChange: { Action: 'Add', LogicalResourceId: 'Q', ResourceType: 'AWS::SQS::Queue' } })).toEqual([]);
});

test.each([
  ['short password names', ['/Properties/DbPass', '/Properties/MasterUserPwd', '/Properties/Environment/Variables/DB_PWD', '/Properties/DefaultArguments/--db_pw']],
  ['connection strings and authorization', ['/Properties/ConnectionString', '/Properties/Headers/Authorization']],
])('GIVEN %s THEN the values are masked', (_what, paths) => {
  const change = modify(paths.map((Path) => target({ Attribute: 'Properties', Path, BeforeValue: 'hunter2', AfterValue: 'swordfish' })));
  expect(propertyDiffs(change, { lines: 9, valueChars: 200 }).join('\n')).not.toMatch(/hunter2|swordfish/);
});

test('GIVEN credentials written inside a value THEN they are masked, the rest is shown, and a connection string with a password is masked whole', () => {
  const change = modify([
    target({ Attribute: 'Properties', Path: '/Properties/Url', BeforeValue: 'postgres://app:hunter2@db.internal:5432/orders', AfterValue: 'postgres://app:swordfish@db2.internal:5432/orders' }),
    target({ Attribute: 'Properties', Path: '/Properties/Settings', BeforeValue: '{"cs":"Server=db;Password=hunter2;"}', AfterValue: '{"cs":"Server=db2;Pwd=swordfish"}' }),
    target({ Attribute: 'Properties', Path: '/Properties/Header', BeforeValue: 'Bearer hunter2hunter2', AfterValue: 'Basic c3dvcmRmaXNoOng=' }),
    target({ Attribute: 'Properties', Path: '/Properties/Env', BeforeValue: '[{"Name":"DB_PASSWORD","Value":"hunter2"', AfterValue: '[]' }),
  ]);
  const text = propertyDiffs(change, { lines: 9, valueChars: 200 }).join('\n');
  expect(text).not.toMatch(/hunter2|swordfish|c3dvcmRmaXNoOng/);
  // secretlint's rule for connection strings judges a URL with a user and a password a secret: masked whole.
  expect(text).toContain('Url: (masked) -> (masked)');
  expect(text).toContain('Server=db2');
});

test('names that only look alike are shown (PassRoleArn, BypassPolicy)', () => {
  const change = modify(['/Properties/PassRoleArn', '/Properties/BypassPolicy'].map((Path) => target({ Attribute: 'Properties', Path, BeforeValue: 'a', AfterValue: 'b' })));
  expect(propertyDiffs(change)).toEqual(['PassRoleArn: a -> b', 'BypassPolicy: a -> b']);
});
