/** A world of fakes for the deploy workflow's task handler. */
import { ACTION_START, ARTIFACT, SMALL_TEMPLATE, T0, TEMPLATE_PATH, deployment } from './fixtures';
import type { Deployment, TaskName } from '../../src/shared/contract';
import { executionNameFor } from '../../src/shared/naming';
import { statesRunning } from '../../src/shared/state-names';
import { readChanges } from '../../src/workflow/inspect';
import { runTask } from '../../src/workflow/tasks';
import type { TaskDeps, WorkflowState } from '../../src/workflow/tasks';
import {
  FakeCloudFormation, FakeCodePipeline, FakeExecutionHistory, FakeS3, REGION, STATE_MACHINE_ARN, zip,
} from '../fakes';

/** The execution the tasks run for: the one the trigger starts for the deployment's job. */
export const EXECUTION_ARN = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${executionNameFor(deployment().jobId)}`;

/** The token a stack check drew for the change set of the tests' execution. */
export const STACK_CHECK_TOKEN = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';

export class TaskWorld {
  readonly s3 = new FakeS3();
  readonly cloudformation = new FakeCloudFormation({ s3: this.s3 });
  /** Step Functions' history of the execution: the task being run is its newest state. */
  readonly history = new FakeExecutionHistory(STATE_MACHINE_ARN);
  /** CodePipeline, which the first task asks about the deployment's job (ids like the fixtures' `job-1`). */
  readonly codepipeline = new FakeCodePipeline({ actionStart: ACTION_START, checkJobIds: false });
  clock = T0;

  get deps(): TaskDeps {
    return {
      cloudformation: this.cloudformation.client,
      s3: this.s3.client,
      sfn: this.history.client,
      codepipeline: this.codepipeline.client,
      region: REGION,
      now: () => this.clock,
    };
  }

  /** Puts the input artifact zip where the deployment points. */
  artifact(files: Record<string, string | Uint8Array> = { [TEMPLATE_PATH]: SMALL_TEMPLATE }): this {
    this.s3.put(ARTIFACT.bucket, ARTIFACT.key, zip(files));
    return this;
  }

  /** Runs a task as the execution's state machine does: at the state that runs it, with that state's input. */
  run<T = any>(task: TaskName, state: Partial<WorkflowState> & { deployment?: Deployment } = {}): Promise<T> {
    return this.runAs<T>(task, state, EXECUTION_ARN);
  }

  /** Runs a task for the execution `executionId`, which is at the state that runs it (with some deps of its own). */
  runAs<T = any>(
    task: TaskName, state: Partial<WorkflowState> & { deployment?: Deployment }, executionId: string, deps: Partial<TaskDeps> = {},
  ): Promise<T> {
    const full = this.withChangeSetId({ deployment: deployment(), ...state } as WorkflowState, task);
    // The first state that runs the task (the whole state is its payload's).
    const [name] = statesRunning(task);
    this.history.current.set(executionId, { executionArn: executionId, name, input: full });
    return runTask({ task, state: full, executionId }, { ...this.deps, ...deps }) as Promise<T>;
  }

  /**
   * The state of a task that reads or executes the change set by id: when the test gives no `changeSet`, the one
   * the fake holds under the deployment's name, with its id, as pollChangeSet recorded it.
   */
  private withChangeSetId(state: WorkflowState, task: TaskName): WorkflowState {
    // The token the stack check drew for this execution's change set, when the test gives a stack without one.
    if (task === 'createChangeSet' && !state.stack?.changeSetToken) {
      return { ...state, stack: { exists: true, next: 'CHANGE_SET', waitSeconds: 5, ...state.stack, changeSetToken: STACK_CHECK_TOKEN } };
    }
    if (state.changeSet || (task !== 'inspectChangeSet' && task !== 'executeChangeSet')) return state;
    const held = this.cloudformation.changeSet(state.deployment.stackName, state.deployment.changeSetName);
    if (!held) return state;
    return { ...state, changeSet: { name: state.deployment.changeSetName, id: held.id, type: 'UPDATE', outcome: 'READY', waitSeconds: 5 } };
  }

  /** What inspecting the deployment's change set records of it now: its id and the digest of what it holds. */
  async judged(state: Partial<WorkflowState> = {}): Promise<{ changeSetId: string; digest: string }> {
    const d = state.deployment ?? deployment();
    const held = this.cloudformation.changeSet(d.stackName, d.changeSetName);
    if (!held) throw new Error(`the fake holds no change set ${d.changeSetName} of ${d.stackName}`);
    const read = await readChanges(this.cloudformation.client, d, held.id);
    return { changeSetId: read.changeSetId, digest: read.digest };
  }

  /** Invokes the task function as someone other than the state machine could: the execution's history is what it is. */
  invokeDirectly<T = any>(task: TaskName, state: WorkflowState, executionId: string | undefined): Promise<T> {
    return runTask({ task, state, ...(executionId ? { executionId } : {}) }, this.deps) as Promise<T>;
  }
}
