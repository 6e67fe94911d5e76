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
import { CHANGE_SET_BEING_CREATED, TRANSIENT_ERROR } from '../shared/errors';
import { STATE_NAMES, TASK_STATES } from '../shared/state-names';
import type { TaskState } from '../shared/state-names';

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

/** The states of one wait for a stack operation, and the error its failure ends with. */
interface OperationStates {
  /** The choice between waiting on events and polling, and the state that waits on events. */
  readonly how: string;
  readonly await: string;
  readonly wait: string;
  readonly poll: string;
  readonly ended: string;
  readonly failed: string;
  readonly error: string;
}

/** Builds the states in the construct scope of the state machine (their ids are the state names). */
class DeployGraph {
  constructor(private readonly scope: Construct, private readonly taskFunction: lambda.IFunction, private readonly waits?: dynamodb.ITable) {}

  public build(): sfn.IChainable {
    const S = STATE_NAMES;
    const errored = new sfn.Fail(this.scope, S.deploymentErrored, {
      errorPath: '$.error.Error', causePath: '$.error.Cause',
    });
    // Keeps the original error at $.error when the clean-up fails too.
    const cleanUpAfterError = this.task(S.cleanUpAfterError, '$.cleanup', errored, '$.cleanupError');
    cleanUpAfterError.next(errored);
    const succeeded = new sfn.Succeed(this.scope, S.deploymentSucceeded);

    // Path 1: create the stack and wait until CREATE_COMPLETE.
    const createStack = this.task(S.createStack, '$.operation', errored);
    createStack.next(this.untilOperationEnds({
      how: S.onEventsForCreation, await: S.awaitStackCreation, wait: S.waitStackCreation, poll: S.getStackCreationStatus, ended: S.stackCreated, failed: S.stackCreationFailed, error: 'StackCreationFailed',
    }, succeeded, errored));

    const checkStack = this.task(S.checkStack, '$.stack', errored);

    // Path 2 and 3: a change set, inspected by the safety policy, executed or deleted.
    const createChangeSet = this.task(S.createChangeSet, '$.changeSet', errored);
    const waitChangeSet = new sfn.Wait(this.scope, S.waitChangeSetCreation, { time: sfn.WaitTime.secondsPath('$.changeSet.waitSeconds') });
    const getChangeSetStatus = this.task(S.getChangeSetCreationStatus, '$.changeSet', cleanUpAfterError);
    const inspect = this.task(S.inspectChangeSet, '$.inspection', cleanUpAfterError);
    const deleteEmpty = this.task(S.deleteEmptyChangeSet, '$.cleanup', errored);
    const deleteFailed = this.task(S.deleteFailedChangeSet, '$.cleanup', errored);
    const deleteUnsafe = this.task(S.deleteUnsafeChangeSet, '$.cleanup', errored);
    const execute = this.task(S.executeChangeSet, '$.operation', cleanUpAfterError);

    createChangeSet.next(waitChangeSet);
    waitChangeSet.next(getChangeSetStatus);
    deleteEmpty.next(new sfn.Succeed(this.scope, S.noChanges));
    deleteFailed.next(new sfn.Fail(this.scope, S.changeSetFailed, { error: 'ChangeSetFailed', causePath: '$.changeSet.reason' }));
    getChangeSetStatus.next(new sfn.Choice(this.scope, S.changeSetCreated)
      .when(sfn.Condition.stringEquals('$.changeSet.outcome', 'READY'), inspect)
      .when(sfn.Condition.stringEquals('$.changeSet.outcome', 'PENDING'), waitChangeSet)
      .when(sfn.Condition.stringEquals('$.changeSet.outcome', 'NO_CHANGES'), deleteEmpty)
      .otherwise(deleteFailed));
    // What happens to an unsafe change set: fail (the default), or blue/green to a new stack, once.
    const switchToNewStack = this.task(S.switchToNewStack, '$.deployment', errored);
    switchToNewStack.next(checkStack);
    deleteUnsafe.next(new sfn.Choice(this.scope, S.deployToNewStack)
      .when(sfn.Condition.and(
        sfn.Condition.stringEquals('$.deployment.onUnsafe.type', 'deployToNewStack'),
        // not(isPresent), rather than isPresent false: the same in Step Functions, and local engines agree.
        sfn.Condition.not(sfn.Condition.isPresent('$.deployment.previousStackName')),
      ), switchToNewStack)
      .otherwise(new sfn.Fail(this.scope, S.deploymentRejected, { error: 'UnsafeChangeSet', causePath: '$.inspection.reason' })));

    // Or a person decides, through a task token; rejection and timeout delete the change set.
    const waitForApproval = this.approvalTask(S.waitForApproval, '$.approval', '$.inspection.approvalTimeoutSeconds');
    const deleteRejected = this.task(S.deleteRejectedChangeSet, '$.cleanup', errored);
    deleteRejected.next(new sfn.Fail(this.scope, S.approvalRejected, { error: APPROVAL_REJECTED, causePath: '$.approvalError.Cause' }));
    const deleteExpired = this.task(S.deleteExpiredChangeSet, '$.cleanup', errored);
    deleteExpired.next(new sfn.Fail(this.scope, S.approvalTimedOut, {
      error: 'ApprovalTimedOut', cause: 'Nobody decided within the approval timeout: the change set was deleted and not executed.',
    }));
    waitForApproval.addCatch(deleteRejected, { errors: [APPROVAL_REJECTED], resultPath: '$.approvalError' });
    waitForApproval.addCatch(deleteExpired, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.approvalError' });
    // An answer too large for the state is an error like any other: the change set is deleted.
    addCatches(waitForApproval, cleanUpAfterError, '$.error');
    waitForApproval.next(execute);

    inspect.next(new sfn.Choice(this.scope, S.safeToUpdate)
      .when(sfn.Condition.stringEquals('$.inspection.verdict', 'SAFE'), execute)
      .when(sfn.Condition.stringEquals('$.inspection.verdict', 'NEEDS_APPROVAL'), waitForApproval)
      .otherwise(deleteUnsafe));
    execute.next(this.untilOperationEnds({
      how: S.onEventsForUpdate, await: S.awaitStackUpdate, wait: S.waitStackUpdate, poll: S.getStackUpdateStatus, ended: S.stackUpdated, failed: S.stackUpdateFailed, error: 'StackUpdateFailed',
    }, succeeded, errored));

    // The entry: confirm the pipeline job with CodePipeline, read the template, then decide between the paths.
    const confirmJob = this.task(S.confirmJob, '$.job', errored);
    const readTemplate = this.task(S.readTemplate, '$.template', errored);
    // Several stacks go through the unit's states, which review all of them before any is executed.
    confirmJob.next(new sfn.Choice(this.scope, S.isUnit)
      .when(sfn.Condition.isPresent('$.deployment.unit'), this.unit(errored, succeeded))
      .otherwise(readTemplate));
    const waitOther = new sfn.Wait(this.scope, S.waitForOtherDeployment, { time: sfn.WaitTime.secondsPath('$.stack.waitSeconds') });
    waitOther.next(checkStack);
    readTemplate.next(checkStack);
    // Opted in (recreateRolledBackStack): a stack whose creation failed is deleted, then created again.
    const deleteRolledBack = this.task(S.deleteRolledBackStack, '$.operation', errored);
    deleteRolledBack.next(this.untilOperationEnds({
      how: S.onEventsForDeletion, await: S.awaitStackDeletion, wait: S.waitStackDeletion, poll: S.getStackDeletionStatus, ended: S.stackDeleted, failed: S.stackDeletionFailed, error: 'StackDeletionFailed',
    }, checkStack, errored));

    checkStack.next(new sfn.Choice(this.scope, S.doesStackExist)
      .when(sfn.Condition.stringEquals('$.stack.next', 'CREATE'), createStack)
      .when(sfn.Condition.stringEquals('$.stack.next', 'DELETE'), deleteRolledBack)
      .when(sfn.Condition.stringEquals('$.stack.next', 'CHANGE_SET'), createChangeSet)
      .when(sfn.Condition.stringEquals('$.stack.next', 'WAIT'), waitOther)
      .otherwise(new sfn.Fail(this.scope, S.stackNotUpdatable, { error: 'StackNotUpdatable', causePath: '$.stack.reason' })));
    return confirmJob;
  }

  /**
   * A unit of stacks: plan a wave, review its stacks in parallel (each as a single deployment would be, up to its
   * inspection), judge the wave as one, ask a person once if needed, then deploy its stacks one after another;
   * the next wave follows. A refused, failed or stopped unit deletes the change sets it did not execute.
   */
  private unit(errored: sfn.IChainable, succeeded: sfn.IChainable): sfn.IChainable {
    const S = STATE_NAMES;
    // After an error: the change sets not executed are deleted, and the cause says what happened to each stack.
    const cleanUp = this.task(S.cleanUpUnitAfterError, '$.cleanup', errored, '$.cleanupError');
    cleanUp.next(new sfn.Fail(this.scope, S.unitErrored, { errorPath: '$.error.Error', causePath: '$.cleanup.reason' }));
    // The cause: the unit's reason, or (after a person's decision) the clean-up's, which says what happened to each stack.
    const deleteThenFail = (deleteName: string, failName: string, error: string, causePath = '$.unit.reason') => {
      const remove = this.task(deleteName, '$.cleanup', errored);
      remove.next(new sfn.Fail(this.scope, failName, { error, causePath }));
      return remove;
    };

    const plan = this.task(S.planUnitWave, '$.unit', errored);
    const review = new sfn.Map(this.scope, S.reviewUnitStacks, {
      itemsPath: '$.unit.review',
      itemSelector: { deployment: sfn.JsonPath.objectAt('$$.Map.Item.Value'), job: sfn.JsonPath.objectAt('$.job') },
      maxConcurrency: UNIT_REVIEW_CONCURRENCY,
      resultPath: '$.reviews',
    });
    review.itemProcessor(this.unitStackReview());
    addCatches(review, cleanUp, '$.error');
    const judge = this.task(S.judgeUnit, '$.unit', cleanUp);
    // The reviews are in the unit now: the state keeps only what the next states need.
    const reviewed = new sfn.Pass(this.scope, S.unitReviewed, {
      parameters: { deployment: sfn.JsonPath.objectAt('$.deployment'), job: sfn.JsonPath.objectAt('$.job'), unit: sfn.JsonPath.objectAt('$.unit') },
    });
    const next = this.task(S.nextUnitStack, '$.unit', cleanUp);
    const approval = this.approvalTask(S.waitForUnitApproval, '$.unit.approval', '$.unit.approvalTimeoutSeconds');
    approval.addCatch(deleteThenFail(S.deleteRejectedUnitChangeSets, S.unitRejectedByApprover, APPROVAL_REJECTED, '$.cleanup.reason'),
      { errors: [APPROVAL_REJECTED], resultPath: '$.approvalError' });
    approval.addCatch(deleteThenFail(S.deleteExpiredUnitChangeSets, S.unitApprovalTimedOut, 'ApprovalTimedOut', '$.cleanup.reason'),
      { errors: [sfn.Errors.TIMEOUT], resultPath: '$.approvalError' });
    addCatches(approval, cleanUp, '$.error');
    approval.next(next);

    plan.next(new sfn.Choice(this.scope, S.unitWavePlanned)
      .when(sfn.Condition.stringEquals('$.unit.next', 'REVIEW'), review)
      .otherwise(new sfn.Fail(this.scope, S.unitCannotBeReviewed, { error: 'UnitReviewFailed', causePath: '$.unit.reason' })));
    review.next(judge);
    judge.next(reviewed);
    reviewed.next(new sfn.Choice(this.scope, S.unitVerdict)
      .when(sfn.Condition.stringEquals('$.unit.next', 'EXECUTE'), next)
      .when(sfn.Condition.stringEquals('$.unit.next', 'APPROVE'), approval)
      .when(sfn.Condition.stringEquals('$.unit.next', 'REFUSE'), deleteThenFail(S.deleteRefusedUnitChangeSets, S.unitRejected, 'UnsafeChangeSet'))
      .otherwise(deleteThenFail(S.deleteFailedUnitChangeSets, S.unitReviewFailed, 'UnitReviewFailed')));

    const createStack = this.task(S.createUnitStack, '$.unit.current.operation', cleanUp);
    createStack.next(this.untilUnitOperationEnds({
      how: S.onEventsForUnitCreation,
      await: S.awaitUnitStackCreation,
      wait: S.waitUnitStackCreation,
      poll: S.getUnitStackCreationStatus,
      ended: S.unitStackCreated,
    }, next, cleanUp));
    const execute = this.task(S.executeUnitChangeSet, '$.unit.current.operation', cleanUp);
    execute.next(this.untilUnitOperationEnds({
      how: S.onEventsForUnitUpdate,
      await: S.awaitUnitStackUpdate,
      wait: S.waitUnitStackUpdate,
      poll: S.getUnitStackUpdateStatus,
      ended: S.unitStackUpdated,
    }, next, cleanUp));
    // Between waves, a Wait of the poll interval: no round of the graph, not even a wave with nothing to deploy, goes without one.
    const waitNextWave = new sfn.Wait(this.scope, S.waitForNextUnitWave, { time: sfn.WaitTime.secondsPath('$.unit.waitSeconds') });
    waitNextWave.next(plan);
    next.next(new sfn.Choice(this.scope, S.nextInUnit)
      .when(sfn.Condition.stringEquals('$.unit.next', 'EXECUTE'), execute)
      .when(sfn.Condition.stringEquals('$.unit.next', 'CREATE'), createStack)
      .when(sfn.Condition.stringEquals('$.unit.next', 'REVIEW'), waitNextWave)
      .when(sfn.Condition.stringEquals('$.unit.next', 'DONE'), succeeded)
      .otherwise(deleteThenFail(S.deleteStoppedUnitChangeSets, S.unitStackFailed, 'UnitStackFailed')));
    return plan;
  }

  /**
   * One stack of a unit, inside the review Map: read its template, check the stack, create and inspect its change
   * set; the last state keeps what the unit needs (a plan, the check, the change set, the inspection). A change set
   * the pipeline prepared is read where it is instead: no template, no change set of the workflow's own; when it
   * holds no changes it is left for the pipeline's action, which executes it.
   */
  private unitStackReview(): sfn.IChainable {
    const S = STATE_NAMES;
    const at = (path: string) => sfn.JsonPath.objectAt(path);
    const reviewed = (name: string, plan: string, paths: Record<string, string>) => new sfn.Pass(this.scope, name, {
      parameters: { stackName: sfn.JsonPath.stringAt('$.deployment.stackName'), plan, ...Object.fromEntries(Object.entries(paths).map(([k, p]) => [k, at(p)])) },
    });
    // An error ends this stack's review, not the others': every stack's review settles before the wave is judged
    // (and its change sets deleted), so no change set is still being created when the clean-up runs.
    const errored = reviewed(S.unitStackReviewErrored, 'ERROR', { error: '$.error' });
    const read = this.task(S.readUnitTemplate, '$.template', errored);
    const check = this.task(S.checkUnitStack, '$.stack', errored);
    const waitOther = new sfn.Wait(this.scope, S.waitForUnitStack, { time: sfn.WaitTime.secondsPath('$.stack.waitSeconds') });
    const create = this.task(S.createUnitChangeSet, '$.changeSet', errored);
    const wait = new sfn.Wait(this.scope, S.waitUnitChangeSet, { time: sfn.WaitTime.secondsPath('$.changeSet.waitSeconds') });
    const poll = this.task(S.getUnitChangeSetStatus, '$.changeSet', errored);
    const inspect = this.task(S.inspectUnitChangeSet, '$.inspection', errored);
    const deleteEmpty = this.task(S.deleteEmptyUnitChangeSet, '$.cleanup', errored);
    const deleteFailed = this.task(S.deleteFailedUnitChangeSet, '$.cleanup', errored);

    read.next(check);
    waitOther.next(check);
    // Written only as true: a condition on a path that is not there would fail the execution in Step Functions.
    const prepared = sfn.Condition.isPresent('$.deployment.prepared');
    check.next(new sfn.Choice(this.scope, S.unitStackState)
      .when(sfn.Condition.and(prepared, sfn.Condition.or(
        sfn.Condition.stringEquals('$.stack.next', 'CHANGE_SET'), sfn.Condition.stringEquals('$.stack.next', 'CREATE'))), poll)
      .when(sfn.Condition.stringEquals('$.stack.next', 'CHANGE_SET'), create)
      .when(sfn.Condition.stringEquals('$.stack.next', 'CREATE'), reviewed(S.unitNewStack, 'CREATE', { stack: '$.stack', template: '$.template' }))
      .when(sfn.Condition.stringEquals('$.stack.next', 'WAIT'), waitOther)
      .otherwise(reviewed(S.unitStackBlocked, 'BLOCKED', { stack: '$.stack' })));
    create.next(wait);
    wait.next(poll);
    poll.next(new sfn.Choice(this.scope, S.unitChangeSetCreated)
      .when(sfn.Condition.stringEquals('$.changeSet.outcome', 'READY'), inspect)
      .when(sfn.Condition.and(prepared, sfn.Condition.stringEquals('$.changeSet.outcome', 'NO_CHANGES')),
        reviewed(S.preparedStackUpToDate, 'NONE', { stack: '$.stack' }))
      .when(sfn.Condition.stringEquals('$.changeSet.outcome', 'PENDING'), wait)
      .when(sfn.Condition.stringEquals('$.changeSet.outcome', 'NO_CHANGES'), deleteEmpty)
      .otherwise(deleteFailed));
    deleteEmpty.next(reviewed(S.unitStackUpToDate, 'NONE', { stack: '$.stack' }));
    deleteFailed.next(reviewed(S.unitChangeSetFailed, 'FAILED', { stack: '$.stack', changeSet: '$.changeSet' }));
    inspect.next(reviewed(S.unitChangeSetInspected, 'EXECUTE', { stack: '$.stack', changeSet: '$.changeSet', inspection: '$.inspection' }));
    return new sfn.Choice(this.scope, S.preparedChangeSet).when(prepared, check).otherwise(read);
  }

  /** Waits for a unit stack's operation; whether it succeeded or failed, the next state records it. */
  private untilUnitOperationEnds(
    names: Omit<OperationStates, 'failed' | 'error'>, next: sfn.IChainable, cleanUp: sfn.IChainable,
  ): sfn.IChainable {
    const base = '$.unit.current';
    const wait = new sfn.Wait(this.scope, names.wait, { time: sfn.WaitTime.secondsPath(`${base}.operation.waitSeconds`) });
    const poll = this.task(names.poll, `${base}.operation`, cleanUp);
    wait.next(this.wakeThenRead(names, base, poll));
    poll.next(new sfn.Choice(this.scope, names.ended)
      .when(sfn.Condition.stringEquals(`${base}.operation.outcome`, 'IN_PROGRESS'), wait)
      .otherwise(next));
    return wait;
  }

  /**
   * Waits for the stack operation the previous state started: a Wait of the poll interval, then on the stack's status
   * events or not, the stack is read (the stack decides, never the event); go on when it ended well, wait again
   * while it runs, fail with the reason otherwise. Every round passes the Wait: an event that wakes the execution
   * while the stack still runs (forged, or ahead of DescribeStacks) costs one read, never a loop.
   */
  private untilOperationEnds(names: OperationStates, whenDone: sfn.IChainable, errored: sfn.IChainable): sfn.IChainable {
    const wait = new sfn.Wait(this.scope, names.wait, { time: sfn.WaitTime.secondsPath('$.operation.waitSeconds') });
    const poll = this.task(names.poll, '$.operation', errored);
    wait.next(this.wakeThenRead(names, '$', poll));
    poll.next(new sfn.Choice(this.scope, names.ended)
      .when(sfn.Condition.stringEquals('$.operation.outcome', 'SUCCEEDED'), whenDone)
      .when(sfn.Condition.stringEquals('$.operation.outcome', 'IN_PROGRESS'), wait)
      .otherwise(new sfn.Fail(this.scope, names.failed, { error: names.error, causePath: '$.operation.reason' })));
    return wait;
  }

  /** After the Wait: the read, at once when polling, or after the stack's events wake the execution. */
  private wakeThenRead(names: Pick<OperationStates, 'how' | 'await'>, base: string, poll: sfn.IChainable): sfn.IChainable {
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
          pk: { S: sfn.JsonPath.format('{}#{}', sfn.JsonPath.stringAt(at('deployment.stackName')), sfn.JsonPath.stringAt(at('operation.clientRequestToken'))) },
          taskToken: { S: sfn.JsonPath.taskToken },
          execution: { S: sfn.JsonPath.executionId },
          expiresAt: { N: sfn.JsonPath.format('{}', sfn.JsonPath.stringAt(at('operation.expiresAt'))) },
        },
        ConditionExpression: 'attribute_not_exists(finalStatus)',
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
