/**
 * Properties of the deploy workflow's state graph, read from every definition the tests can synthesize (one stack,
 * a unit, the CDK Pipelines review step; waiting on stack events or polling):
 * - no loop without a Wait state: every cycle of transitions (Next, Choices, Default, Catch, inside Map iterators
 *   too) passes a Wait state, so nothing (a forged event, an operation ended early) can make an execution spin;
 * - a wake decides nothing: a wait on stack events carries nothing into the state, and the stack is read after it;
 * - every error name in a Catch or Retry is a name the integration of its state can raise, as Step Functions
 *   names it.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { newPipeline, newStack } from './helpers';
import { AppStage, cdkPipeline } from './pipelines-app';
import { allStates, definitionFromTemplate } from '../../demo/lib/definition';
import type { StateMachineDefinition } from '../../demo/lib/definition';
import { ChangeSetReviewStep, DeployStateMachine, StepFunctionsDeployAction } from '../../src';
import { APPROVAL_REJECTED } from '../../src/shared/contract';
import * as errors from '../../src/shared/errors';
import { TEST_ENV } from '../fakes';

type State = Record<string, any>;

// ---------------------------------------------------------------------------------------------------------
// The definitions
// ---------------------------------------------------------------------------------------------------------

function definitionOfStack(stack: Stack): StateMachineDefinition {
  return definitionFromTemplate(Template.fromStack(stack).toJSON(), TEST_ENV);
}

function oneStack(stackEvents: boolean): StateMachineDefinition {
  const stack = newStack();
  const { pipeline, source } = newPipeline(stack);
  const deployStateMachine = new DeployStateMachine(stack, 'Workflow', { stackEvents });
  pipeline.addStage({ stageName: 'Deploy' }).addAction(new StepFunctionsDeployAction(stack, 'Deploy', {
    actionName: 'Deploy', stackName: 'app', environmentName: 'prod', templatePath: source.atPath('app.json'), deployStateMachine,
  }));
  return definitionOfStack(stack);
}

function unit(stackEvents: boolean): StateMachineDefinition {
  const stack = newStack();
  const { pipeline, source } = newPipeline(stack);
  const deployStateMachine = new DeployStateMachine(stack, 'Workflow', { stackEvents });
  pipeline.addStage({ stageName: 'Deploy' }).addAction(new StepFunctionsDeployAction(stack, 'Deploy', {
    actionName: 'Deploy',
    environmentName: 'prod',
    deployStateMachine,
    stacks: [{ stackName: 'network', templatePath: source.atPath('network.json') }, { stackName: 'app', templatePath: source.atPath('app.json') }],
  }));
  return definitionOfStack(stack);
}

function reviewStep(stackEvents: boolean): StateMachineDefinition {
  const p = cdkPipeline(new App());
  const deployStateMachine = new DeployStateMachine(p.stack, 'Workflow', { stackEvents });
  const stage = new AppStage(p.app, 'Prod', { withTable: true, topics: 'dependent' });
  p.pipeline.addStage(stage, {
    stackSteps: [
      { stack: stage.data, changeSet: [new ChangeSetReviewStep('ReviewData', { deployStateMachine })] },
      { stack: stage.topics!, changeSet: [new ChangeSetReviewStep('ReviewTopics', { deployStateMachine })] },
    ],
  });
  return definitionFromTemplate(p.template().toJSON(), TEST_ENV);
}

const CONFIGURATIONS: Array<[string, () => StateMachineDefinition]> = [
  ['one stack, waiting on stack events', () => oneStack(true)],
  ['one stack, polling', () => oneStack(false)],
  ['a unit of stacks, waiting on stack events', () => unit(true)],
  ['a unit of stacks, polling', () => unit(false)],
  ['the CDK Pipelines review step, waiting on stack events', () => reviewStep(true)],
  ['the CDK Pipelines review step, polling', () => reviewStep(false)],
];

const definitions = new Map<string, StateMachineDefinition>();
function definitionOf(name: string): StateMachineDefinition {
  if (!definitions.has(name)) definitions.set(name, CONFIGURATIONS.find(([n]) => n === name)![1]());
  return definitions.get(name)!;
}

// ---------------------------------------------------------------------------------------------------------
// The graph
// ---------------------------------------------------------------------------------------------------------

/** The states a state can go to next: Next, every Choice rule's Next, Default, and every Catch's Next. */
function successors(state: State): string[] {
  return [
    state.Next,
    ...(state.Choices ?? []).map((rule: State) => rule.Next),
    state.Default,
    ...(state.Catch ?? []).map((c: State) => c.Next),
  ].filter((n): n is string => typeof n === 'string');
}

