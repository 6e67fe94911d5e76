/**
 * The one judgement of whether a value is safe to show: by name, by property (SECRET_PROPERTIES), by shape
 * (secretlint's recommended rules), by entropy; and masked when it cannot be made.
 */
import { MASKED, isSafeToShow, maskSecrets, secretByNature, shownValue } from '../../src/policy/safe-value';
import { ORDINARY_VALUES, SECRET_SHAPES } from '../security/secret-shapes';

test.each(SECRET_SHAPES.filter((s) => s.by === 'shape' || s.by === 'entropy').map((s) => [s.what, s.value]))(
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
