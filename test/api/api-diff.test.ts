/**
 * The check behind `npx projen api:diff`: the API elements a jsii-diff report names, and those MIGRATION.md does
 * not. (The check itself runs in the build, after each compile, against test/api-baseline.)
 */
import { changedElements, missingFromMigration } from '../../tools/api-diff';

const REPORT = [
  'API elements with incompatible changes:',
  'err  - PROP cdk-stepfunctions-deploy-action.StepFunctionsDeployActionProps.input: has been removed ' +
    '[removed:cdk-stepfunctions-deploy-action.StepFunctionsDeployActionProps.input]',
  'err  - IFACE cdk-stepfunctions-deploy-action.StackToDeploy: property templatePath, string is not assignable to ' +
    'aws-cdk-lib.aws_codepipeline.ArtifactPath: type of property stacks [strengthened:cdk-stepfunctions-deploy-action.StackToDeploy]',
  'err  - IFACE cdk-stepfunctions-deploy-action.StepFunctionsDeployActionProps: newly required property \'actionName\' used to be ' +
    'optional [strengthened:cdk-stepfunctions-deploy-action.StepFunctionsDeployActionProps]',
  'err  - METHOD cdk-stepfunctions-deploy-action.SafetyPolicy.evaluateChangeSet: argument describeChangeSetPages, takes ' +
    'Array<Map<string => any>> (formerly Array<any>) [incompatible-argument:cdk-stepfunctions-deploy-action.SafetyPolicy.evaluateChangeSet]',
].join('\n');

test('GIVEN a jsii-diff report THEN each line\'s element is read, and for a struct changed as a whole the property it names', () => {
  expect(changedElements(REPORT)).toEqual([
    'SafetyPolicy.evaluateChangeSet',
    'StackToDeploy',
    'StackToDeploy.templatePath',
    'StepFunctionsDeployActionProps',
    'StepFunctionsDeployActionProps.actionName',
    'StepFunctionsDeployActionProps.input',
  ]);
});

test('GIVEN a report without changes THEN no element is read', () => {
  expect(changedElements('Original assembly: x@0.0.0\nUpdated assembly: x@0.0.0\nNo API changes.')).toEqual([]);
});

test('GIVEN a MIGRATION.md that misses an element THEN the check names exactly that one', () => {
  const migration = '### `StepFunctionsDeployActionProps.input` is gone\n`SafetyPolicy.evaluateChangeSet()` takes objects';
  expect(missingFromMigration(['StepFunctionsDeployActionProps.input', 'SafetyPolicy.evaluateChangeSet', 'StackToDeploy.templatePath'], migration))
    .toEqual(['StackToDeploy.templatePath']);
});
