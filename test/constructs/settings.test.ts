/**
 * One model of a stack's settings: the construct refuses at synth, with the functions' own validator, what the
 * functions would refuse at run time, in the same words (the props' names at synth, the configuration's keys at run
 * time); values that are tokens are left to run time; `prepared` is the change sets' name wherever it is.
 */
import { Lazy } from 'aws-cdk-lib';
import { newPipeline, newStack } from './helpers';
import { StepFunctionsDeployAction } from '../../src';
import type { StackToDeploy } from '../../src';
import { configProblems, toDeployment, validateConfig } from '../../src/shared/config';

/** A stack of the unit as these tests write it: its template's path in the pipeline's source artifact as text. */
type TestStack = Omit<StackToDeploy, 'templatePath'> & { readonly templatePath: string };

/** The message the action's constructor throws for `stacks`, or undefined. */
function synthProblem(stacks: TestStack[], more: Record<string, unknown> = {}): string | undefined {
  const stack = newStack();
  const { source } = newPipeline(stack);
  try {
    new StepFunctionsDeployAction(stack, 'Deploy', {
      actionName: 'Deploy', stacks: stacks.map((s) => ({ ...s, templatePath: source.atPath(s.templatePath) })), ...more,
    });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The message validateConfig throws for the configuration of `stacks`, or undefined. */
function runTimeProblem(stacks: unknown[], more: Record<string, unknown> = {}): string | undefined {
  try {
    validateConfig({ v: 1, stacks, ...more });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

describe('the construct and the functions share one validator', () => {
  test.each<[string, TestStack[], Record<string, unknown>, string, string]>([
    ['a path out of the artifact', [{ stackName: 'a', templatePath: '../a.json' }], {},
      'stacks[0]: templatePath must not contain "." or ".." segments', '"stacks"[0]: "templatePath" must not contain "." or ".." segments'],
    ['a stack name CloudFormation refuses', [{ stackName: 'a_b', templatePath: 'a.json' }], {},
      'stacks[0]: stack name "a_b" is invalid: use a letter', '"stacks"[0]: stack name "a_b" is invalid: use a letter'],
    ['a stack twice', [{ stackName: 'a', templatePath: 'a.json' }, { stackName: 'a', templatePath: 'a.json' }], {},
      'stacks[1]: stack a is in the unit twice', 'stacks[1]: stack a is in the unit twice'],
    ['a unit that recreates rolled-back stacks', [{ stackName: 'a', templatePath: 'a.json' }], { recreateRolledBackStack: true },
      'recreateRolledBackStack is not available with stacks: deploy such a stack on its own',
      '"recreateRolledBackStack" is not available with "stacks": deploy such a stack on its own'],
  ])('GIVEN %s WHEN checked at synth and at run time THEN both refuse it in the same words', (_what, stacks, more, atSynth, atRunTime) => {
    expect(synthProblem(stacks, more)).toContain(`StepFunctionsDeployAction at TestStack/Deploy: ${atSynth}`);
    const entries = stacks.map((s) => ({ stackName: s.stackName, templatePath: s.templatePath }));
    expect(runTimeProblem(entries, more)).toContain(atRunTime);
  });

  test('GIVEN a stack a unit needs that is not an earlier one WHEN checked at synth and at run time THEN both name the dependency', () => {
    const stacks = [{ stackName: 'app', templatePath: 'a.json', dependsOn: ['db'] }, { stackName: 'db', templatePath: 'd.json' }];
    const words = 'stacks[0]: dependsOn names "db", which is not an earlier stack of the unit';
    expect(synthProblem(stacks)).toContain(words);
    expect(runTimeProblem(stacks)).toContain(words);
  });

  test('GIVEN values that are tokens at synth WHEN checked THEN they are left to run time; the same values known are checked', () => {
    const token = Lazy.string({ produce: () => '../x.json' });
    expect(configProblems({ stackName: 'app', templatePath: token }, { asProps: true, isUnresolved: (v) => v === token })).toEqual([]);
    expect(configProblems({ stackName: 'app', templatePath: '../x.json' }, { asProps: true }))
      .toEqual(['templatePath must not contain "." or ".." segments']);
  });

  test('GIVEN a configuration WHEN checked for the construct THEN keys are named as the props that set them', () => {
    expect(configProblems({ stackName: 'app', templatePath: 't.json', roleArn: 'admin', pollIntervalSeconds: 0 }, { asProps: true }))
      .toEqual(['deploymentRole must be an IAM role ARN', 'pollInterval must be a whole number from 1 to 300']);
    expect(configProblems({ stackName: 'app', templatePath: 't.json', roleArn: 'admin', pollIntervalSeconds: 0 }))
      .toEqual(['"roleArn" must be an IAM role ARN', '"pollIntervalSeconds" must be a whole number from 1 to 300']);
  });
});

describe('prepared is one thing everywhere: the name of the change sets the pipeline prepared', () => {
  test('GIVEN a review of prepared change sets WHEN turned into a deployment THEN prepared is that name, and the change set name too', () => {
    const deployment = toDeployment(validateConfig({ v: 1, prepared: 'PipelineChange', stacks: ['Prod-Data'] }), { id: 'job', startedAt: 0 });
    expect(deployment.prepared).toBe('PipelineChange');
    expect(deployment.changeSetName).toBe('PipelineChange');
    expect(deployment.unit).toEqual([{ stackName: 'Prod-Data', templatePath: 'Prod-Data.template.json', parameterOverrides: {}, tags: {}, capabilities: [], dependsOn: [], parameterOutputs: {} }]);
  });

  test('GIVEN a deployment of its own change sets WHEN turned into a deployment THEN it has no prepared', () => {
    const deployment = toDeployment(validateConfig({ v: 1, stackName: 'app', templatePath: 't.json' }), { id: 'job', artifact: { bucket: 'b', key: 'k' }, startedAt: 0 });
    expect(deployment).not.toHaveProperty('prepared');
  });
});
