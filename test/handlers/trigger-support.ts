/** Fixtures for the trigger tests: CodePipeline job events and a world of fakes. */
import {
  ARTIFACT, FakeCodePipeline, FakeS3, FakeStepFunctions, STATE_MACHINE_ARN, T0,
} from './fakes';
import { runTrigger } from '../../src/action/trigger';
import type { TriggerDeps } from '../../src/action/trigger';

export const JOB_ID = 'a1b2c3d4-5678-90ab-cdef-111122223333';

export const ARTIFACT_CREDENTIALS = {
  accessKeyId: 'ASIAARTIFACTKEY7EXAMPLE',
  secretAccessKey: 'artifactSecret/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEArtifactSessionTokenEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQ',
};

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
  return {
    'CodePipeline.job': {
      id: options.id ?? JOB_ID,
      accountId: '123456789012',
      data: {
        actionConfiguration: { configuration: { FunctionName: 'deploy-trigger', UserParameters: userParameters } },
        inputArtifacts: options.withArtifact === false ? [] : [{
          name: 'BuildOutput',
          revision: null,
          location: { type: 'S3', s3Location: { bucketName: ARTIFACT.bucket, objectKey: ARTIFACT.key } },
        }],
        outputArtifacts: [],
        artifactCredentials: ARTIFACT_CREDENTIALS,
        ...(options.continuationToken ? { continuationToken: options.continuationToken } : {}),
      },
    },
  };
}

export class TriggerWorld {
  readonly codepipeline = new FakeCodePipeline();
  readonly sfn = new FakeStepFunctions();
  readonly s3 = new FakeS3();
  readonly logs: string[] = [];
  clock = T0;

  get deps(): TriggerDeps {
    return {
      codepipeline: this.codepipeline.client,
      sfn: this.sfn.client,
      s3: this.s3.client,
      stateMachineArn: STATE_MACHINE_ARN,
      now: () => this.clock,
      log: (line) => this.logs.push(line),
    };
  }

  run(event: unknown) {
    return runTrigger(event, this.deps);
  }

  /** The input the workflow was started with. */
  startedInput(): any {
    return JSON.parse(this.sfn.only().input);
  }
}
