/** Fixtures for the trigger tests: CodePipeline job events and a world of fakes. */
import { ACTION_START, ARTIFACT, T0 } from './fixtures';
import { lambdaJobEvent } from '../../demo/lib/pipeline-job';
import { runTrigger } from '../../src/trigger/trigger';
import type { TriggerDeps } from '../../src/trigger/trigger';
import { ARTIFACT_CREDENTIALS, FakeCodePipeline, FakeS3, FakeStepFunctions, STATE_MACHINE_ARN, TRIGGER_FUNCTION_NAME } from '../fakes';

export const JOB_ID = 'a1b2c3d4-5678-90ab-cdef-111122223333';

export interface JobOptions {
  readonly id?: string;
  readonly userParameters?: string | Record<string, unknown>;
  readonly continuationToken?: string;
  readonly withArtifact?: boolean;
}

/** The event CodePipeline sends to a Lambda invoke action (it carries temporary artifact credentials). */
export function jobEvent(options: JobOptions = {}): Record<string, unknown> {
  const userParameters = typeof options.userParameters === 'string'
    ? options.userParameters
    : JSON.stringify(options.userParameters ?? { stackName: 'sample-app', templatePath: 'cdk.out/SampleApp.template.json' });
  return lambdaJobEvent({
    id: options.id ?? JOB_ID,
    functionName: TRIGGER_FUNCTION_NAME,
    userParameters,
    ...(options.withArtifact === false ? {} : { artifact: ARTIFACT, artifactName: 'BuildOutput' }),
    artifactCredentials: ARTIFACT_CREDENTIALS,
    ...(options.continuationToken ? { continuationToken: options.continuationToken } : {}),
  });
}

/** Has CodePipeline issue the job an event describes (what GetJobDetails then answers for its id). */
export function issueJobOf(codepipeline: FakeCodePipeline, event: unknown): void {
  const job = (event as Record<string, any>)?.['CodePipeline.job'];
  if (!job || typeof job.id !== 'string') return;
  const data = job.data ?? {};
  const s3 = Array.isArray(data.inputArtifacts) ? data.inputArtifacts[0]?.location?.s3Location : undefined;
  const userParameters = data.actionConfiguration?.configuration?.UserParameters;
  codepipeline.issue({
    id: job.id,
    ...(typeof userParameters === 'string' ? { userParameters } : {}),
    ...(s3 && typeof s3.bucketName === 'string' ? { artifact: { bucket: s3.bucketName, key: s3.objectKey } } : {}),
    ...(typeof data.continuationToken === 'string' && data.continuationToken !== '' ? { continuationToken: data.continuationToken } : {}),
  });
}

export class TriggerWorld {
  /** CodePipeline invokes the trigger again and again for one job, as the handler tests do. */
  readonly codepipeline = new FakeCodePipeline({ actionStart: ACTION_START, continuationKeepsJob: true });
  readonly sfn = new FakeStepFunctions({ clock: () => T0 });
  readonly s3 = new FakeS3();
  readonly logs: string[] = [];

  get deps(): TriggerDeps {
    return {
      codepipeline: this.codepipeline.client,
      sfn: this.sfn.client,
      s3: this.s3.client,
      stateMachineArn: STATE_MACHINE_ARN,
      functionName: TRIGGER_FUNCTION_NAME,
      log: (line) => this.logs.push(line),
    };
  }

  /** CodePipeline issued the job this event is for, as the event describes it; the trigger runs for it. */
  run(event: unknown) {
    issueJobOf(this.codepipeline, event);
    return runTrigger(event, this.deps);
  }

  /** The trigger runs for an event CodePipeline never issued a job for. */
  runForged(event: unknown) {
    return runTrigger(event, this.deps);
  }

  /** The input the workflow was started with. */
  startedInput(): any {
    return JSON.parse(this.sfn.only().input);
  }
}
