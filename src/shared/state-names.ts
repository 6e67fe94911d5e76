import type { TaskName } from './contract';

/**
 * The names of a wait for something CloudFormation does at its own pace: `Wait Stack Update`, `Get Stack Update
 * Status`, `Stack Updated?` and `Stack Update Failed` for a stack's update, the same words for its creation and
 * deletion and for a change set's creation. A stack operation's wait on events adds `Wait On Events For Update?` and
 * `Await Stack Update Event`.
 */
function waitNames(subject: 'Stack' | 'Change Set', noun: string, done: string) {
  return {
    wait: `Wait ${subject} ${noun}`,
    poll: `Get ${subject} ${noun} Status`,
    ended: `${subject} ${done}?`,
    failed: `${subject} ${noun} Failed`,
    how: `Wait On Events For ${noun}?`,
    await: `Await Stack ${noun} Event`,
  } as const;
}

const CHANGE_SET_CREATION = waitNames('Change Set', 'Creation', 'Created');
const STACK_CREATION = waitNames('Stack', 'Creation', 'Created');
const STACK_UPDATE = waitNames('Stack', 'Update', 'Updated');
const STACK_DELETION = waitNames('Stack', 'Deletion', 'Deleted');

/**
 * The words the end states of the single stack's path and of a unit's use for what they deploy, and the names built
 * from them: a refusal's deletion and failure (`Delete Unsafe Change Set`, `Deployment Rejected`), a person's decision
 * (`Wait For Unit Approval`, `Delete Rejected Unit Change Sets`, `Unit Rejected By Approver`, `Delete Unit Change Sets
 * After Approval Timeout`, `Unit Approval Timed Out`), and the clean-up after an error (`Delete Change Set After
 * Error`, `Deployment Errored`).
 */
function endNames(who: 'Deployment' | 'Unit', changeSets: 'Change Set' | 'Unit Change Sets', refused: 'Unsafe' | 'Refused') {
  const approval = who === 'Unit' ? 'Unit Approval' : 'Approval';
  const deleteAfter = (why: string) => `Delete ${changeSets} After ${why}`;
  return {
    deleteRefused: `Delete ${refused} ${changeSets}`,
    refused: `${who} Rejected`,
    approval: {
      wait: `Wait For ${approval}`,
      deleteRejected: `Delete Rejected ${changeSets}`,
      rejected: `${who} Rejected By Approver`,
      deleteExpired: deleteAfter('Approval Timeout'),
      timedOut: `${approval} Timed Out`,
    },
    deleteAfter,
    cleanUp: deleteAfter('Error'),
    errored: `${who} Errored`,
  } as const;
}

const STACK_ENDS = endNames('Deployment', 'Change Set', 'Unsafe');
const UNIT_ENDS = endNames('Unit', 'Unit Change Sets', 'Refused');

/**
 * The names of the deploy workflow's states, as the Step Functions console shows them: the ones no pattern above
 * builds are written here, each once. A stack of a unit passes the single stack's check, change set review and
 * operation waits: those states of the unit are named by `forUnitStack` from the single stack's
 * (`UNIT_STACK_REVIEW`, `UNIT_STACK_OPERATIONS`).
 */
