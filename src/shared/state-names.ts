import type { TaskName } from './contract';

/**
 * The names of the deploy workflow's states, as the Step Functions console shows them, each written once. A stack of
 * a unit passes the single stack's check, change set review and operation waits: those states of the unit are named
 * by `forUnitStack` from the single stack's (`UNIT_STACK_REVIEW`, `UNIT_STACK_OPERATIONS`).
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
  waitChangeSetCreation: 'Wait Change Set Creation',
  getChangeSetCreationStatus: 'Get Change Set Creation Status',
  changeSetCreated: 'Change Set Created?',
  deleteEmptyChangeSet: 'Delete Empty Change Set',
  noChanges: 'No Changes To Deploy',
  deleteFailedChangeSet: 'Delete Failed Change Set',
  changeSetFailed: 'Change Set Creation Failed',
  inspectChangeSet: 'Inspect Change Set Changes',
  // A stack operation and the wait for its end; the wait on CloudFormation's stack status events (a safety poll
  // reads the stack if none comes) only in a workflow with `stackEvents`.
  createStack: 'Create Stack',
  onEventsForCreation: 'Wait On Events For Creation?',
  awaitStackCreation: 'Await Stack Creation Event',
  waitStackCreation: 'Wait Stack Creation',
  getStackCreationStatus: 'Get Stack Creation Status',
  stackCreated: 'Stack Created?',
  stackCreationFailed: 'Stack Creation Failed',
  executeChangeSet: 'Execute Change Set',
  onEventsForUpdate: 'Wait On Events For Update?',
  awaitStackUpdate: 'Await Stack Update Event',
  waitStackUpdate: 'Wait Stack Update',
  getStackUpdateStatus: 'Get Stack Update Status',
  stackUpdated: 'Stack Updated?',
  stackUpdateFailed: 'Stack Update Failed',
  deleteRolledBackStack: 'Delete Rolled Back Stack',
  onEventsForDeletion: 'Wait On Events For Deletion?',
  awaitStackDeletion: 'Await Stack Deletion Event',
  waitStackDeletion: 'Wait Stack Deletion',
  getStackDeletionStatus: 'Get Stack Deletion Status',
  stackDeleted: 'Stack Deleted?',
  stackDeletionFailed: 'Stack Deletion Failed',
  // The single stack's verdict, approval and end.
  safeToUpdate: 'Safe to Update Infra?',
  deleteUnsafeChangeSet: 'Delete Unsafe Change Set',
  deploymentRejected: 'Deployment Rejected',
  deployToNewStack: 'Deploy To New Stack?',
  switchToNewStack: 'Switch To New Stack',
  waitForApproval: 'Wait For Approval',
  deleteRejectedChangeSet: 'Delete Rejected Change Set',
  approvalRejected: 'Deployment Rejected By Approver',
  deleteExpiredChangeSet: 'Delete Change Set After Approval Timeout',
  approvalTimedOut: 'Approval Timed Out',
  cleanUpAfterError: 'Delete Change Set After Error',
  deploymentErrored: 'Deployment Errored',
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
  deleteRefusedUnitChangeSets: 'Delete Refused Unit Change Sets',
  unitRejected: 'Unit Rejected',
  deleteFailedUnitChangeSets: 'Delete Unit Change Sets After Failed Review',
  unitReviewFailed: 'Unit Review Failed',
  waitForUnitApproval: 'Wait For Unit Approval',
  deleteRejectedUnitChangeSets: 'Delete Rejected Unit Change Sets',
  unitRejectedByApprover: 'Unit Rejected By Approver',
  deleteExpiredUnitChangeSets: 'Delete Unit Change Sets After Approval Timeout',
  unitApprovalTimedOut: 'Unit Approval Timed Out',
  nextUnitStack: 'Next Unit Stack',
  nextInUnit: 'Next In Unit?',
  waitForNextUnitRound: 'Wait Before Next Unit Round',
  deleteStoppedUnitChangeSets: 'Delete Unit Change Sets After Stack Failure',
  unitStackFailed: 'Unit Stack Failed',
  cleanUpUnitAfterError: 'Delete Unit Change Sets After Error',
  unitErrored: 'Unit Errored',
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

/** The single stack's operations: its creation, its update (the change set's execution), its deletion. */
export const OPERATIONS = {
  creation: {
    start: S.createStack,
    how: S.onEventsForCreation,
    await: S.awaitStackCreation,
    wait: S.waitStackCreation,
    poll: S.getStackCreationStatus,
    ended: S.stackCreated,
  },
  update: {
    start: S.executeChangeSet,
    how: S.onEventsForUpdate,
    await: S.awaitStackUpdate,
    wait: S.waitStackUpdate,
    poll: S.getStackUpdateStatus,
    ended: S.stackUpdated,
  },
  deletion: {
    start: S.deleteRolledBackStack,
    how: S.onEventsForDeletion,
    await: S.awaitStackDeletion,
    wait: S.waitStackDeletion,
    poll: S.getStackDeletionStatus,
    ended: S.stackDeleted,
  },
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
  stack: {
    wait: S.waitForApproval,
    deleteRejected: S.deleteRejectedChangeSet,
    rejected: S.approvalRejected,
    deleteExpired: S.deleteExpiredChangeSet,
    timedOut: S.approvalTimedOut,
  },
  unit: {
    wait: S.waitForUnitApproval,
    deleteRejected: S.deleteRejectedUnitChangeSets,
    rejected: S.unitRejectedByApprover,
    deleteExpired: S.deleteExpiredUnitChangeSets,
    timedOut: S.unitApprovalTimedOut,
  },
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
