/**
 * The several-stacks form of the action at its edges, refused or accepted at synth: the most stacks a unit holds,
 * and a stack that needs itself.
 */
import { newPipeline, newStack } from './helpers';
import { StepFunctionsDeployAction } from '../../src';
import type { StackToDeploy } from '../../src';
import { MAX_UNIT_STACKS } from '../../src/shared/config';

/** A stack of the unit as these tests write it: its template's path in the pipeline's source artifact as text. */
type TestStack = Omit<StackToDeploy, 'templatePath'> & { readonly templatePath: string };

function unitAction(stacks: TestStack[]): StepFunctionsDeployAction {
  const stack = newStack();
  const { pipeline, source } = newPipeline(stack);
  const action = new StepFunctionsDeployAction(stack, 'Deploy', {
    actionName: 'Deploy', stacks: stacks.map((s) => ({ ...s, templatePath: source.atPath(s.templatePath) })),
  });
  pipeline.addStage({ stageName: 'Deploy' }).addAction(action);
  return action;
}

/** Stacks with CDK's template file names, short enough for UserParameters at any count. */
const stacks = (n: number): TestStack[] => Array.from({ length: n }, (_, i) => ({ stackName: `s${i}`, templatePath: `s${i}.template.json` }));

test(`GIVEN exactly ${MAX_UNIT_STACKS} stacks (the most a unit holds) WHEN synthesized THEN the action deploys all of them; one more is refused`, () => {
  expect(unitAction(stacks(MAX_UNIT_STACKS)).stackNames).toHaveLength(MAX_UNIT_STACKS);
  expect(() => unitAction(stacks(MAX_UNIT_STACKS + 1))).toThrow(`1 to ${MAX_UNIT_STACKS} stacks, not ${MAX_UNIT_STACKS + 1}`);
});

test.each<[string, TestStack[], string]>([
  ['dependsOn', [{ stackName: 'a', templatePath: 'a.json', dependsOn: ['a'] }], 'stacks[0]: dependsOn names "a", which is not an earlier stack of the unit'],
  ['parameterOutputs', [{ stackName: 'a', templatePath: 'a.json' }, { stackName: 'b', templatePath: 'b.json', parameterOutputs: { P: 'b.Out' } }],
    'stacks[1]: parameterOutputs.P names "b", which is not an earlier stack'],
])('GIVEN a stack that needs itself (%s) WHEN synthesized THEN it is refused: it could never be deployed after itself', (_what, unit, message) => {
  expect(() => unitAction(unit)).toThrow(message);
});
