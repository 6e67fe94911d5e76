/** A world of fakes for the deploy workflow's task handler. */
import { ACTION_START, ARTIFACT, SMALL_TEMPLATE, T0, TEMPLATE_PATH, deployment } from './fixtures';
import type { Deployment, TaskName } from '../../src/shared/contract';
import { executionNameFor } from '../../src/shared/naming';
import { statesRunning } from '../../src/shared/state-names';
import { runTask } from '../../src/workflow/tasks';
import type { TaskDeps, WorkflowState } from '../../src/workflow/tasks';
import {
  FakeCloudFormation, FakeCodePipeline, FakeExecutionHistory, FakeS3, REGION, STATE_MACHINE_ARN, zip,
} from '../fakes';

/** The execution the tasks run for: the one the trigger starts for the deployment's job. */
export const EXECUTION_ARN = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${executionNameFor(deployment().jobId)}`;

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
    const full = { deployment: deployment(), ...state } as WorkflowState;
    // The first state that runs the task (the whole state is its payload's).
    const [name] = statesRunning(task);
    this.history.current.set(executionId, { executionArn: executionId, name, input: full });
    return runTask({ task, state: full, executionId }, { ...this.deps, ...deps }) as Promise<T>;
  }

  /** Invokes the task function as someone other than the state machine could: the execution's history is what it is. */
  invokeDirectly<T = any>(task: TaskName, state: WorkflowState, executionId: string | undefined): Promise<T> {
    return runTask({ task, state, ...(executionId ? { executionId } : {}) }, this.deps) as Promise<T>;
  }
}
