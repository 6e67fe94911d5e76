/**
 * The deploy workflow's state graph: which states there are, where each leads, and what every Task retries and
 * catches. The construct that runs it (roles, functions, logging) is `DeployStateMachine`.
 */
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { APPROVAL_REJECTED, STACK_EVENTS } from '../shared/contract';
import { CHANGE_SET_BEING_CREATED, FAILURE_NAMES, TRANSIENT_ERROR } from '../shared/errors';
import { APPROVALS, CHANGE_SET_REVIEW, OPERATIONS, STATE_NAMES, TASK_STATES, UNIT_STACK_OPERATIONS, UNIT_STACK_REVIEW } from '../shared/state-names';
import type { ApprovalNames, ChangeSetReviewNames, OperationNames, TaskState } from '../shared/state-names';
import { WAIT_RECORD, WAIT_RECORD_KEY_FORMAT, WAIT_REGISTERS_IF } from '../shared/wait-record';

/** The graph's first state, with every state after it; each Task state invokes `taskFunction`. */
export function deployGraph(scope: Construct, taskFunction: lambda.IFunction, waits?: dynamodb.ITable): sfn.IChainable {
  return new DeployGraph(scope, taskFunction, waits).build();
}

/** A state's output over Step Functions' payload limit; States.ALL does not catch it. */
const DATA_LIMIT_EXCEEDED = 'States.DataLimitExceeded';

/** Errors of the Lambda service itself, retried by every Task state. */
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException', 'Lambda.ClientExecutionTimeoutException',
];

/**
 * The PutItem of a wait record failed its condition: the operation's end was recorded before the wait registered.
 * For an AWS SDK integration (`aws-sdk:dynamodb`) Step Functions names the error `<Service>.<Error>`, the service in
 * PascalCase as the SDK writes it: `DynamoDb`, not the optimised `dynamodb:` integration's `DynamoDB`. Sources:
 * Step Functions' guide "Learning to use AWS service SDK integrations in Step Functions" (ServiceName.ErrorName,
 * both PascalCase; `aws-sdk:acmpca` -> `AcmPca.ResourceNotFoundException`), and an execution history recorded on
 * AWS in LocalStack's snapshot tests (tests/aws/services/stepfunctions/v2/error_handling/test_aws_sdk.snapshot.json:
 * `aws-sdk:dynamodb` putItem failed with `DynamoDb.ResourceNotFoundException`, "Service: DynamoDb"), as the AWS SDK
 * for Java 2.x names the service (DynamoDbClient, DynamoDbException).
 */
const OPERATION_ENDED_BEFORE_WAIT = 'DynamoDb.ConditionalCheckFailedException';

/** How many stacks of a unit are reviewed at once. */
const UNIT_REVIEW_CONCURRENCY = 5;

/** Where in the state a stack's deployment and operation are: the whole state, or a unit's current stack. */
type At = '$' | '$.unit.current';

/** Where the states of one change set review lead; the review itself is the same for every stack. */
interface ReviewEnds {
  /** Errors before the change set exists, and from its creation's poll on (a clean-up that deletes it, or the same). */
  readonly errored: sfn.IChainable;
  readonly changeSetErrored: sfn.IChainable;
  /** The check's other answers: create the stack, delete it (left out: not handled), no way on (`blocked`). */
  readonly create: sfn.IChainable;
  readonly deleteRolledBack?: sfn.IChainable;
  readonly blocked: sfn.IChainable;
  /** After the inspection, after the deletion of a change set without changes, after the deletion of a failed one. */
  readonly inspected: sfn.IChainable;
  readonly noChanges: sfn.IChainable;
  readonly failed: sfn.IChainable;
  /**
   * When `when` holds, the change set is the pipeline's own (CDK Pipelines prepared it): the check goes straight to
   * reading it, the workflow creates none, and one without changes is left for the pipeline's action (`noChanges`).
   */
  readonly prepared?: { readonly when: sfn.Condition; readonly noChanges: sfn.IChainable };
}

