import { Template } from 'aws-cdk-lib/assertions';
import { basicProps, logicalIdOf, newPipeline, newStack, pipelineActions, statementsOf } from './helpers';
import { DeployStateMachine, StepFunctionsDeployAction } from '../../src';

describe('one deploy workflow per stack', () => {
  test('three actions in one stack, across two pipelines, give one state machine and its four functions (trigger, task, stack events, approval)', () => {
    const stack = newStack();
    const first = newPipeline(stack, 'First');
    const second = newPipeline(stack, 'Second');
    const a = new StepFunctionsDeployAction(stack, 'DeployA', basicProps(first.source, { actionName: 'DeployA', stackName: 'app-a' }));
    const b = new StepFunctionsDeployAction(stack, 'DeployB', basicProps(first.source, { actionName: 'DeployB', stackName: 'app-b', runOrder: 2 }));
    const c = new StepFunctionsDeployAction(stack, 'DeployC', basicProps(second.source, { actionName: 'DeployC', stackName: 'app-c' }));
    first.pipeline.addStage({ stageName: 'Deploy', actions: [a, b] });
    second.pipeline.addStage({ stageName: 'Deploy', actions: [c] });
    const t = Template.fromStack(stack);

    t.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    t.resourceCountIs('AWS::Lambda::Function', 4);
    expect(new Set([a, b, c].map((x) => x.stateMachine))).toEqual(new Set([a.stateMachine]));
    expect(new Set([a, b, c].map((x) => x.triggerFunction))).toEqual(new Set([a.triggerFunction]));
    expect(new Set([a, b, c].map((x) => x.taskFunction))).toEqual(new Set([a.taskFunction]));
    // Every pipeline action invokes the same trigger function.
    const invoked = pipelineActions(t).filter((x) => x.stage === 'Deploy').map((x) => x.action.Configuration.FunctionName);
    expect(invoked).toEqual([a, b, c].map(() => ({ Ref: logicalIdOf(a.triggerFunction) })));
    // ... and each one has its own deployment role.
    expect(new Set([a, b, c].map((x) => logicalIdOf(x.deploymentRole))).size).toBe(3);
  });

  test('twenty actions still give one state machine and its four functions (trigger, task, stack events, approval)', () => {
    const stack = newStack();
    const { pipeline, source } = newPipeline(stack);
    const actions: StepFunctionsDeployAction[] = [];
    for (let stage = 0; stage < 4; stage++) {
      const s = pipeline.addStage({ stageName: `Deploy${stage}` });
      for (let i = 0; i < 5; i++) {
        const n = stage * 5 + i;
        const action = new StepFunctionsDeployAction(stack, `Deploy${n}`, basicProps(source, { actionName: `Deploy${n}`, stackName: `app-${n}` }));
        s.addAction(action);
        actions.push(action);
      }
    }
    const t = Template.fromStack(stack);

    t.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    t.resourceCountIs('AWS::Lambda::Function', 4);
    expect(pipelineActions(t).filter((x) => x.stage.startsWith('Deploy'))).toHaveLength(20);

    // The shared task function may deploy each of the twenty stacks, and no other.
    const cfnResources = statementsOf(t, logicalIdOf(actions[0].taskFunction.role!))
      .filter((s) => s.Sid === 'DeployTargetStacks')
      .flatMap((s) => s.Resource)
      .map((r) => JSON.stringify(r))
      .filter((r) => r.includes(':stack/'));
    expect(cfnResources).toHaveLength(20);
    for (let n = 0; n < 20; n++) expect(cfnResources.some((r) => r.includes(`:stack/app-${n}/*`))).toBe(true);
  });

  test('an explicit deployStateMachine is honoured and the stack\'s default one is not created', () => {
    const stack = newStack();
    const { pipeline, source } = newPipeline(stack);
    const workflow = new DeployStateMachine(stack, 'MyWorkflow', { stateMachineName: 'shared-deployer' });
    const action = new StepFunctionsDeployAction(stack, 'Deploy', basicProps(source, { deployStateMachine: workflow }));
    pipeline.addStage({ stageName: 'Deploy' }).addAction(action);
    const t = Template.fromStack(stack);

    expect(action.deployStateMachine).toBe(workflow);
    expect(action.stateMachine).toBe(workflow.stateMachine);
    expect(action.triggerFunction).toBe(workflow.triggerFunction);
    expect(action.taskFunction).toBe(workflow.taskFunction);
    expect(stack.node.tryFindChild('StepFunctionsDeployWorkflow')).toBeUndefined();
    t.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    t.resourceCountIs('AWS::Lambda::Function', 4);
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'shared-deployer' });
    expect(pipelineActions(t).find((x) => x.action.Name === 'Deploy')!.action.Configuration.FunctionName)
      .toEqual({ Ref: logicalIdOf(workflow.triggerFunction) });
  });

  test('an explicit workflow next to the default one gives two, each with its own functions', () => {
    const stack = newStack();
    const { pipeline, source } = newPipeline(stack);
    const isolated = new DeployStateMachine(stack, 'Isolated');
    pipeline.addStage({
      stageName: 'Deploy',
      actions: [
        new StepFunctionsDeployAction(stack, 'Shared', basicProps(source, { actionName: 'Shared', stackName: 'shared' })),
        new StepFunctionsDeployAction(stack, 'Alone', basicProps(source, { actionName: 'Alone', stackName: 'alone', deployStateMachine: isolated })),
      ],
    });
    const t = Template.fromStack(stack);

    t.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
    t.resourceCountIs('AWS::Lambda::Function', 8);
  });

  test('DeployStateMachine.of() returns the same workflow for every construct of a stack', () => {
    const stack = newStack();
    const { source } = newPipeline(stack);
    const action = new StepFunctionsDeployAction(stack, 'Deploy', basicProps(source));
    expect(DeployStateMachine.of(stack)).toBe(action.deployStateMachine);
    expect(DeployStateMachine.of(action)).toBe(action.deployStateMachine);
  });

  test('the four functions run on nodejs22.x', () => {
    const stack = newStack();
    const { pipeline, source } = newPipeline(stack);
    const action = new StepFunctionsDeployAction(stack, 'Deploy', basicProps(source));
    pipeline.addStage({ stageName: 'Deploy' }).addAction(action);
    const t = Template.fromStack(stack);

    const functions = t.findResources('AWS::Lambda::Function');
    const eventFunction = action.deployStateMachine.node.findChild('StackEventFunction');
    const approvalFunction = action.deployStateMachine.approvalFunction;
    expect(Object.keys(functions).sort()).toEqual([
      logicalIdOf(action.taskFunction), logicalIdOf(action.triggerFunction), logicalIdOf(eventFunction), logicalIdOf(approvalFunction),
    ].sort());
    for (const [id, fn] of Object.entries(functions)) {
      expect({ id, runtime: fn.Properties.Runtime, handler: fn.Properties.Handler }).toEqual({ id, runtime: 'nodejs22.x', handler: 'index.handler' });
    }
  });
});