export const STATE_NAMES = {
  confirmJob: 'Confirm Pipeline Job',
  isUnit: 'Is It A Unit?',
  // A stack's check and its change set's review: the single stack's, and each stack's of a unit.
  readTemplate: 'Read Template From Artifact',
  checkStack: 'Check Stack Existence',
  doesStackExist: 'Does Stack Exist?',
  waitForOtherDeployment: 'Wait For Other Deployment',
  stackNotUpdatable: 'Stack Cannot Be Updated',
  createChangeSet: 'Create Change Set',
  waitChangeSetCreation: CHANGE_SET_CREATION.wait,
  getChangeSetCreationStatus: CHANGE_SET_CREATION.poll,
  changeSetCreated: CHANGE_SET_CREATION.ended,
  deleteEmptyChangeSet: 'Delete Empty Change Set',
  noChanges: 'No Changes To Deploy',
  deleteFailedChangeSet: 'Delete Failed Change Set',
  changeSetFailed: CHANGE_SET_CREATION.failed,
  inspectChangeSet: 'Inspect Change Set Changes',
  // A stack operation and the wait for its end; the wait on CloudFormation's stack status events (a safety poll
  // reads the stack if none comes) only in a workflow with `stackEvents`.
  createStack: 'Create Stack',
  onEventsForCreation: STACK_CREATION.how,
  awaitStackCreation: STACK_CREATION.await,
  waitStackCreation: STACK_CREATION.wait,
  getStackCreationStatus: STACK_CREATION.poll,
  stackCreated: STACK_CREATION.ended,
  stackCreationFailed: STACK_CREATION.failed,
  executeChangeSet: 'Execute Change Set',
  onEventsForUpdate: STACK_UPDATE.how,
  awaitStackUpdate: STACK_UPDATE.await,
  waitStackUpdate: STACK_UPDATE.wait,
  getStackUpdateStatus: STACK_UPDATE.poll,
  stackUpdated: STACK_UPDATE.ended,
  stackUpdateFailed: STACK_UPDATE.failed,
  deleteRolledBackStack: 'Delete Rolled Back Stack',
  onEventsForDeletion: STACK_DELETION.how,
  awaitStackDeletion: STACK_DELETION.await,
  waitStackDeletion: STACK_DELETION.wait,
  getStackDeletionStatus: STACK_DELETION.poll,
  stackDeleted: STACK_DELETION.ended,
  stackDeletionFailed: STACK_DELETION.failed,
  // The single stack's verdict, approval and end.
  safeToUpdate: 'Safe to Update Infra?',
  deleteUnsafeChangeSet: STACK_ENDS.deleteRefused,
  deploymentRejected: STACK_ENDS.refused,
  deployToNewStack: 'Deploy To New Stack?',
  switchToNewStack: 'Switch To New Stack',
  waitForApproval: STACK_ENDS.approval.wait,
  deleteRejectedChangeSet: STACK_ENDS.approval.deleteRejected,
  approvalRejected: STACK_ENDS.approval.rejected,
  deleteExpiredChangeSet: STACK_ENDS.approval.deleteExpired,
  approvalTimedOut: STACK_ENDS.approval.timedOut,
  cleanUpAfterError: STACK_ENDS.cleanUp,
  deploymentErrored: STACK_ENDS.errored,
  deploymentSucceeded: 'Deployment Succeeded',
  // A unit of stacks: its rounds (the stacks it reviews at once), the review of each stack (the Map), its verdict,
  // approval and deployment, one stack after another.
  planUnitRound: 'Plan Unit Round',
  unitRoundPlanned: 'Unit Round Planned?',
  unitCannotBeReviewed: 'Unit Cannot Be Reviewed',
  reviewUnitStacks: 'Review Unit Stacks',
  preparedChangeSet: 'Prepared Change Set?',
  preparedStackUpToDate: 'Prepared Change Set Has No Changes',
  unitNewStack: 'Unit Stack Is New',
  unitChangeSetInspected: 'Unit Change Set Inspected',
  unitStackReviewErrored: 'Unit Stack Review Errored',
  judgeUnit: 'Judge Unit',
  unitReviewed: 'Unit Reviewed',
  unitVerdict: 'Unit Verdict?',
  deleteRefusedUnitChangeSets: UNIT_ENDS.deleteRefused,
  unitRejected: UNIT_ENDS.refused,
  deleteFailedUnitChangeSets: UNIT_ENDS.deleteAfter('Failed Review'),
  unitReviewFailed: 'Unit Review Failed',
  waitForUnitApproval: UNIT_ENDS.approval.wait,
  deleteRejectedUnitChangeSets: UNIT_ENDS.approval.deleteRejected,
  unitRejectedByApprover: UNIT_ENDS.approval.rejected,
  deleteExpiredUnitChangeSets: UNIT_ENDS.approval.deleteExpired,
  unitApprovalTimedOut: UNIT_ENDS.approval.timedOut,
  nextUnitStack: 'Next Unit Stack',
  nextInUnit: 'Next In Unit?',
  waitForNextUnitRound: 'Wait Before Next Unit Round',
  deleteStoppedUnitChangeSets: UNIT_ENDS.deleteAfter('Stack Failure'),
  unitStackFailed: 'Unit Stack Failed',
  cleanUpUnitAfterError: UNIT_ENDS.cleanUp,
  unitErrored: UNIT_ENDS.errored,
} as const;

/**
 * The name of a single stack's state where a stack of a unit passes it: "In Unit" added, before the question mark
 * of a Choice (`Create Change Set` -> `Create Change Set In Unit`, `Stack Created?` -> `Stack Created In Unit?`).
 */
