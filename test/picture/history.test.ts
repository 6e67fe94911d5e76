/**
 * Reading `aws stepfunctions get-execution-history --output json` into the trace a picture draws, and
 * reading the definition from the forms a user has (raw, describe-state-machine, -for-execution).
 */
import { readDefinition } from '../../src/picture';
import { parseExecutionHistory } from '../../src/picture/history';

const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:deploy-task';

/** Builds history events as the AWS CLI prints them: ids from 1, previousEventId, ISO timestamps, the real detail fields. */
class History {
  readonly events: Record<string, unknown>[] = [];
  constructor(input = '{"deployment":{"stackName":"prod-app"}}') {
    this.add('ExecutionStarted', {
      executionStartedEventDetails: {
        input, inputDetails: { truncated: false }, roleArn: 'arn:aws:iam::123456789012:role/DeployStateMachineRole',
      },
    });
  }
  add(type: string, details: Record<string, unknown> = {}): this {
    const id = this.events.length + 1;
    this.events.push({
      timestamp: `2025-03-04T10:00:${String(id).padStart(2, '0')}.123000+00:00`,
      type,
      id,
      previousEventId: id - 1,
      ...details,
    });
    return this;
  }
  enter(kind: string, name: string): this {
    return this.add(`${kind}StateEntered`, { stateEnteredEventDetails: { name, input: '{}', inputDetails: { truncated: false } } });
  }
  exit(kind: string, name: string): this {
    return this.add(`${kind}StateExited`, { stateExitedEventDetails: { name, output: '{}', outputDetails: { truncated: false } } });
  }
  /** A Lambda task that succeeds. */
  task(name: string): this {
    return this.enter('Task', name)
      .add('TaskScheduled', {
        taskScheduledEventDetails: {
          resourceType: 'lambda',
          resource: 'invoke',
          region: 'us-east-1',
          parameters: `{"FunctionName":"${LAMBDA}","Payload":{}}`,
        },
      })
      .add('TaskStarted', { taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke' } })
      .add('TaskSucceeded', {
        taskSucceededEventDetails: { resourceType: 'lambda', resource: 'invoke', output: '{}', outputDetails: { truncated: false } },
      })
      .exit('Task', name);
  }
  /** A Lambda task that fails with `error` (left through a Catch or out of the execution). */
  failingTask(name: string, error: string): this {
    return this.enter('Task', name)
      .add('TaskScheduled', { taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: 'us-east-1', parameters: '{}' } })
      .add('TaskStarted', { taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke' } })
      .add('TaskFailed', { taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error, cause: '{"errorMessage":"secret detail"}' } });
  }
  choice(name: string): this {
    return this.enter('Choice', name).exit('Choice', name);
  }
  /** Pages of at most `size` events, as --max-items / NextToken pagination gives them. */
  pages(size: number): Record<string, unknown>[] {
    const pages: Record<string, unknown>[] = [];
    for (let i = 0; i < this.events.length; i += size) {
      pages.push({ events: this.events.slice(i, i + size), ...(i + size < this.events.length ? { NextToken: `token-${i}` } : {}) });
    }
    return pages;
  }
}

function unsafeUpdateHistory(): History {
  return new History()
    .task('Read Template From Artifact')
    .task('Check Stack Existence')
    .choice('Does Stack Exist?')
    .task('Create Change Set')
    .enter('Wait', 'Wait Change Set Creation').add('WaitStateExited', { stateExitedEventDetails: { name: 'Wait Change Set Creation', output: '{}' } })
    .task('Get Change Set Creation Status')
    .choice('Change Set Created?')
    .task('Inspect Change Set Changes')
    .choice('Safe to Update Infra?')
    .task('Delete Unsafe Change Set')
    .choice('Deploy To New Stack?')
    .enter('Fail', 'Deployment Rejected')
    .add('ExecutionFailed', { executionFailedEventDetails: { error: 'UnsafeChangeSet', cause: 'Change set refused' } });
}

describe('parseExecutionHistory', () => {
  test('GIVEN a failed execution\'s history in one page WHEN parsed THEN the states entered come in order and the Fail state is the failed state', () => {
    const trace = parseExecutionHistory([{ events: unsafeUpdateHistory().events }]);
    expect(trace.states).toEqual([
      'Read Template From Artifact', 'Check Stack Existence', 'Does Stack Exist?', 'Create Change Set', 'Wait Change Set Creation',
      'Get Change Set Creation Status', 'Change Set Created?', 'Inspect Change Set Changes', 'Safe to Update Infra?',
      'Delete Unsafe Change Set', 'Deploy To New Stack?', 'Deployment Rejected',
    ]);
    expect(trace.failedState).toBe('Deployment Rejected');
    expect(trace.status).toBe('FAILED');
    expect(trace.exitErrors?.slice(0, -1).every((e) => e === undefined)).toBe(true);
  });

  test('GIVEN the pages shuffled, repeated and in reverse order (--reverse-order) WHEN parsed THEN the trace is the same', () => {
    const history = unsafeUpdateHistory();
    const expected = parseExecutionHistory([{ events: history.events }]);
    const pages = history.pages(7);
    const shuffled = [pages[3], pages[0], pages[5], pages[1], pages[0], pages[2], pages[4], ...pages.slice(6)];
    expect(parseExecutionHistory(shuffled)).toEqual(expected);
    expect(parseExecutionHistory([{ events: [...history.events].reverse() }])).toEqual(expected);
  });

  test('GIVEN a task that fails and is caught WHEN parsed THEN its exit error is the caught error; a retried task that then succeeds has none', () => {
    const history = new History()
      .task('Read Template From Artifact')
      .enter('Task', 'Wait For Approval')
      .add('TaskScheduled', { taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', region: 'us-east-1', parameters: '{}' } })
      .add('TaskStarted', { taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' } })
      .add('TaskSubmitted', { taskSubmittedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', output: '{}' } })
      .add('TaskFailed', { taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', error: 'ApprovalRejected', cause: 'by ops' } })
      .failingTask('Delete Rejected Change Set', 'Lambda.ServiceException')
      .add('TaskScheduled', { taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: 'us-east-1', parameters: '{}' } })
      .add('TaskStarted', { taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke' } })
      .add('TaskSucceeded', { taskSucceededEventDetails: { resourceType: 'lambda', resource: 'invoke', output: '{}' } })
      .exit('Task', 'Delete Rejected Change Set')
      .enter('Fail', 'Deployment Rejected By Approver')
      .add('ExecutionFailed', { executionFailedEventDetails: { error: 'ApprovalRejected', cause: 'by ops' } });
    const trace = parseExecutionHistory(history.pages(100));
    expect(trace.states).toEqual(['Read Template From Artifact', 'Wait For Approval', 'Delete Rejected Change Set', 'Deployment Rejected By Approver']);
    expect(trace.exitErrors).toEqual([undefined, 'ApprovalRejected', undefined, 'ApprovalRejected']);
    expect(trace.failedState).toBe('Deployment Rejected By Approver');
  });

  test('GIVEN a task that fails with no Catch WHEN parsed THEN the task is the failed state', () => {
    const history = new History().task('Read Template From Artifact').failingTask('Check Stack Existence', 'States.TaskFailed')
      .add('ExecutionFailed', { executionFailedEventDetails: { error: 'States.TaskFailed', cause: 'x' } });
    expect(parseExecutionHistory(history.pages(3))).toMatchObject({ failedState: 'Check Stack Existence', status: 'FAILED' });
  });

  test.each([
    ['ExecutionTimedOut', 'TIMED_OUT'],
    ['ExecutionAborted', 'ABORTED'],
  ])('GIVEN a history that ends with %s WHEN parsed THEN the state running then is the failed state', (type, status) => {
    const history = new History().task('Read Template From Artifact').enter('Wait', 'Wait Stack Update').add(type, {});
    expect(parseExecutionHistory(history.pages(50))).toMatchObject({ failedState: 'Wait Stack Update', status });
  });

  test('GIVEN a succeeded or a running execution WHEN parsed THEN no state is the failed state', () => {
    const succeeded = new History().task('Create Stack').enter('Succeed', 'Deployment Succeeded').exit('Succeed', 'Deployment Succeeded')
      .add('ExecutionSucceeded', { executionSucceededEventDetails: { output: '{}', outputDetails: { truncated: false } } });
    expect(parseExecutionHistory(succeeded.pages(50))).toEqual(expect.objectContaining({ status: 'SUCCEEDED', states: ['Create Stack', 'Deployment Succeeded'] }));
    expect(parseExecutionHistory(succeeded.pages(50)).failedState).toBeUndefined();
    const running = new History().task('Create Stack').enter('Wait', 'Wait Stack Creation');
    expect(parseExecutionHistory(running.pages(50))).toEqual(expect.objectContaining({ status: 'RUNNING', states: ['Create Stack', 'Wait Stack Creation'] }));
    expect(parseExecutionHistory(running.pages(50)).failedState).toBeUndefined();
  });

  test('GIVEN a bare list of events (jq .events) WHEN parsed THEN it is read like a page', () => {
    expect(parseExecutionHistory([unsafeUpdateHistory().events]).failedState).toBe('Deployment Rejected');
  });

  test.each([
    ['not a history', { stateMachineArn: 'x' }, /has no "events" list: give the output of aws stepfunctions get-execution-history/],
    ['events without ids', { events: [{ type: 'ExecutionStarted' }] }, /event 1 has no numeric "id" and "type"/],
    ['a StateEntered without a name', { events: [{ id: 1, type: 'TaskStateEntered', stateEnteredEventDetails: { input: 'TOPSECRET' } }] },
      /event 1 \(TaskStateEntered\) has no stateEnteredEventDetails.name/],
  ])('GIVEN %s WHEN parsed THEN the error names the problem without quoting the content', (_, page, message) => {
    expect(() => parseExecutionHistory([page], ['h.json'])).toThrow(message);
    try {
      parseExecutionHistory([page], ['h.json']);
    } catch (e) {
      expect((e as Error).message).not.toMatch(/TOPSECRET|stateMachineArn/);
      expect((e as Error).message).toMatch(/^h\.json/);
    }
  });
});

describe('readDefinition', () => {
  const definition = {
    Comment: 'deploy',
    StartAt: 'Check',
    States: {
      'Check': { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Next: 'Done?', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed' }] },
      'Done?': { Type: 'Choice', Choices: [{ Variable: '$.done', BooleanEquals: true, Next: 'Ok' }], Default: 'Wait' },
      'Wait': { Type: 'Wait', Seconds: 5, Next: 'Check' },
      'Ok': { Type: 'Succeed' },
      'Failed': { Type: 'Fail', Error: 'Failed' },
    },
  };

  test('GIVEN the raw definition, describe-state-machine output or describe-state-machine-for-execution output THEN the same definition is read', () => {
    expect(readDefinition(definition)).toEqual({ definition });
    const described = {
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:deploy',
      name: 'deploy',
      status: 'ACTIVE',
      definition: JSON.stringify(definition),
      roleArn: 'arn:aws:iam::123456789012:role/r',
      type: 'STANDARD',
      creationDate: '2025-03-04T10:00:00+00:00',
    };
    expect(readDefinition(described)).toEqual({ definition, name: 'deploy' });
    const forExecution = {
      stateMachineArn: described.stateMachineArn,
      name: 'deploy',
      definition: JSON.stringify(definition),
      roleArn: described.roleArn,
      updateDate: '2025-03-04T10:00:00+00:00',
    };
    expect(readDefinition(forExecution)).toEqual({ definition, name: 'deploy' });
  });

  test.each([
    ['a list', [1, 2], /not a JSON object/],
    ['no States', { StartAt: 'A' }, /no "States" object/],
    ['StartAt not a state', { StartAt: 'B', States: { A: { Type: 'Succeed' } } }, /"StartAt" names a state that is not in "States"/],
    ['a Next to nowhere', { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } }, /state "A": "Next" does not name a state/],
    ['a Catch to nowhere', { StartAt: 'A', States: { A: { Type: 'Task', End: true, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'X' }] } } },
      /state "A": Catch\[0\].Next does not name a state/],
    ['an unknown Type', { StartAt: 'A', States: { A: { Type: 'Lambda' } } }, /unknown Type: expected one of Task, Choice/],
    ['a definition string that is not JSON', { name: 'm', definition: '{"StartAt": TOPSECRET' }, /"definition" field is a string that is not JSON/],
    ['something else', { stateMachineArn: 'TOPSECRET' }, /neither "StartAt"\/"States" nor a "definition" field/],
  ])('GIVEN %s THEN the error names the problem and the fix, not the content', (_, value, message) => {
    expect(() => readDefinition(value)).toThrow(message);
    expect(() => readDefinition(value)).not.toThrow(/TOPSECRET/);
  });
});
