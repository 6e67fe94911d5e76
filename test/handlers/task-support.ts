/** A world of fakes for the deploy workflow's task handler. */
import {
  ARTIFACT, FakeCloudFormation, FakeS3, REGION, SMALL_TEMPLATE, T0, TEMPLATE_PATH, deployment, zip,
} from './fakes';
import type { Deployment, TaskName } from '../../src/shared/contract';
import { runTask } from '../../src/workflow/tasks';
import type { TaskDeps, WorkflowState } from '../../src/workflow/tasks';

export class TaskWorld {
  readonly cloudformation = new FakeCloudFormation();
  readonly s3 = new FakeS3();
  clock = T0;

  get deps(): TaskDeps {
    return { cloudformation: this.cloudformation.client, s3: this.s3.client, region: REGION, now: () => this.clock };
  }

  /** Puts the input artifact zip where the deployment points. */
  artifact(files: Record<string, string | Uint8Array> = { [TEMPLATE_PATH]: SMALL_TEMPLATE }): this {
    this.s3.put(ARTIFACT.bucket, ARTIFACT.key, zip(files));
    return this;
  }

  run<T = any>(task: TaskName, state: Partial<WorkflowState> & { deployment?: Deployment } = {}): Promise<T> {
    return runTask({ task, state: { deployment: deployment(), ...state } as WorkflowState }, this.deps) as Promise<T>;
  }
}