/** One wait for a stack operation: its names, where the operation is, and where its end leads. */
interface OperationWait {
  readonly names: OperationNames;
  readonly at: At;
  readonly errored: sfn.IChainable;
  /** Where an operation that succeeded goes; left out, every end goes to `otherwise`, which records it. */
  readonly succeeded?: sfn.IChainable;
  /** Where every other end goes: a failed operation, or (without `succeeded`) any. */
  readonly otherwise: sfn.IChainable;
}

/** A person's decision on change sets: the names, where the answer and the timeout are, where each outcome leads. */
interface ApprovalPart {
  readonly names: ApprovalNames;
  readonly resultPath: string;
  readonly timeoutPath: string;
  /** The cause each failure states: after a rejection, and after the timeout. */
  readonly rejectedCause: Pick<sfn.FailProps, 'cause' | 'causePath'>;
  readonly timedOutCause: Pick<sfn.FailProps, 'cause' | 'causePath'>;
  /** Where the deletions' errors go, and the approval's own (a clean-up that deletes the change sets). */
  readonly errored: sfn.IChainable;
  readonly cleanUp: sfn.IChainable;
  readonly approved: sfn.IChainable;
}

/** Builds the states in the construct scope of the state machine (their ids are the state names). */
class DeployGraph {
  constructor(private readonly scope: Construct, private readonly taskFunction: lambda.IFunction, private readonly waits?: dynamodb.ITable) {}

  /** The entry: confirm the pipeline job with CodePipeline, then a unit's states or the single stack's. */
  public build(): sfn.IChainable {
    const S = STATE_NAMES;
    const errored = new sfn.Fail(this.scope, S.deploymentErrored, {
      errorPath: '$.error.Error', causePath: '$.error.Cause',
    });
    const succeeded = new sfn.Succeed(this.scope, S.deploymentSucceeded);
    const confirmJob = this.task(S.confirmJob, '$.job', errored);
    // Several stacks go through the unit's states, which review all of them before any is executed.
    confirmJob.next(new sfn.Choice(this.scope, S.isUnit)
      .when(sfn.Condition.isPresent('$.deployment.unit'), this.unit(errored, succeeded))
      .otherwise(this.singleStack(errored, succeeded)));
    return confirmJob;
  }

  /**
   * A single stack: its template read and the stack checked, then created (path 1), or a change set reviewed,
   * executed or deleted (paths 2 and 3). Opted in (recreateRolledBackStack), a stack whose creation failed is
   * deleted, then created again; after blue/green's switch, the new stack is checked.
   */
  private singleStack(errored: sfn.IChainable, succeeded: sfn.IChainable): sfn.IChainable {
    const S = STATE_NAMES;
    const N = CHANGE_SET_REVIEW;
    // Keeps the original error at $.error when the clean-up fails too.
    const cleanUpAfterError = this.task(S.cleanUpAfterError, '$.cleanup', errored, '$.cleanupError');
    cleanUpAfterError.next(errored);
    // Path 1: create the stack and wait until CREATE_COMPLETE.
    const createStack = this.operation(OPERATIONS.creation, '$', errored, {
      succeeded, otherwise: this.operationFailed(S.stackCreationFailed, FAILURE_NAMES.stackCreationFailed),
    });
    // Both lead back to the review's check (wired below, once the review exists).
    const deleteRolledBack = this.task(S.deleteRolledBackStack, '$.operation', errored);
    const switchToNewStack = this.task(S.switchToNewStack, '$.deployment', errored);
    const review = this.changeSetReview(N, {
      errored,
      changeSetErrored: cleanUpAfterError,
      create: createStack,
      deleteRolledBack,
      blocked: new sfn.Fail(this.scope, N.blocked, { error: FAILURE_NAMES.stackNotUpdatable, causePath: '$.stack.reason' }),
      inspected: this.singleStackVerdict(errored, cleanUpAfterError, succeeded, switchToNewStack),
      noChanges: new sfn.Succeed(this.scope, N.noChanges),
      failed: new sfn.Fail(this.scope, N.failed, { error: FAILURE_NAMES.changeSetFailed, causePath: '$.changeSet.reason' }),
    });
    deleteRolledBack.next(this.untilOperationEnds({
      names: OPERATIONS.deletion,
      at: '$',
      errored,
      succeeded: review.check,
      otherwise: this.operationFailed(S.stackDeletionFailed, FAILURE_NAMES.stackDeletionFailed),
    }));
    switchToNewStack.next(review.check);
    return review.read;
  }

