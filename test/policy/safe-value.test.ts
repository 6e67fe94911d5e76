/**
 * The one judgement of whether a value is safe to show: by name, by property (SECRET_PROPERTIES), by shape
 * (secretlint's recommended rules), by entropy; and masked when it cannot be made.
 */
import { MASKED, isSafeToShow, isSecretName, maskSecrets, secretByNature, shownValue } from '../../src/policy/safe-value';
import { ORDINARY_VALUES, SECRET_SHAPES } from '../security/secret-shapes';

test.each(SECRET_SHAPES.filter((s) => s.by === 'shape' || s.by === 'entropy' || s.by === 'named').map((s) => [s.what, s.value]))(
  'GIVEN %s THEN it is not safe to show, wherever it is', (_what, value) => {
    expect(isSafeToShow(value)).toBe(false);
    expect(shownValue(value)).toBe(MASKED);
  });

test.each(SECRET_SHAPES.filter((s) => s.by === 'nature').map((s) => [s.what, s.resourceType, s.path, s.value]))(
  'GIVEN %s THEN its property says it is a secret, whatever it looks like', (_what, resourceType, path, value) => {
    expect(secretByNature(resourceType, path, value)).toBe(true);
    expect(isSafeToShow(path === 'LaunchTemplateData' ? '{"UserData":"plain"}' : 'plain', { resourceType, path })).toBe(false);
  });

test.each(ORDINARY_VALUES.map((o) => [o.path, o.value, o.resourceType]))('GIVEN an ordinary %s (%s) THEN it is shown', (path, value, resourceType) => {
  expect(shownValue(value, { resourceType, path })).toBe(value);
});

test('the properties that carry secrets: the property, what is inside it and what holds it; not what is beside it', () => {
  const ecs = 'AWS::ECS::TaskDefinition';
  expect(secretByNature(ecs, 'ContainerDefinitions/0/Environment/3/Value')).toBe(true);
  expect(secretByNature(ecs, 'ContainerDefinitions/0/Environment')).toBe(true);
  expect(secretByNature(ecs, 'ContainerDefinitions')).toBe(true);
  expect(secretByNature(ecs, 'ContainerDefinitions/0/Environment/3/Name')).toBe(false);
  expect(secretByNature(ecs, 'ContainerDefinitions/0/Image')).toBe(false);
  expect(secretByNature('AWS::Lambda::Function', 'Environment')).toBe(true);
  expect(secretByNature('AWS::Lambda::Function', 'MemorySize')).toBe(false);
  // User data at any depth: the property itself, and a value that holds it.
  expect(secretByNature('AWS::EC2::LaunchTemplate', 'LaunchTemplateData/UserData')).toBe(true);
  expect(secretByNature('AWS::EC2::LaunchTemplate', 'LaunchTemplateData', '{"UserData":"ZXhwb3J0"}')).toBe(true);
  expect(secretByNature('AWS::EC2::LaunchTemplate', 'LaunchTemplateData', '{"InstanceType":"t3.micro"}')).toBe(false);
  expect(secretByNature('AWS::SSM::Parameter', 'Value')).toBe(true);
  expect(secretByNature('AWS::SSM::Parameter', 'Name')).toBe(false);
  expect(secretByNature('Custom::Anything', 'Whatever')).toBe(true);
});

test.each(SECRET_SHAPES.filter((s) => s.by === 'name').map((s) => [s.what, s.resourceType, s.path, s.value]))(
  'GIVEN %s THEN its name says it is a secret, whatever it looks like', (_what, resourceType, path, value) => {
    expect(isSafeToShow(value, { resourceType, path })).toBe(false);
  });

const PASSWORD = 'Tr0ub4dor&3-u5fEdg';

test.each([
  ['a JSON member', `{"username":"etl","password":"${PASSWORD}"}`, '{"username":"etl","password":"(masked)"}'],
  ['a JSON member with spaces and a bare value', '{"db_pass": 1234, "stage": "prod"}', '{"db_pass": (masked), "stage": "prod"}'],
  ['a JSON member of a JSON string', `{\\"db_pass\\":\\"${PASSWORD}\\",\\"x\\":1}`, '{\\"db_pass\\":\\"(masked)\\",\\"x\\":1}'],
  ['a JSON member holding an object', `{"credentials":{"user":"etl","key":"${PASSWORD}"},"stage":"prod"}`, '{"credentials":(masked),"stage":"prod"}'],
  ['an assignment', `export DB_PASSWD=${PASSWORD} && run`, 'export DB_PASSWD=(masked) && run'],
  ['a label in words', `db password: ${PASSWORD}`, 'db password: (masked)'],
  ['a YAML key', `ApiCreds: '${PASSWORD}'\nstage: prod`, "ApiCreds: '(masked)'\nstage: prod"],
  ['a flag with =', `app --db-password=${PASSWORD} --verbose`, 'app --db-password=(masked) --verbose'],
  ['a flag and its value apart', `app --admin-pw ${PASSWORD} --verbose`, 'app --admin-pw (masked) --verbose'],
  ['a MySQL client\'s -p', `mysql -uroot -p${PASSWORD} -h db < schema.sql`, 'mysql -uroot -p(masked) -h db < schema.sql'],
  ['a MySQL dump\'s quoted -p', `mysqldump -u root -p'${PASSWORD}' orders`, "mysqldump -u root -p'(masked)' orders"],
])('GIVEN a secret\'s name written before its value in text (%s) THEN the value is masked, the rest is kept', (_what, text, masked) => {
  expect(maskSecrets(text)).toBe(masked);
  expect(isSafeToShow(text)).toBe(masked === text);
});