/** A graph's own states and those of every Map iterator and Parallel branch in it, each a graph of its own. */
function graphs(definition: { States: Record<string, State> }): Array<Record<string, State>> {
  return [definition.States, ...Object.values(definition.States).flatMap((state) => [
    ...(state.ItemProcessor ? graphs(state.ItemProcessor) : []),
    ...(state.Iterator ? graphs(state.Iterator) : []),
    ...(state.Branches ?? []).flatMap((b: StateMachineDefinition) => graphs(b)),
  ])];
}

/**
 * The cycles of a graph that pass no Wait state: with the Wait states taken out, any cycle left is one. Returns one
 * such cycle per strongly connected part found by a depth-first search (empty when there is none).
 */
function cyclesWithoutWait(states: Record<string, State>): string[][] {
  const isNode = (name: string) => states[name] !== undefined && states[name].Type !== 'Wait';
  const colour = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (name: string) => {
    colour.set(name, 'open');
    stack.push(name);
    for (const next of successors(states[name]).filter(isNode)) {
      if (colour.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!colour.has(next)) visit(next);
    }
    stack.pop();
    colour.set(name, 'done');
  };
  for (const name of Object.keys(states).filter(isNode)) if (!colour.has(name)) visit(name);
  return found;
}

describe.each(CONFIGURATIONS.map(([name]) => [name]))('the state graph of %s', (name) => {
  test('GIVEN its definition WHEN every cycle of transitions is followed THEN each passes a Wait state: no loop can spin', () => {
    const all = graphs(definitionOf(name));
    // The check sees the loops: the graph has cycles, and they all wait.
    expect(all.flatMap((states) => Object.values(states)).filter((s) => s.Type === 'Wait').length).toBeGreaterThan(0);
    expect(all.map((states) => cyclesWithoutWait(states)).flat()).toEqual([]);
  });

  test('GIVEN its definition WHEN every Catch and Retry is read THEN each error name is one the integration of its state raises, as Step Functions names it', () => {
    expect(misnamedErrors(definitionOf(name))).toEqual([]);
  });
});