  /**
   * The single stack's inspected change set: executed when safe, or after a person approves it (rejection and
   * timeout delete it); an unsafe one is deleted, then the deployment fails (the default) or, once, switches to a new
   * stack (blue/green), whose check comes next.
   */
  private singleStackVerdict(
    errored: sfn.IChainable, cleanUp: sfn.IChainable, succeeded: sfn.IChainable, switchToNewStack: sfn.IChainable,
  ): sfn.IChainable {
    const S = STATE_NAMES;
    const execute = this.operation(OPERATIONS.update, '$', cleanUp, {
      errored, succeeded, otherwise: this.operationFailed(S.stackUpdateFailed, FAILURE_NAMES.stackUpdateFailed),
    });
    const approval = this.approval({
      names: APPROVALS.stack,
      resultPath: '$.approval',
      timeoutPath: '$.inspection.approvalTimeoutSeconds',
      rejectedCause: { causePath: '$.approvalError.Cause' },
      timedOutCause: { cause: 'Nobody decided within the approval timeout: the change set was deleted and not executed.' },
      errored,
      cleanUp,
      approved: execute,
    });
    const deleteUnsafe = this.task(S.deleteUnsafeChangeSet, '$.cleanup', errored);
    deleteUnsafe.next(new sfn.Choice(this.scope, S.deployToNewStack)
      .when(sfn.Condition.and(
        sfn.Condition.stringEquals('$.deployment.onUnsafe.type', 'deployToNewStack'),
        // not(isPresent), rather than isPresent false: the same in Step Functions, and local engines agree.
        sfn.Condition.not(sfn.Condition.isPresent('$.deployment.previousStackName')),
      ), switchToNewStack)
      .otherwise(new sfn.Fail(this.scope, S.deploymentRejected, { error: FAILURE_NAMES.unsafeChangeSet, causePath: '$.inspection.reason' })));
    return new sfn.Choice(this.scope, S.safeToUpdate)
      .when(sfn.Condition.stringEquals('$.inspection.verdict', 'ALLOW'), execute)
      .when(sfn.Condition.stringEquals('$.inspection.verdict', 'REQUIRE_APPROVAL'), approval)
      .otherwise(deleteUnsafe);
  }