export function forUnitStack(name: string): string {
  return name.endsWith('?') ? `${name.slice(0, -1)} In Unit?` : `${name} In Unit`;
}

const S = STATE_NAMES;

/** The states of one change set review, by the part each plays; the graph builds a review from them. */
export interface ChangeSetReviewNames {
  /** Reads the stack's template from the pipeline's artifact. */
  readonly read: string;
  /** Reads the stack, and the Choice on what it said: create it, review a change set, wait, or go no further. */
  readonly check: string;
  readonly checked: string;
  /** Waits while another deployment runs on the stack. */
  readonly waitOther: string;
  readonly create: string;
  readonly wait: string;
  readonly poll: string;
  /** The Choice on the change set's creation: ready, pending, no changes, failed. */
  readonly created: string;
  readonly inspect: string;
  readonly deleteEmpty: string;
  readonly deleteFailed: string;
  /** Where a review ends without a change set to deploy: the stack cannot be updated, no changes, creation failed. */
  readonly blocked: string;
  readonly noChanges: string;
  readonly failed: string;
}

/** The single stack's change set review. */
export const CHANGE_SET_REVIEW: ChangeSetReviewNames = {
  read: S.readTemplate,
  check: S.checkStack,
  checked: S.doesStackExist,
  waitOther: S.waitForOtherDeployment,
  create: S.createChangeSet,
  wait: S.waitChangeSetCreation,
  poll: S.getChangeSetCreationStatus,
  created: S.changeSetCreated,
  inspect: S.inspectChangeSet,
  deleteEmpty: S.deleteEmptyChangeSet,
  deleteFailed: S.deleteFailedChangeSet,
  blocked: S.stackNotUpdatable,
  noChanges: S.noChanges,
  failed: S.changeSetFailed,
};

/** The states of one stack operation and the wait for its end, by the part each plays. */
export interface OperationNames {
  /** Starts the operation. */
  readonly start: string;
  /** The Choice between waiting on events and polling, and the state that waits on events. */
  readonly how: string;
  readonly await: string;
  readonly wait: string;
  readonly poll: string;
  /** The Choice on the operation's end. */
  readonly ended: string;
}

/** The names of an operation's start and of the wait for its end. */
function operationNames(start: string, { how, await: awaitEvent, wait, poll, ended }: ReturnType<typeof waitNames>): OperationNames {
  return { start, how, await: awaitEvent, wait, poll, ended };
}

/** The single stack's operations: its creation, its update (the change set's execution), its deletion. */
export const OPERATIONS = {
  creation: operationNames(S.createStack, STACK_CREATION),
  update: operationNames(S.executeChangeSet, STACK_UPDATE),
  deletion: operationNames(S.deleteRolledBackStack, STACK_DELETION),
} as const satisfies Record<string, OperationNames>;

/** The states of a person's decision on change sets, by the part each plays. */
export interface ApprovalNames {
  readonly wait: string;
  /** After a rejection: the change sets' deletion, then the failure. */
  readonly deleteRejected: string;
  readonly rejected: string;
  /** After the approval timeout: the change sets' deletion, then the failure. */
  readonly deleteExpired: string;
  readonly timedOut: string;
}

/** The single stack's approval, and a unit's (once for a round's stacks). */
export const APPROVALS = {
  stack: STACK_ENDS.approval,
  unit: UNIT_ENDS.approval,
} as const satisfies Record<string, ApprovalNames>;

function eachForUnitStack<T extends object>(names: T): T {
  return Object.fromEntries(Object.entries(names).map(([part, name]) => [part, forUnitStack(name)])) as T;
}

/** The change set review of each stack of a unit (in the review Map). */
export const UNIT_STACK_REVIEW: ChangeSetReviewNames = eachForUnitStack(CHANGE_SET_REVIEW);

/** The single stack's operations a unit's stack passes too: creation and update (a unit's rolled back stack is not deleted). */
const UNIT_OPERATIONS = { creation: OPERATIONS.creation, update: OPERATIONS.update };

/** The operations of a unit's stack. */
export const UNIT_STACK_OPERATIONS = {
  creation: eachForUnitStack(UNIT_OPERATIONS.creation),
  update: eachForUnitStack(UNIT_OPERATIONS.update),
} as const satisfies Record<keyof typeof UNIT_OPERATIONS, OperationNames>;

