import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { definitionOf, logicalIdOf, singleAction } from './helpers';
import { allStates } from '../../demo/lib/definition';
import { DeployStateMachine } from '../../src';
import { ALL_STATE_NAMES, EVENT_WAIT_STATES, STATE_NAMES, forUnitStack } from '../../src/shared/state-names';

const LAMBDA_SERVICE_ERRORS = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException'];
const LAMBDA_THROTTLING = 'Lambda.TooManyRequestsException';
const TRANSIENT_AWS_ERROR = 'TransientAwsError';

/** The states of a type, those inside the unit's review Map included. */
function statesOfType(definition: any, type: string): Array<[string, any]> {
  return allStates(definition).filter(([, s]) => s.Type === type);
}

/** A state by name, those inside the unit's review Map included. */
function findState(name: string): any {
  return allStates(definitionOf(singleAction().template()).definition).find(([n]) => n === name)?.[1];
}

/** The states that run inside a Map iteration, whose errors end the iteration and are caught by the Map. */
function insideMaps(definition: any): string[] {
  return Object.values(definition.States as Record<string, any>).filter((s) => s.Type === 'Map')
    .flatMap((m) => allStates(m.ItemProcessor).map(([name]) => name));
}

describe('the deploy state machine definition', () => {
  const { action, template } = singleAction();
  const t = template();
  const { definition, tokens, properties } = definitionOf(t);

  test('is JSONPath: no QueryLanguage JSONata, no JSONata fields, no variables', () => {
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    for (const [name, state] of Object.entries(definition.States as Record<string, any>)) {
      expect({ name, queryLanguage: state.QueryLanguage ?? 'JSONPath' }).toEqual({ name, queryLanguage: 'JSONPath' });
      for (const jsonataOnly of ['Arguments', 'Output', 'Assign']) {
        expect({ name, has: jsonataOnly in state }).toEqual({ name, has: false });
      }
    }
    expect(JSON.stringify(definition)).not.toMatch(/\{%/);
  });

  test('has the blog-like state names, every one of them, starting by reading the template', () => {
    expect(allStates(definition).map(([name]) => name).sort()).toEqual([...ALL_STATE_NAMES].sort());
    expect(definition.StartAt).toBe(STATE_NAMES.confirmJob);
    for (const name of ['Create Stack', 'Create Change Set', 'Inspect Change Set Changes', 'Safe to Update Infra?',
      'Execute Change Set', 'Delete Unsafe Change Set', 'Deployment Rejected', 'Deployment Succeeded']) {
      expect(definition.States).toHaveProperty([name]);
    }
  });

  test('GIVEN the names built from the naming patterns (waits, refusals, approvals, clean-ups) THEN each is the name the console shows, word for word', () => {
    // The patterns keep the names alike; this list keeps them from changing by accident (alarms and dashboards
    // match state names).
    expect(STATE_NAMES).toMatchObject({
      waitChangeSetCreation: 'Wait Change Set Creation',
      getChangeSetCreationStatus: 'Get Change Set Creation Status',
      changeSetCreated: 'Change Set Created?',
      changeSetFailed: 'Change Set Creation Failed',
      onEventsForCreation: 'Wait On Events For Creation?',
      awaitStackCreation: 'Await Stack Creation Event',
      waitStackCreation: 'Wait Stack Creation',
      getStackCreationStatus: 'Get Stack Creation Status',
      stackCreated: 'Stack Created?',
      stackCreationFailed: 'Stack Creation Failed',
      onEventsForUpdate: 'Wait On Events For Update?',
      awaitStackUpdate: 'Await Stack Update Event',
      waitStackUpdate: 'Wait Stack Update',
      getStackUpdateStatus: 'Get Stack Update Status',
      stackUpdated: 'Stack Updated?',
      stackUpdateFailed: 'Stack Update Failed',
      onEventsForDeletion: 'Wait On Events For Deletion?',
      awaitStackDeletion: 'Await Stack Deletion Event',
      waitStackDeletion: 'Wait Stack Deletion',
      getStackDeletionStatus: 'Get Stack Deletion Status',
      stackDeleted: 'Stack Deleted?',
      stackDeletionFailed: 'Stack Deletion Failed',
      deleteUnsafeChangeSet: 'Delete Unsafe Change Set',
      deploymentRejected: 'Deployment Rejected',
      waitForApproval: 'Wait For Approval',
      deleteRejectedChangeSet: 'Delete Rejected Change Set',
      approvalRejected: 'Deployment Rejected By Approver',
      deleteExpiredChangeSet: 'Delete Change Set After Approval Timeout',
      approvalTimedOut: 'Approval Timed Out',
      cleanUpAfterError: 'Delete Change Set After Error',
      deploymentErrored: 'Deployment Errored',
      deleteRefusedUnitChangeSets: 'Delete Refused Unit Change Sets',
      unitRejected: 'Unit Rejected',
      deleteFailedUnitChangeSets: 'Delete Unit Change Sets After Failed Review',
      waitForUnitApproval: 'Wait For Unit Approval',
      deleteRejectedUnitChangeSets: 'Delete Rejected Unit Change Sets',
      unitRejectedByApprover: 'Unit Rejected By Approver',
      deleteExpiredUnitChangeSets: 'Delete Unit Change Sets After Approval Timeout',
      unitApprovalTimedOut: 'Unit Approval Timed Out',
      deleteStoppedUnitChangeSets: 'Delete Unit Change Sets After Stack Failure',
      cleanUpUnitAfterError: 'Delete Unit Change Sets After Error',
      unitErrored: 'Unit Errored',
    });
  });

  test('GIVEN the state names WHEN a unit\'s stack passes a single stack\'s state THEN its name says so, every name is unique and within Step Functions\' 80 characters', () => {
    expect(forUnitStack(STATE_NAMES.createChangeSet)).toBe('Create Change Set In Unit');
    expect(forUnitStack(STATE_NAMES.stackCreated)).toBe('Stack Created In Unit?');
    expect(new Set(ALL_STATE_NAMES).size).toBe(ALL_STATE_NAMES.length);
    expect(ALL_STATE_NAMES.filter((name) => name.length > 80)).toEqual([]);
  });

  test('every Task calls the task function, retries Lambda service errors, throttling and TransientAwsError, and has a timeout', () => {
    // (the states that wait for a person, and those that wait on stack events, are checked on their own)
    const approvals: string[] = [STATE_NAMES.waitForApproval, STATE_NAMES.waitForUnitApproval];
    const taskStates = statesOfType(definition, 'Task').filter(([name]) => !approvals.includes(name) && !EVENT_WAIT_STATES.includes(name));
    const mapped = insideMaps(definition);
    expect(taskStates.length).toBeGreaterThanOrEqual(10);
    for (const [name, state] of taskStates) {
      const retried: string[] = (state.Retry ?? []).flatMap((r: any) => r.ErrorEquals);
      expect({ name, retried }).toEqual({
        name, retried: expect.arrayContaining([...LAMBDA_SERVICE_ERRORS, LAMBDA_THROTTLING, TRANSIENT_AWS_ERROR]),
      });
      for (const retry of state.Retry) {
        expect({ name, maxAttempts: retry.MaxAttempts }).toEqual({ name, maxAttempts: expect.any(Number) });
        expect(retry.MaxAttempts).toBeGreaterThan(0);
        expect(retry.MaxAttempts).toBeLessThanOrEqual(10);
      }
      expect({ name, timeout: state.TimeoutSeconds }).toEqual({ name, timeout: expect.any(Number) });
      expect(state.TimeoutSeconds).toBeGreaterThan(0);
      expect(state.TimeoutSeconds).toBeLessThanOrEqual(900);
      expect({ name, resource: tokens[state.Resource] }).toEqual({
        name, resource: { 'Fn::GetAtt': [logicalIdOf(action.taskFunction), 'Arn'] },
      });
      // Every failure ends somewhere: a Catch on States.ALL, and one on States.DataLimitExceeded, which States.ALL
      // does not catch. Inside the unit's review Map, an error ends that stack's review only (every review settles
      // before the wave is judged and its change sets deleted).
      expect({ name, caught: (state.Catch ?? []).flatMap((c: any) => c.ErrorEquals) }).toEqual({ name, caught: ['States.DataLimitExceeded', 'States.ALL'] });
      if (mapped.includes(name)) {
        const next = state.Catch.map((c: any) => c.Next);
        expect({ name, next }).toEqual({ name, next: [STATE_NAMES.unitStackReviewErrored, STATE_NAMES.unitStackReviewErrored] });
      }
    }
    for (const [name, map] of statesOfType(definition, 'Map')) {
      expect({ name, caught: map.Catch.map((c: any) => [c.ErrorEquals, c.Next]) }).toEqual({
        name, caught: [[['States.DataLimitExceeded'], STATE_NAMES.cleanUpUnitAfterError], [['States.ALL'], STATE_NAMES.cleanUpUnitAfterError]],
      });
    }
  });

  test('each wait on stack events puts its task token in the wait table, and reads the stack after it however it ends (event, safety poll, an end recorded first, a failure)', () => {
    const awaits = statesOfType(definition, 'Task').filter(([name]) => EVENT_WAIT_STATES.includes(name));
    expect(awaits).toHaveLength(5);
    for (const [name, state] of awaits) {
      expect({ name, resource: state.Resource }).toEqual({ name, resource: expect.stringMatching(/:states:::aws-sdk:dynamodb:putItem\.waitForTaskToken$/) });
      expect(state.Parameters.ConditionExpression).toBe('attribute_not_exists(finalStatus)');
      expect(state.Parameters.Item.taskToken).toEqual({ 'S.$': '$$.Task.Token' });
      expect(state.TimeoutSeconds).toBe(900);
      const poll = state.Next;
      expect({ name, poll: definition.States[poll]?.Parameters?.task ?? findState(poll)?.Parameters?.task }).toEqual({ name, poll: 'pollStack' });
      // The aws-sdk:dynamodb integration names the failed condition DynamoDb.ConditionalCheckFailedException (see
      // workflow-graph.test.ts); a failure of the wait reads the stack too, and the Wait before the next round keeps
      // it from spinning.
      expect(state.Catch.map((c: any) => [c.ErrorEquals, c.Next === poll ? 'poll' : findState(c.Next)?.Type]))
        .toEqual([[['States.Timeout', 'DynamoDb.ConditionalCheckFailedException'], 'poll'], [['States.ALL'], 'poll']]);
    }
  });

  test('the Lambda retries do not swallow the handler\'s own errors (no States.ALL / States.TaskFailed retry)', () => {
    for (const [name, state] of statesOfType(definition, 'Task')) {
      const retried: string[] = (state.Retry ?? []).flatMap((r: any) => r.ErrorEquals);
      expect({ name, broad: retried.filter((e) => e === 'States.ALL' || e === 'States.TaskFailed') }).toEqual({ name, broad: [] });
    }
  });

  test('Wait states take their time from the state (SecondsPath), never a fixed Seconds', () => {
    const waits = statesOfType(definition, 'Wait');
    expect(waits.map(([name]) => name).sort()).toEqual([
      STATE_NAMES.waitChangeSetCreation, STATE_NAMES.waitForOtherDeployment, STATE_NAMES.waitStackCreation, STATE_NAMES.waitStackUpdate,
      STATE_NAMES.waitStackDeletion, forUnitStack(STATE_NAMES.waitForOtherDeployment), forUnitStack(STATE_NAMES.waitChangeSetCreation),
      forUnitStack(STATE_NAMES.waitStackCreation), forUnitStack(STATE_NAMES.waitStackUpdate), STATE_NAMES.waitForNextUnitRound,
    ].sort());
    for (const [name, state] of waits) {
      expect({ name, secondsPath: state.SecondsPath, seconds: state.Seconds })
        .toEqual({ name, secondsPath: expect.stringMatching(/^\$\.[a-zA-Z.]+\.waitSeconds$/), seconds: undefined });
    }
  });

  test('the execution has a timeout below CodePipeline\'s 24 hours for a Lambda action', () => {
    expect(definition.TimeoutSeconds).toEqual(expect.any(Number));
    expect(definition.TimeoutSeconds).toBeLessThan(24 * 3600);
    expect(definition.TimeoutSeconds).toBe(23 * 3600);
  });

  test('the state machine logs every event without execution data and is traced', () => {
    expect(properties).toMatchObject({
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
      TracingConfiguration: { Enabled: true },
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  test('only a safe verdict, or a person\'s approval, leads to Execute Change Set', () => {
    const safe = definition.States[STATE_NAMES.safeToUpdate];
    expect(safe.Type).toBe('Choice');
    expect(safe.Choices).toEqual([
      { Variable: '$.inspection.verdict', StringEquals: 'ALLOW', Next: STATE_NAMES.executeChangeSet },
      { Variable: '$.inspection.verdict', StringEquals: 'REQUIRE_APPROVAL', Next: STATE_NAMES.waitForApproval },
    ]);
    expect(safe.Default).toBe(STATE_NAMES.deleteUnsafeChangeSet);
    const reaching = (target: string) => Object.entries(definition.States as Record<string, any>)
      .filter(([, s]) => s.Next === target || (s.Choices ?? []).some((c: any) => c.Next === target))
      .map(([name]) => name);
    expect(reaching(STATE_NAMES.executeChangeSet).sort()).toEqual([STATE_NAMES.safeToUpdate, STATE_NAMES.waitForApproval].sort());
    expect(reaching(STATE_NAMES.waitForApproval)).toEqual([STATE_NAMES.safeToUpdate]);
  });

  test('only a round judged safe, or approved by a person, leads to the unit\'s deployments', () => {
    // The judgement picks the round's first stack when the round is safe; Next Unit Stack picks after an approval
    // and after each stack. Both Choices lead on only where the tasks' answers say.
    const unitStack = (name: string) => forUnitStack(name);
    const picked = [
      { Variable: '$.unit.next', StringEquals: 'EXECUTE', Next: unitStack(STATE_NAMES.executeChangeSet) },
      { Variable: '$.unit.next', StringEquals: 'CREATE', Next: unitStack(STATE_NAMES.createStack) },
      { Variable: '$.unit.next', StringEquals: 'REVIEW', Next: STATE_NAMES.waitForNextUnitRound },
      { Variable: '$.unit.next', StringEquals: 'DONE', Next: STATE_NAMES.deploymentSucceeded },
      { Variable: '$.unit.next', StringEquals: 'STOP', Next: STATE_NAMES.deleteStoppedUnitChangeSets },
    ];
    const verdict = definition.States[STATE_NAMES.unitVerdict];
    expect(verdict.Choices).toEqual([
      ...picked,
      { Variable: '$.unit.next', StringEquals: 'APPROVE', Next: STATE_NAMES.waitForUnitApproval },
      { Variable: '$.unit.next', StringEquals: 'REFUSE', Next: STATE_NAMES.deleteRefusedUnitChangeSets },
    ]);
    expect(verdict.Default).toBe(STATE_NAMES.deleteFailedUnitChangeSets);
    const nextInUnit = definition.States[STATE_NAMES.nextInUnit];
    expect(nextInUnit.Choices).toEqual(picked);
    expect(nextInUnit.Default).toBe(STATE_NAMES.deleteStoppedUnitChangeSets);
    const reaching = (target: string) => Object.entries(definition.States as Record<string, any>)
      .filter(([, s]) => s.Next === target || s.Default === target || (s.Choices ?? []).some((c: any) => c.Next === target))
      .map(([name]) => name).sort();
    expect(reaching(unitStack(STATE_NAMES.executeChangeSet))).toEqual([STATE_NAMES.nextInUnit, STATE_NAMES.unitVerdict].sort());
    expect(reaching(unitStack(STATE_NAMES.createStack))).toEqual([STATE_NAMES.nextInUnit, STATE_NAMES.unitVerdict].sort());
    expect(reaching(STATE_NAMES.waitForUnitApproval)).toEqual([STATE_NAMES.unitVerdict]);
    // Next Unit Stack is reached from the approval and the end of each stack's operation, never from the review.
    expect(reaching(STATE_NAMES.nextUnitStack)).toEqual([
      unitStack(STATE_NAMES.stackCreated), unitStack(STATE_NAMES.stackUpdated), STATE_NAMES.waitForUnitApproval,
    ].sort());
    expect(definition.States[STATE_NAMES.reviewUnitStacks].Next).toBe(STATE_NAMES.judgeUnit);
    expect(definition.States[STATE_NAMES.judgeUnit].Next).toBe(STATE_NAMES.unitReviewed);
    expect(definition.States[STATE_NAMES.unitReviewed].Next).toBe(STATE_NAMES.unitVerdict);
    // Nothing inside the review executes or creates a stack.
    const reviewTasks = allStates(definition.States[STATE_NAMES.reviewUnitStacks].ItemProcessor)
      .filter(([, s]) => s.Type === 'Task').map(([, s]) => s.Parameters.task).sort();
    expect(reviewTasks).toEqual(['checkStack', 'createChangeSet', 'deleteChangeSet', 'deleteChangeSet', 'inspectChangeSet', 'pollChangeSet', 'readTemplate']);
  });

  test('the approval state waits for a task token, times out by the action\'s own setting, and never retries a timeout', () => {
    const approval = definition.States[STATE_NAMES.waitForApproval];
    expect(approval.Resource).toMatch(/:::lambda:invoke\.waitForTaskToken$/);
    expect(tokens[approval.Parameters.FunctionName] ?? approval.Parameters.FunctionName).toEqual({ 'Fn::GetAtt': [logicalIdOf(action.taskFunction), 'Arn'] });
    expect(approval.Parameters.Payload).toEqual({ 'task': 'requestApproval', 'state.$': '$', 'token.$': '$$.Task.Token', 'executionId.$': '$$.Execution.Id' });
    // The strategy's timeout cut to the time left before the action's deadline (the inspection works it out).
    expect(approval.TimeoutSecondsPath).toBe('$.inspection.approvalTimeoutSeconds');
    expect(approval.Retry.flatMap((r: any) => r.ErrorEquals)).not.toContain('States.Timeout');
    expect(approval.Catch.map((c: any) => [c.ErrorEquals, c.Next])).toEqual([
      [['ApprovalRejected'], STATE_NAMES.deleteRejectedChangeSet],
      [['States.Timeout'], STATE_NAMES.deleteExpiredChangeSet],
      [['States.DataLimitExceeded'], STATE_NAMES.cleanUpAfterError],
      [['States.ALL'], STATE_NAMES.cleanUpAfterError],
    ]);
  });
});

describe('DeployStateMachine props', () => {
  test('a custom name, execution timeout and log group are used', () => {
    const stack = new Stack(new App(), 'Custom');
    const logGroup = new logs.LogGroup(stack, 'MyLogs');
    new DeployStateMachine(stack, 'Workflow', { stateMachineName: 'deployer', executionTimeout: Duration.hours(6), logGroup });
    const t = Template.fromStack(stack);

    t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'deployer',
      LoggingConfiguration: Match.objectLike({
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logicalIdOf(logGroup), 'Arn'] } } }],
      }),
    });
    // the given log group for the state machine, and one per function (they need no managed policy): trigger, task, stack events, approval
    t.resourceCountIs('AWS::Logs::LogGroup', 5);
    expect(definitionOf(t).definition.TimeoutSeconds).toBe(6 * 3600);
  });

  test.each([Duration.hours(24), Duration.days(2)])('an execution timeout of %s is refused (CodePipeline\'s 24 hours)', (executionTimeout) => {
    const stack = new Stack(new App(), 'TooLong');
    expect(() => new DeployStateMachine(stack, 'Workflow', { executionTimeout })).toThrow(/executionTimeout must be below 24 hours/);
  });

  test('DeployStateMachine.of() refuses a foreign construct under its id', () => {
    const stack = new Stack(new App(), 'Clash');
    new logs.LogGroup(stack, 'StepFunctionsDeployWorkflow');
    expect(() => DeployStateMachine.of(stack)).toThrow(/already has a construct named StepFunctionsDeployWorkflow that is not a DeployStateMachine/);
  });
});
