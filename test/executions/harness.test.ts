/**
 * The harness itself: the definition it runs is the synthesized one, in plain JSONPath, and every Task state
 * runs the real task handler in-process. If a Task state could not be run in-process, the layer must fail
 * rather than quietly skip it.
 */
import { S, synthesizeWorkflow, taskOverrides } from './harness';
import { allStates } from '../../demo/lib/definition';
import { ALL_STATE_NAMES, EVENT_WAIT_STATES } from '../../src/shared/state-names';

describe('the synthesized deploy workflow, as the execution tests run it', () => {
  const synthesized = synthesizeWorkflow();
  // Those of the unit's review Map included.
  const states = allStates(synthesized.definition);
  const taskStates = states.filter(([, s]) => s.Type === 'Task').map(([name]) => name);

  test('GIVEN the synthesized DefinitionString WHEN its intrinsics are resolved THEN it is plain JSONPath ASL with no token left', () => {
    const text = JSON.stringify(synthesized.definition);
    expect(text).not.toMatch(/Fn::|"Ref"|\$\{Token/);
    expect(text).not.toMatch(/JSONata|QueryLanguage|Variables|"Assign"/);
    expect(synthesized.definition.StartAt).toBe(S.confirmJob);
    // Every state the workflow names exists in the definition.
    expect(states.map(([name]) => name).sort()).toEqual(ALL_STATE_NAMES.filter((name) => !EVENT_WAIT_STATES.includes(name)).sort());
  });

  test('GIVEN the definition WHEN the harness builds its overrides THEN every Task state runs the real task handler', () => {
    const overrides = taskOverrides(synthesized.definition, synthesized.taskFunctionArn, async () => null);
    expect(taskStates.length).toBeGreaterThan(0);
    expect(Object.keys(overrides).sort()).toEqual([...taskStates].sort());
  });

  test('GIVEN a Task state that calls AWS directly WHEN the harness builds its overrides THEN it refuses to run the workflow', () => {
    const definition = {
      ...synthesized.definition,
      States: {
        ...synthesized.definition.States,
        'Describe Stack Directly': {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:cloudformation:describeStacks',
          Parameters: { 'StackName.$': '$.deployment.stackName' },
          End: true,
        },
      },
    } as any;
    expect(() => taskOverrides(definition, synthesized.taskFunctionArn, async () => null))
      .toThrow(/Task state "Describe Stack Directly" has no in-process override/);
  });

  test('GIVEN a Task state with an unknown task name WHEN the harness builds its overrides THEN it refuses to run the workflow', () => {
    const [name, state] = states.find(([, s]) => s.Type === 'Task')!;
    const definition = {
      ...synthesized.definition,
      States: { ...synthesized.definition.States, [name]: { ...state, Parameters: { 'task': 'dropStack', 'state.$': '$' } } },
    } as any;
    expect(() => taskOverrides(definition, synthesized.taskFunctionArn, async () => null)).toThrow(/is not a task of runTask/);
  });

  test('GIVEN the deploy action WHEN synthesized THEN the trigger gets UserParameters with the stack, template and deployment role', () => {
    const config = JSON.parse(synthesized.userParameters);
    expect(config).toMatchObject({
      v: 1,
      stackName: 'app',
      environmentName: 'prod',
      templatePath: 'infra/app.json',
      roleArn: expect.stringMatching(/^arn:aws:iam::123456789012:role\/DeployDeploymentRole/),
    });
    expect(synthesized.stateMachineArn).toMatch(/^arn:aws:states:eu-west-1:123456789012:stateMachine:/);
  });
});