/** Every state name of the workflow: the ones written here and a unit's stack's. */
export const ALL_STATE_NAMES: readonly string[] = [
  ...Object.values(STATE_NAMES),
  ...Object.values(UNIT_STACK_REVIEW),
  ...Object.values(UNIT_STACK_OPERATIONS).flatMap((names) => Object.values(names)),
];

/** The states of waiting on stack status events: only in a workflow with `stackEvents`. */
export const EVENT_WAIT_STATES: readonly string[] = [...Object.values(OPERATIONS), ...Object.values(UNIT_STACK_OPERATIONS)]
  .flatMap((names) => [names.how, names.await]);

/** The task a Task state runs, and where in the state's input the task's state is (the whole input by default). */
export interface TaskState {
  readonly task: TaskName;
  readonly statePath?: '$.unit.current';
}

/** What each Task state named in STATE_NAMES runs. */
const TASKS_AT: Readonly<Record<string, TaskName>> = {
  [S.confirmJob]: 'confirmJob',
  [S.readTemplate]: 'readTemplate',
  [S.checkStack]: 'checkStack',
  [S.createChangeSet]: 'createChangeSet',
  [S.getChangeSetCreationStatus]: 'pollChangeSet',
  [S.inspectChangeSet]: 'inspectChangeSet',
  [S.deleteEmptyChangeSet]: 'deleteChangeSet',
  [S.deleteFailedChangeSet]: 'deleteChangeSet',
  [S.createStack]: 'createStack',
  [S.getStackCreationStatus]: 'pollStack',
  [S.executeChangeSet]: 'executeChangeSet',
  [S.getStackUpdateStatus]: 'pollStack',
  [S.deleteRolledBackStack]: 'deleteRolledBackStack',
  [S.getStackDeletionStatus]: 'pollStack',
  [S.deleteUnsafeChangeSet]: 'deleteChangeSet',
  [S.switchToNewStack]: 'switchToNewStack',
  [S.waitForApproval]: 'requestApproval',
  [S.deleteRejectedChangeSet]: 'deleteChangeSet',
  [S.deleteExpiredChangeSet]: 'deleteChangeSet',
  [S.cleanUpAfterError]: 'deleteChangeSet',
  [S.planUnitRound]: 'planUnitRound',
  [S.judgeUnit]: 'judgeUnit',
  [S.deleteRefusedUnitChangeSets]: 'deleteUnitChangeSets',
  [S.deleteFailedUnitChangeSets]: 'deleteUnitChangeSets',
  [S.waitForUnitApproval]: 'requestApproval',
  [S.deleteRejectedUnitChangeSets]: 'deleteUnitChangeSets',
  [S.deleteExpiredUnitChangeSets]: 'deleteUnitChangeSets',
  [S.nextUnitStack]: 'nextUnitStack',
  [S.deleteStoppedUnitChangeSets]: 'deleteUnitChangeSets',
  [S.cleanUpUnitAfterError]: 'deleteUnitChangeSets',
};

/** A unit's stack runs the single stack's tasks: in its review on the Map item's state, in its operations at `$.unit.current`. */
function forUnitStackTasks(names: object, statePath?: TaskState['statePath']): [string, TaskState][] {
  return Object.values(names).filter((name: string) => name in TASKS_AT)
    .map((name: string) => [forUnitStack(name), { task: TASKS_AT[name], ...(statePath ? { statePath } : {}) }]);
}

/**
 * Every Task state that invokes the task function, and what it runs: the graph builds each such state from its
 * entry here, and the task function confirms its caller against it (a task acts only for an execution at a state
 * that runs it). A test checks it against the synthesized definition, both ways.
 */
export const TASK_STATES: Readonly<Record<string, TaskState>> = {
  ...Object.fromEntries(Object.entries(TASKS_AT).map(([name, task]) => [name, { task }])),
  ...Object.fromEntries(forUnitStackTasks(CHANGE_SET_REVIEW)),
  ...Object.fromEntries(Object.values(UNIT_OPERATIONS).flatMap((op) => forUnitStackTasks(op, '$.unit.current'))),
};

/** The Task states that run a task. */
export function statesRunning(task: TaskName): string[] {
  return Object.entries(TASK_STATES).filter(([, s]) => s.task === task).map(([name]) => name);
}