  /**
   * One change set review, the same for the single stack and each stack of a unit: read the template, check the
   * stack (waiting while another deployment runs on it), create the change set, poll until it is created, then
   * inspect it, or delete it when it holds no changes or its creation failed. Where it leads is `ends`.
   */
  private changeSetReview(names: ChangeSetReviewNames, ends: ReviewEnds): { read: sfn.IChainable; check: sfn.IChainable } {
    const read = this.task(names.read, '$.template', ends.errored);
    const check = this.task(names.check, '$.stack', ends.errored);
    const waitOther = new sfn.Wait(this.scope, names.waitOther, { time: sfn.WaitTime.secondsPath('$.stack.waitSeconds') });
    const create = this.task(names.create, '$.changeSet', ends.errored);
    const wait = new sfn.Wait(this.scope, names.wait, { time: sfn.WaitTime.secondsPath('$.changeSet.waitSeconds') });
    const poll = this.task(names.poll, '$.changeSet', ends.changeSetErrored);
    const inspect = this.task(names.inspect, '$.inspection', ends.changeSetErrored);
    const deleteEmpty = this.task(names.deleteEmpty, '$.cleanup', ends.errored);
    const deleteFailed = this.task(names.deleteFailed, '$.cleanup', ends.errored);
    read.next(check);
    waitOther.next(check);
    create.next(wait);
    wait.next(poll);
    inspect.next(ends.inspected);
    deleteEmpty.next(ends.noChanges);
    deleteFailed.next(ends.failed);

    const stackNext = (value: string) => sfn.Condition.stringEquals('$.stack.next', value);
    const checked = new sfn.Choice(this.scope, names.checked);
    if (ends.prepared) checked.when(sfn.Condition.and(ends.prepared.when, sfn.Condition.or(stackNext('CHANGE_SET'), stackNext('CREATE'))), poll);
    checked.when(stackNext('CREATE'), ends.create);
    if (ends.deleteRolledBack) checked.when(stackNext('DELETE'), ends.deleteRolledBack);
    check.next(checked
      .when(stackNext('CHANGE_SET'), create)
      .when(stackNext('WAIT'), waitOther)
      .otherwise(ends.blocked));

    const outcome = (value: string) => sfn.Condition.stringEquals('$.changeSet.outcome', value);
    const created = new sfn.Choice(this.scope, names.created).when(outcome('READY'), inspect);
    if (ends.prepared) created.when(sfn.Condition.and(ends.prepared.when, outcome('NO_CHANGES')), ends.prepared.noChanges);
    poll.next(created
      .when(outcome('PENDING'), wait)
      .when(outcome('NO_CHANGES'), deleteEmpty)
      .otherwise(deleteFailed));
    return { read, check };
  }