test.each([
  ['the pwd command and its path', 'cd $(pwd) && /usr/bin/pwd'],
  ['a secret\'s ARN', 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:prod/db-AbCdEf'],
  ['a dynamic reference to a secret', '{"password":"{{resolve:secretsmanager:prod/db:SecretString:password}}"}'],
  ['a value masked already', 'Server=db2;Pwd=(masked);'],
  ['CloudFormation\'s words about a token', 'The security token included in the request is invalid'],
  ['a Pass state', '{"StartAt":"Login","States":{"Login":{"Type":"Pass","End":true}}}'],
  ['a password policy', '{"PasswordPolicy":{"MinimumLength":12,"RequireSymbols":true}}'],
  ['psql\'s -p (the port) and MySQL\'s -P (the port)', 'psql -p 5432 -h db && mysql -P 3306 -h db --port=3306'],
  ['a password named in prose, with no value after it', 'rotates the password of the admin user every 30 days'],
])('GIVEN ordinary text with words like a secret\'s name (%s) THEN it is shown whole', (_what, text) => {
  expect(maskSecrets(text)).toBe(text);
  expect(isSafeToShow(text)).toBe(true);
});

test('GIVEN PWD= in text THEN its value is masked: the shell\'s working directory and a password read alike (fail closed)', () => {
  expect(maskSecrets('PWD=/home/app')).toBe('PWD=(masked)');
});

test('secret names: whole words and camelCase words (Pw, Pwd, Passwd, Creds); not words that only hold the letters', () => {
  for (const name of ['AdminPw', 'ADMIN_PW', 'db-pw', 'APIPw', 'DbPwd', 'passwd', 'DbCreds', 'creds', 'GitCred', 'Parameters/AdminPw', 'Parameters/DbCreds', 'MasterUserPassword']) {
    expect({ name, secret: isSecretName(name) }).toEqual({ name, secret: true });
  }
  for (const name of ['Pwr', 'Credit', 'CreditLimit', 'Crew', 'Passenger', 'PassRoleArn', 'PassState', 'Image', 'PasswordPolicy', 'Policies/PasswordPolicy/MinimumLength', 'BypassPolicyLockoutSafetyCheck']) {
    expect({ name, secret: isSecretName(name) }).toEqual({ name, secret: false });
  }
  expect(shownValue('correct-horse-battery-NdiIFp', { resourceType: 'AWS::CloudFormation::Stack', path: 'Parameters/AdminPw' })).toBe(MASKED);
  expect(shownValue('12', { resourceType: 'AWS::Cognito::UserPool', path: 'Policies/PasswordPolicy/MinimumLength' })).toBe('12');
});

test('payloads given verbatim to a target are secret by nature; a state machine\'s definition is scanned, not masked whole', () => {
  expect(secretByNature('AWS::Events::Rule', 'Targets/0/Input')).toBe(true);
  expect(secretByNature('AWS::Events::Rule', 'Targets/0/InputTransformer/InputTemplate')).toBe(true);
  expect(secretByNature('AWS::Events::Rule', 'Targets/0/InputTransformer/InputPathsMap')).toBe(false);
  expect(secretByNature('AWS::Events::Rule', 'Targets/0/Arn')).toBe(false);
  expect(secretByNature('AWS::Scheduler::Schedule', 'Target/Input')).toBe(true);
  expect(secretByNature('AWS::Pipes::Pipe', 'TargetParameters/InputTemplate')).toBe(true);
  expect(secretByNature('AWS::SSM::Document', 'Content')).toBe(true);
  expect(secretByNature('AWS::SSM::Document', 'Name')).toBe(false);
  expect(secretByNature('AWS::StepFunctions::StateMachine', 'DefinitionString')).toBe(false);
  expect(isSafeToShow('{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"End":true}}}', { resourceType: 'AWS::StepFunctions::StateMachine', path: 'DefinitionString' })).toBe(true);
});

test('GIVEN a value that asks secretlint to look away (secretlint-disable) THEN its secret is masked all the same', () => {
  expect(isSafeToShow('secretlint-disable sk_live_lSh9pg14E9ML9DXBEp5ytDme secretlint-enable')).toBe(false);
  expect(isSafeToShow('# secretlint-disable-next-line\nxoxb-46000140931-234597512774-FtuDHTNQni1h1fInfgw9mq2U')).toBe(false);
});

test('GIVEN free text that quotes a secret THEN only the secret is masked', () => {
  expect(maskSecrets('Invalid value ghp_jZS0lVskYjOFkgcScEvMH0lm5PdYnqOLmARw for property Token2')).toBe('Invalid value (masked) for property Token2');
  expect(maskSecrets('Resource Queue: Modify, replacement True')).toBe('Resource Queue: Modify, replacement True');
});

test('GIVEN a value with control or bidirectional characters THEN they are removed from what is shown', () => {
  expect(shownValue('red\u001b[31m text\u202e')).toBe('red[31m text');
});

test('GIVEN the detector cannot be loaded (an old Node.js cannot require an ES module) THEN every value is masked: fail closed', () => {
  jest.isolateModules(() => {
    jest.doMock('@secretlint/secretlint-rule-preset-recommend', () => {
      throw new Error('require() of ES Module not supported');
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const isolated = require('../../src/policy/safe-value') as typeof import('../../src/policy/safe-value');
    expect(isolated.isSafeToShow('t3.micro')).toBe(false);
    expect(isolated.maskSecrets('any words')).toBe(MASKED);
  });
  jest.dontMock('@secretlint/secretlint-rule-preset-recommend');
});
