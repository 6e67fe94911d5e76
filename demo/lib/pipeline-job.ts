/**
 * The simulated CodePipeline's description of a job it issued to a Lambda invoke action: what GetJobDetails
 * answers, made in one place for the demo's control plane and the tests' fake CodePipeline.
 */
import { LOCAL_ENV } from './intrinsics';
import type { LocalEnv } from './intrinsics';

/** A job CodePipeline issued to the deploy action. */
export interface SimulatedJob {
  readonly id: string;
  readonly functionName: string;
  /** @default - the action has no UserParameters */
  readonly userParameters?: string;
  /** @default - the action has no input artifact */
  readonly artifact?: { readonly bucket: string; readonly key: string };
  readonly pipelineName: string;
  readonly pipelineExecutionId: string;
  readonly actionExecutionId: string;
  /** The stage the action is in. */
  readonly stageName: string;
  /** The continuation token of the action's previous job, which CodePipeline hands to the next one. */
  readonly continuationToken?: string;
  /** The action's provider. @default Lambda */
  readonly provider?: string;
  /** The temporary credentials for the artifact bucket. @default - none */
  readonly artifactCredentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken: string };
  /** The action's output artifact, where CodePipeline wants it written. @default - none */
  readonly output?: { readonly name: string; readonly bucket: string; readonly key: string };
}

/** GetJobDetails' answer for the job: its action type and configuration, pipeline context, artifacts, continuation token. */
export function jobDetailsOf(job: SimulatedJob, env: LocalEnv = LOCAL_ENV) {
  return {
    jobDetails: {
      id: job.id,
      accountId: env.account,
      data: {
        actionTypeId: { category: 'Invoke', owner: 'AWS', provider: job.provider ?? 'Lambda', version: '1' },
        actionConfiguration: {
          configuration: {
            FunctionName: job.functionName,
            ...(job.userParameters !== undefined ? { UserParameters: job.userParameters } : {}),
          },
        },
        pipelineContext: {
          pipelineName: job.pipelineName,
          stage: { name: job.stageName },
          action: { name: 'Deploy', actionExecutionId: job.actionExecutionId },
          pipelineArn: `arn:aws:codepipeline:${env.region}:${env.account}:${job.pipelineName}`,
          pipelineExecutionId: job.pipelineExecutionId,
        },
        inputArtifacts: job.artifact ? [{
          name: 'Source', revision: 'v1', location: { type: 'S3', s3Location: { bucketName: job.artifact.bucket, objectKey: job.artifact.key } },
        }] : [],
        outputArtifacts: job.output ? [{ name: job.output.name, location: { type: 'S3', s3Location: { bucketName: job.output.bucket, objectKey: job.output.key } } }] : [],
        ...(job.artifactCredentials ? { artifactCredentials: job.artifactCredentials } : {}),
        ...(job.continuationToken ? { continuationToken: job.continuationToken } : {}),
      },
    },
  };
}

/** A job as the Lambda invoke action's event describes it to the function. */
export interface LambdaJob {
  readonly id: string;
  readonly functionName: string;
  readonly userParameters: string;
  /** @default - the action has no input artifact */
  readonly artifact?: { readonly bucket: string; readonly key: string };
  /** @default 'Source' */
  readonly artifactName?: string;
  /** The temporary credentials for the artifact bucket. @default - none */
  readonly artifactCredentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken: string };
  /** The continuation token of the action's previous job. @default - a first job */
  readonly continuationToken?: string;
}

/** The event CodePipeline sends to a Lambda invoke action: `{ "CodePipeline.job": { id, accountId, data } }`. */
export function lambdaJobEvent(job: LambdaJob, env: LocalEnv = LOCAL_ENV): { 'CodePipeline.job': Record<string, any> } {
  return {
    'CodePipeline.job': {
      id: job.id,
      accountId: env.account,
      data: {
        actionConfiguration: { configuration: { FunctionName: job.functionName, UserParameters: job.userParameters } },
        inputArtifacts: job.artifact ? [{
          name: job.artifactName ?? 'Source',
          revision: null,
          location: { type: 'S3', s3Location: { bucketName: job.artifact.bucket, objectKey: job.artifact.key } },
        }] : [],
        outputArtifacts: [],
        ...(job.artifactCredentials ? { artifactCredentials: job.artifactCredentials } : {}),
        ...(job.continuationToken ? { continuationToken: job.continuationToken } : {}),
      },
    },
  };
}