  /**
   * A person's decision, through a task token: approved goes on, rejection and timeout delete the change sets and
   * fail; an answer too large for the state is an error like any other, and the change sets are deleted.
   */
  private approval(part: ApprovalPart): sfn.IChainable {
    const state = this.approvalTask(part.names.wait, part.resultPath, part.timeoutPath);
    const { names, errored } = part;
    const rejected = this.deleteThenFail(names.deleteRejected, errored, { name: names.rejected, error: APPROVAL_REJECTED, ...part.rejectedCause });
    state.addCatch(rejected, { errors: [APPROVAL_REJECTED], resultPath: '$.approvalError' });
    const expired = this.deleteThenFail(names.deleteExpired, errored, {
      name: names.timedOut, error: FAILURE_NAMES.approvalTimedOut, ...part.timedOutCause,
    });
    state.addCatch(expired, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.approvalError' });
    addCatches(state, part.cleanUp, '$.error');
    state.next(part.approved);
    return state;
  }

  /**
   * A unit of stacks: plan a round, review its stacks in parallel (each as a single deployment would be, up to its
   * inspection), judge the round as one, ask a person once if needed, then deploy its stacks one after another;
   * the next round follows. A refused, failed or stopped unit deletes the change sets it did not execute.
   */
  private unit(errored: sfn.IChainable, succeeded: sfn.IChainable): sfn.IChainable {
    const S = STATE_NAMES;
    // After an error: the change sets not executed are deleted, and the cause says what happened to each stack.
    const cleanUp = this.task(S.cleanUpUnitAfterError, '$.cleanup', errored, '$.cleanupError');
    cleanUp.next(new sfn.Fail(this.scope, S.unitErrored, { errorPath: '$.error.Error', causePath: '$.cleanup.reason' }));

    const plan = this.task(S.planUnitRound, '$.unit', errored);
    const review = new sfn.Map(this.scope, S.reviewUnitStacks, {
      itemsPath: '$.unit.review',
      itemSelector: { deployment: sfn.JsonPath.objectAt('$$.Map.Item.Value'), job: sfn.JsonPath.objectAt('$.job') },
      maxConcurrency: UNIT_REVIEW_CONCURRENCY,
      resultPath: '$.reviews',
    });
    review.itemProcessor(this.unitStackReview());
    addCatches(review, cleanUp, '$.error');
    // The judgement picks the round's first stack when the round may run; after a person's approval, Next Unit Stack does.
    const judge = this.task(S.judgeUnit, '$.unit', cleanUp);
    // The reviews are in the unit now: the state keeps only what the next states need.
    const reviewed = new sfn.Pass(this.scope, S.unitReviewed, {
      parameters: { deployment: sfn.JsonPath.objectAt('$.deployment'), job: sfn.JsonPath.objectAt('$.job'), unit: sfn.JsonPath.objectAt('$.unit') },
    });
    const { next, picked } = this.unitDeployment(plan, succeeded, errored, cleanUp);
    // The cause: after a person's decision, the clean-up's, which says what happened to each stack.
    const approval = this.approval({
      names: APPROVALS.unit,
      resultPath: '$.unit.approval',
      timeoutPath: '$.unit.approvalTimeoutSeconds',
      rejectedCause: { causePath: '$.cleanup.reason' },
      timedOutCause: { causePath: '$.cleanup.reason' },
      errored,
      cleanUp,
      approved: next,
    });
    const verdict = picked(new sfn.Choice(this.scope, S.unitVerdict))
      .when(sfn.Condition.stringEquals('$.unit.next', 'APPROVE'), approval)
      .when(sfn.Condition.stringEquals('$.unit.next', 'REFUSE'),
        this.deleteThenFail(S.deleteRefusedUnitChangeSets, errored, { name: S.unitRejected, error: FAILURE_NAMES.unsafeChangeSet, causePath: '$.unit.reason' }))
      .otherwise(this.deleteThenFail(S.deleteFailedUnitChangeSets, errored, { name: S.unitReviewFailed, error: FAILURE_NAMES.unitReviewFailed, causePath: '$.unit.reason' }));

    plan.next(new sfn.Choice(this.scope, S.unitRoundPlanned)
      .when(sfn.Condition.stringEquals('$.unit.next', 'REVIEW'), review)
      .otherwise(new sfn.Fail(this.scope, S.unitCannotBeReviewed, { error: FAILURE_NAMES.unitReviewFailed, causePath: '$.unit.reason' })));
    review.next(judge);
    judge.next(reviewed);
    reviewed.next(verdict);
    return plan;
  }

  /**
   * One stack of a unit, inside the review Map: the single stack's change set review, up to its inspection; its
   * ends keep what the unit needs (a plan, the check, the change set, the inspection). A change set the pipeline
   * prepared is read where it is instead: no template, no change set of the workflow's own; when it holds no changes
   * it is left for the pipeline's action, which executes it.
   */
  private unitStackReview(): sfn.IChainable {
    const S = STATE_NAMES;
    const N = UNIT_STACK_REVIEW;
    const at = (path: string) => sfn.JsonPath.objectAt(path);
    const reviewed = (name: string, plan: string, paths: Record<string, string>) => new sfn.Pass(this.scope, name, {
      parameters: { stackName: sfn.JsonPath.stringAt('$.deployment.stackName'), plan, ...Object.fromEntries(Object.entries(paths).map(([k, p]) => [k, at(p)])) },
    });
    // An error ends this stack's review, not the others': every stack's review settles before the round is judged
    // (and its change sets deleted), so no change set is still being created when the clean-up runs.
    const errored = reviewed(S.unitStackReviewErrored, 'ERROR', { error: '$.error' });
    // Written only as true: a condition on a path that is not there would fail the execution in Step Functions.
    const prepared = sfn.Condition.isPresent('$.deployment.prepared');
    const review = this.changeSetReview(N, {
      errored,
      changeSetErrored: errored,
      create: reviewed(S.unitNewStack, 'CREATE', { stack: '$.stack', template: '$.template' }),
      blocked: reviewed(N.blocked, 'BLOCKED', { stack: '$.stack' }),
      inspected: reviewed(S.unitChangeSetInspected, 'EXECUTE', { stack: '$.stack', changeSet: '$.changeSet', inspection: '$.inspection' }),
      noChanges: reviewed(N.noChanges, 'NONE', { stack: '$.stack' }),
      failed: reviewed(N.failed, 'FAILED', { stack: '$.stack', changeSet: '$.changeSet' }),
      prepared: { when: prepared, noChanges: reviewed(S.preparedStackUpToDate, 'NONE', { stack: '$.stack' }) },
    });
    return new sfn.Choice(this.scope, S.preparedChangeSet).when(prepared, review.check).otherwise(review.read);
  }

  /**
   * A judged unit's deployment, one stack after another: the next stack is created or its change set executed, and
   * whether its operation succeeded or failed, `next` records it and picks the one after. Between rounds, a Wait of
   * the poll interval: no round of the graph, not even one with nothing to deploy, goes without one. `picked` adds
   * where a pick leads to a Choice: the one after `next`, and the judgement's, which makes the round's first pick.
   */
  private unitDeployment(
    plan: sfn.IChainable, succeeded: sfn.IChainable, errored: sfn.IChainable, cleanUp: sfn.IChainable,
  ): { next: sfn.IChainable; picked: (choice: sfn.Choice) => sfn.Choice } {
    const S = STATE_NAMES;
    const next = this.task(S.nextUnitStack, '$.unit', cleanUp);
    const createStack = this.operation(UNIT_STACK_OPERATIONS.creation, '$.unit.current', cleanUp, { otherwise: next });
    const execute = this.operation(UNIT_STACK_OPERATIONS.update, '$.unit.current', cleanUp, { otherwise: next });
    const waitNextRound = new sfn.Wait(this.scope, S.waitForNextUnitRound, { time: sfn.WaitTime.secondsPath('$.unit.waitSeconds') });
    waitNextRound.next(plan);
    const stopped = this.deleteThenFail(S.deleteStoppedUnitChangeSets, errored, {
      name: S.unitStackFailed, error: FAILURE_NAMES.unitStackFailed, causePath: '$.unit.reason',
    });
    const picked = (choice: sfn.Choice) => choice
      .when(sfn.Condition.stringEquals('$.unit.next', 'EXECUTE'), execute)
      .when(sfn.Condition.stringEquals('$.unit.next', 'CREATE'), createStack)
      .when(sfn.Condition.stringEquals('$.unit.next', 'REVIEW'), waitNextRound)
      .when(sfn.Condition.stringEquals('$.unit.next', 'DONE'), succeeded)
      .when(sfn.Condition.stringEquals('$.unit.next', 'STOP'), stopped);
    next.next(picked(new sfn.Choice(this.scope, S.nextInUnit)).otherwise(stopped));
    return { next, picked };
  }

  /**
   * A stack operation's start, then the wait for its end. An error of the start goes to `startErrored`, the
   * wait's to `ends.errored` (the same unless given).
   */
  private operation(
    names: OperationNames, at: At, startErrored: sfn.IChainable, ends: Omit<OperationWait, 'names' | 'at' | 'errored'> & { errored?: sfn.IChainable },
  ): sfn.IChainable {
    const start = this.task(names.start, `${at}.operation`, startErrored);
    start.next(this.untilOperationEnds({ ...ends, names, at, errored: ends.errored ?? startErrored }));
    return start;
  }

  /**
   * Waits for the stack operation the previous state started: a Wait of the poll interval, then on the stack's status
   * events or not, the stack is read (the stack decides, never the event); wait again while it runs, otherwise go
   * where `wait` says. Every round passes the Wait: an event that wakes the execution while the stack still runs
   * (forged, or ahead of DescribeStacks) costs one read, never a loop.
   */
  private untilOperationEnds(wait: OperationWait): sfn.IChainable {
    const { names, at } = wait;
    const waitState = new sfn.Wait(this.scope, names.wait, { time: sfn.WaitTime.secondsPath(`${at}.operation.waitSeconds`) });
    const poll = this.task(names.poll, `${at}.operation`, wait.errored);
    waitState.next(this.wakeThenRead(names, at, poll));
    const outcome = (value: string) => sfn.Condition.stringEquals(`${at}.operation.outcome`, value);
    const ended = new sfn.Choice(this.scope, names.ended);
    if (wait.succeeded) ended.when(outcome('SUCCEEDED'), wait.succeeded);
    poll.next(ended.when(outcome('IN_PROGRESS'), waitState).otherwise(wait.otherwise));
    return waitState;
  }

  /** The single stack's operation failed: the execution fails with the stack's reason. */
  private operationFailed(name: string, error: string): sfn.IChainable {
    return new sfn.Fail(this.scope, name, { error, causePath: '$.operation.reason' });
  }

  /** Deletes change sets, then fails as `fail` says. */
  private deleteThenFail(deleteName: string, errored: sfn.IChainable, fail: sfn.FailProps & { readonly name: string }): sfn.IChainable {
    const { name, ...props } = fail;
    const remove = this.task(deleteName, '$.cleanup', errored);
    remove.next(new sfn.Fail(this.scope, name, props));
    return remove;
  }

  /** After the Wait: the read, at once when polling, or after the stack's events wake the execution. */
  private wakeThenRead(names: Pick<OperationNames, 'how' | 'await'>, base: At, poll: sfn.IChainable): sfn.IChainable {
    if (!this.waits) return poll;
    return new sfn.Choice(this.scope, names.how).when(onEventsFor(base), this.awaitEvent(this.waits, names.await, base, poll)).otherwise(poll);
  }

  /**
   * Leaves the execution's task token where the stack's status events find it (a DynamoDB item keyed by the stack
   * and the operation's client request token) and waits: an event of the operation's end wakes it, or, if none
   * comes, the safety poll. However the wait ends (a wake, real or forged; the timeout; the record of an end that
   * came before the wait registered; an error) nothing of it enters the state, and the stack is read next.
   */
  private awaitEvent(waits: dynamodb.ITable, name: string, base: string, poll: sfn.IChainable): sfn.IChainable {
    const at = (path: string) => `${base === '$' ? '$' : base}.${path}`;
    const state = new tasks.CallAwsService(this.scope, name, {
      service: 'dynamodb',
      action: 'putItem',
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      parameters: {
        TableName: waits.tableName,
        Item: {
          [WAIT_RECORD.key]: {
            S: sfn.JsonPath.format(WAIT_RECORD_KEY_FORMAT, sfn.JsonPath.stringAt(at('deployment.stackName')), sfn.JsonPath.stringAt(at('operation.clientRequestToken'))),
          },
          [WAIT_RECORD.taskToken]: { S: sfn.JsonPath.taskToken },
          [WAIT_RECORD.execution]: { S: sfn.JsonPath.executionId },
          [WAIT_RECORD.expiresAt]: { N: sfn.JsonPath.format('{}', sfn.JsonPath.stringAt(at('operation.expiresAt'))) },
        },
        ConditionExpression: WAIT_REGISTERS_IF,
      },
      iamResources: [waits.tableArn],
      iamAction: 'dynamodb:PutItem',
      // What SendTaskSuccess carries (whoever sent it) decides nothing: the state leaves as it came.
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(STACK_EVENTS.safetyPollSeconds)),
    });
    state.addCatch(poll, { errors: [sfn.Errors.TIMEOUT, OPERATION_ENDED_BEFORE_WAIT], resultPath: sfn.JsonPath.DISCARD });
    // Any other failure of the wait reads the stack too; the Wait before the next round keeps it from spinning.
    state.addCatch(poll, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
    state.next(poll);
    return state;
  }

  /** The state that waits for a person: the task function notifies, the execution waits for the task token. */
  private approvalTask(name: string, resultPath: string, timeoutPath: string): tasks.LambdaInvoke {
    if (taskStateOf(name).task !== 'requestApproval') throw new Error(`Task state "${name}" does not run requestApproval in TASK_STATES`);
    const state = new tasks.LambdaInvoke(this.scope, name, {
      lambdaFunction: this.taskFunction,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        task: taskStateOf(name).task,
        state: sfn.JsonPath.entirePayload,
        token: sfn.JsonPath.taskToken,
        executionId: sfn.JsonPath.executionId,
      }),
      resultPath,
      // Each action sets its own approval timeout, cut to the action's deadline; no decision in time is a rejection.
      taskTimeout: sfn.Timeout.at(timeoutPath),
      retryOnServiceExceptions: false,
    });
    state.addRetry({ errors: LAMBDA_SERVICE_ERRORS, interval: Duration.seconds(2), maxAttempts: 6, backoffRate: 2 });
    return state;
  }

  /**
   * A Task state calling the task function with the task and the part of the state that `TASK_STATES` name for
   * it, with retries on Lambda and AWS throttling errors and a timeout; every error goes to `onError`.
   */
  private task(name: string, resultPath: string, onError: sfn.IChainable, errorPath = '$.error'): tasks.LambdaInvoke {
    const { task, statePath = '$' } = taskStateOf(name);
    if (task === 'requestApproval') throw new Error(`Task state "${name}" waits for a person: it is built by approvalTask`);
    const state = new tasks.LambdaInvoke(this.scope, name, {
      lambdaFunction: this.taskFunction,
      payload: sfn.TaskInput.fromObject({
        task,
        state: statePath === '$' ? sfn.JsonPath.entirePayload : sfn.JsonPath.objectAt(statePath),
        executionId: sfn.JsonPath.executionId,
      }),
      payloadResponseOnly: true,
      resultPath,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(90)),
      retryOnServiceExceptions: false,
    });
    state.addRetry({ errors: LAMBDA_SERVICE_ERRORS, interval: Duration.seconds(2), maxAttempts: 6, backoffRate: 2 });
    state.addRetry({ errors: [TRANSIENT_ERROR], interval: Duration.seconds(5), maxAttempts: 5, backoffRate: 2 });
    // A change set cannot be deleted while CloudFormation creates it: its deletion waits for it, about 28 minutes at most.
    state.addRetry({ errors: [CHANGE_SET_BEING_CREATED], interval: Duration.seconds(15), maxAttempts: 10, backoffRate: 1.5 });
    state.addRetry({ errors: [sfn.Errors.TIMEOUT], interval: Duration.seconds(5), maxAttempts: 2, backoffRate: 2 });
    addCatches(state, onError, errorPath);
    return state;
  }
}

/** What a Task state runs, from the one table of them. */
function taskStateOf(name: string): TaskState {
  const entry = Object.prototype.hasOwnProperty.call(TASK_STATES, name) ? TASK_STATES[name] : undefined;
  if (!entry) throw new Error(`Task state "${name}" is not in TASK_STATES: add it with the task it runs`);
  return entry;
}

/** Every error goes to `onError`; States.ALL does not catch States.DataLimitExceeded, so it is named on its own. */
function addCatches(state: sfn.TaskStateBase | sfn.Map, onError: sfn.IChainable, errorPath: string): void {
  state.addCatch(onError, { errors: [DATA_LIMIT_EXCEEDED], resultPath: errorPath });
  state.addCatch(onError, { errors: [sfn.Errors.ALL], resultPath: errorPath });
}

/** The deployment waits on its stacks' status events, and the operation says which events are its own. */
function onEventsFor(base: string): sfn.Condition {
  return sfn.Condition.and(
    sfn.Condition.booleanEquals(`${base}.deployment.stackEvents`, true),
    sfn.Condition.isPresent(`${base}.operation.clientRequestToken`),
  );
}