describe('the cycle check', () => {
  test('GIVEN a graph whose read loops back to an await with no Wait state WHEN checked THEN the cycle is found, and a Wait state on it removes it', () => {
    const spinning: Record<string, State> = {
      'Await': { Type: 'Task', Next: 'Read', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Read' }] },
      'Read': { Type: 'Task', Next: 'Ended?' },
      'Ended?': { Type: 'Choice', Choices: [{ StringEquals: 'IN_PROGRESS', Variable: '$.x', Next: 'Await' }], Default: 'Done' },
      'Done': { Type: 'Succeed' },
    };
    expect(cyclesWithoutWait(spinning)).toEqual([['Await', 'Read', 'Ended?', 'Await']]);
    const waiting = { ...spinning, 'Ended?': { ...spinning['Ended?'], Choices: [{ ...spinning['Ended?'].Choices[0], Next: 'Pause' }] }, 'Pause': { Type: 'Wait', Seconds: 5, Next: 'Await' } };
    expect(cyclesWithoutWait(waiting)).toEqual([]);
  });

  test('GIVEN a Map iterator whose states loop without a Wait state WHEN checked THEN the cycle inside it is found', () => {
    const definitionWithMap = {
      StartAt: 'Each',
      States: {
        Each: { Type: 'Map', End: true, ItemProcessor: { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Choice', Choices: [{ Variable: '$.x', IsPresent: true, Next: 'A' }], Default: 'C' }, C: { Type: 'Succeed' } } } },
      },
    };
    expect(graphs(definitionWithMap).flatMap((states) => cyclesWithoutWait(states))).toEqual([['A', 'B', 'A']]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The wake decides nothing
// ---------------------------------------------------------------------------------------------------------

/** Resource of a wait on stack events: the aws-sdk DynamoDB PutItem of the wait record, with the task token. */
const AWAIT_EVENT = /^arn:aws[a-z-]*:states:::aws-sdk:dynamodb:putItem\.waitForTaskToken$/;

test('GIVEN a workflow waiting on stack events WHEN a wait ends, by a wake (a real or forged event), its timeout or an error THEN nothing of it enters the state and the stack is read next', () => {
  const states = allStates(definitionOf('one stack, waiting on stack events')).concat(allStates(definitionOf('a unit of stacks, waiting on stack events')));
  const awaits = states.filter(([, s]) => AWAIT_EVENT.test(s.Resource ?? ''));
  expect(awaits.length).toBeGreaterThanOrEqual(5);
  const byName = Object.fromEntries(states);
  for (const [name, state] of awaits) {
    // ResultPath null: the state leaves the Await as it entered, whatever SendTaskSuccess carried.
    expect({ name, resultPath: state.ResultPath, catchResultPaths: state.Catch.map((c: State) => c.ResultPath) })
      .toEqual({ name, resultPath: null, catchResultPaths: state.Catch.map(() => null) });
    const next = [state.Next, ...state.Catch.map((c: State) => c.Next)];
    expect({ name, next: next.map((n) => byName[n]?.Parameters?.task) }).toEqual({ name, next: next.map(() => 'pollStack') });
  }
});

// ---------------------------------------------------------------------------------------------------------
// Error names
// ---------------------------------------------------------------------------------------------------------

/**
 * The service name Step Functions puts before an error of an AWS SDK integration (`aws-sdk:<service>`): PascalCase
 * as the SDK writes the service, which is not always the service's own spelling. For DynamoDB it is `DynamoDb`:
 * - Step Functions' guide, "Learning to use AWS service SDK integrations in Step Functions"
 *   (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html): the error is
 *   `ServiceName.ErrorName`, both PascalCase; `aws-sdk:acmpca` -> `AcmPca.ResourceNotFoundException`;
 * - an execution history recorded against AWS, in LocalStack's snapshot tests
 *   (localstack/localstack tests/aws/services/stepfunctions/v2/error_handling/test_aws_sdk.snapshot.json,
 *   test_dynamodb_put_item_no_such_table): `aws-sdk:dynamodb` putItem failed with error
 *   `DynamoDb.ResourceNotFoundException`, cause "(Service: DynamoDb, ...)"; LocalStack's own emulator binds
 *   "dynamodb" to "DynamoDb" (state_task_service_aws_sdk.py, _SERVICE_ERROR_NAMES);
 * - the AWS SDK for Java 2.x, whose names these are: DynamoDbClient, DynamoDbException.
 * A service added here needs such a source.
 */
const AWS_SDK_ERROR_PREFIX: Record<string, string> = { dynamodb: 'DynamoDb' };

/**
 * The errors an optimised integration (`arn:aws:states:::<service>:<action>`) raises, from Step Functions' guide
 * of each integration: DynamoDB (`DynamoDB.ConditionalCheckFailedException`), Lambda (`Lambda.ServiceException`).
 */
const OPTIMISED_ERROR_PREFIX: Record<string, string> = { dynamodb: 'DynamoDB', lambda: 'Lambda' };

/** The names the handlers raise (src/shared/errors.ts), and a person's rejection (SendTaskFailure). */
const OWN_ERRORS: string[] = [
  ...(Object.values(errors) as unknown[]).filter((v): v is string => typeof v === 'string'),
  ...(Object.values(errors) as unknown[])
    .filter((v): v is new (message: string) => Error => typeof v === 'function' && v.prototype instanceof Error)
    .map((E) => new E('').name),
  APPROVAL_REJECTED,
];

/** Which error names a state's integration can raise, besides Step Functions' own (States.*). */
function allowedBy(state: State, name: string): (error: string) => boolean {
  const resource = String(state.Resource ?? '');
  const lambdaFunction = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:/.test(resource);
  const optimisedLambda = /^arn:aws[a-z-]*:states:::lambda:invoke(\.waitForTaskToken)?$/.test(resource);
  if (lambdaFunction || optimisedLambda) return (e) => e.startsWith(`${OPTIMISED_ERROR_PREFIX.lambda}.`) || OWN_ERRORS.includes(e);
  const sdk = /^arn:aws[a-z-]*:states:::aws-sdk:([a-z0-9]+):/.exec(resource);
  if (sdk) {
    const prefix = AWS_SDK_ERROR_PREFIX[sdk[1]];
    if (!prefix) throw new Error(`state "${name}": the error names of aws-sdk:${sdk[1]} are not known to this test; add them with a source`);
    return (e) => e.startsWith(`${prefix}.`);
  }
  const optimised = /^arn:aws[a-z-]*:states:::([a-z0-9]+):/.exec(resource);
  if (optimised) {
    const prefix = OPTIMISED_ERROR_PREFIX[optimised[1]];
    if (!prefix) throw new Error(`state "${name}": the error names of the ${optimised[1]} integration are not known to this test; add them with a source`);
    return (e) => e.startsWith(`${prefix}.`);
  }
  throw new Error(`state "${name}": ${resource} is no integration this test knows`);
}

/** Every error name of a Catch or Retry that its state's integration cannot raise, as "<state>: <error>". */
function misnamedErrors(definition: { States: Record<string, State> }): string[] {
  const misnamed: string[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    const handled = [...(state.Catch ?? []), ...(state.Retry ?? [])].flatMap((h: State) => h.ErrorEquals as string[]);
    let allowed: (error: string) => boolean = () => false;
    if (state.Type === 'Task') allowed = allowedBy(state, name);
    if (state.Type === 'Map' || state.Type === 'Parallel') {
      // What ends an iteration or a branch: the errors its states raise and do not catch.
      const inner = [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])].filter(Boolean);
      misnamed.push(...inner.flatMap((g: StateMachineDefinition) => misnamedErrors(g)));
      const tasks = inner.flatMap((g: StateMachineDefinition) => allStates(g)).filter(([, s]) => s.Type === 'Task');
      allowed = (e) => tasks.some(([n, s]) => allowedBy(s, n)(e));
    }
    for (const error of handled) {
      if (!error.startsWith('States.') && !allowed(error)) misnamed.push(`${name}: ${error} (${state.Resource ?? state.Type})`);
    }
  }
  return misnamed;
}

describe('the error name check', () => {
  test('GIVEN a catch of an aws-sdk:dynamodb state naming DynamoDB.* (the optimised integration\'s name) WHEN checked THEN it is refused; DynamoDb.* passes', () => {
    const putItem = (error: string) => ({
      StartAt: 'Put',
      States: {
        Put: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:dynamodb:putItem.waitForTaskToken', Catch: [{ ErrorEquals: ['States.Timeout', error], Next: 'Done' }], Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
    });
    expect(misnamedErrors(putItem('DynamoDB.ConditionalCheckFailedException')))
      .toEqual(['Put: DynamoDB.ConditionalCheckFailedException (arn:aws:states:::aws-sdk:dynamodb:putItem.waitForTaskToken)']);
    expect(misnamedErrors(putItem('DynamoDb.ConditionalCheckFailedException'))).toEqual([]);
  });

  test('GIVEN a Lambda task WHEN its retries name Lambda errors and the handlers\' own THEN they pass; another service\'s name does not', () => {
    const invoke = (errorNames: string[]) => ({
      StartAt: 'Run',
      States: {
        Run: { Type: 'Task', Resource: 'arn:aws:lambda:eu-west-1:111111111111:function:tasks', Retry: [{ ErrorEquals: errorNames }], End: true },
      },
    });
    expect(misnamedErrors(invoke(['Lambda.ServiceException', 'TransientAwsError', 'ChangeSetBeingCreated', 'States.Timeout']))).toEqual([]);
    expect(misnamedErrors(invoke(['DynamoDB.ThrottlingException']))).toEqual(['Run: DynamoDB.ThrottlingException (arn:aws:lambda:eu-west-1:111111111111:function:tasks)']);
  });
});
