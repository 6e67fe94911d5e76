/**
 * Only jobs that CodePipeline issued deploy. Anyone allowed to invoke the trigger function can hand it any
 * event, and anyone allowed to start executions can hand the state machine any input: neither is trusted.
 * The job id is the one thing taken from them; CodePipeline is asked about that job (GetJobDetails), it must
 * be a Lambda invoke job of this function, its action execution must be in progress (ListActionExecutions,
 * which the functions may call only on the pipelines their actions belong to), and the configuration, the
 * artifact and the continuation token are CodePipeline's. Used by the trigger and by the workflow's first task.
 */
import { GetJobDetailsCommand, ListActionExecutionsCommand } from '@aws-sdk/client-codepipeline';
import type { ActionExecutionDetail, CodePipelineClient, JobData } from '@aws-sdk/client-codepipeline';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { inputFileOf, parseJsonObject, parseUserParameters, toDeployment, validateConfig } from './config';
import { LIMITS } from './contract';
import type { ArtifactLocation, Deployment } from './contract';
import { ConfigurationError, FAILURE_NAMES, isTransient } from './errors';
import { decodeText } from './json';

/** A job as CodePipeline describes it, confirmed in progress. */
export interface ConfirmedJob {
  readonly id: string;
  readonly userParameters?: string;
  readonly artifact?: ArtifactLocation;
  readonly continuationToken?: string;
  readonly pipelineName: string;
  readonly pipelineExecutionId: string;
  readonly actionExecutionId: string;
  /** When CodePipeline started the action (epoch milliseconds). */
  readonly startedAt: number;
  /** The action's output artifact (the change report), where CodePipeline wants it. */
  readonly output?: ArtifactLocation & { readonly name: string };
  /** CodePipeline's temporary credentials for the job's artifacts: never logged, never passed on. */
  readonly artifactCredentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken: string };
}

/**
 * The job cannot be confirmed. `answerable` says whether the job is one CodePipeline gave this function, so
 * that failing it is right; a job id CodePipeline does not know, or one meant for another function, is never
 * answered (answering it would act on someone else's job).
 */
export class JobNotConfirmedError extends Error {
  constructor(message: string, public readonly answerable: boolean) {
    super(message);
    this.name = FAILURE_NAMES.jobNotConfirmed;
  }
}

export interface ConfirmOptions {
  /** This function's name: the job's FunctionName must name it. @default - not checked */
  readonly functionName?: string;
}

const MAX_EXECUTION_PAGES = 20;

export async function confirmPipelineJob(codepipeline: CodePipelineClient, jobId: string, options: ConfirmOptions = {}): Promise<ConfirmedJob> {
  let data: JobData | undefined;
  try {
    data = (await codepipeline.send(new GetJobDetailsCommand({ jobId }))).jobDetails?.data;
  } catch (e) {
    const name = (e as Error).name;
    if (name === 'JobNotFoundException' || name === 'ValidationException') {
      throw new JobNotConfirmedError(`CodePipeline has no job ${jobId} (${name}): nothing is deployed for it`, false);
    }
    throw e;
  }
  if (!data) throw new JobNotConfirmedError(`CodePipeline gave no details of job ${jobId}: nothing is deployed for it`, false);
  const type = data.actionTypeId;
  if (type?.category !== 'Invoke' || type.owner !== 'AWS' || type.provider !== 'Lambda') {
    throw new JobNotConfirmedError(`job ${jobId} is not a Lambda invoke job: nothing is deployed for it`, false);
  }
  const configuration = data.actionConfiguration?.configuration ?? {};
  if (options.functionName !== undefined && functionNameOf(configuration.FunctionName) !== options.functionName) {
    throw new JobNotConfirmedError(`job ${jobId} is for another function, not ${options.functionName}: nothing is deployed for it`, false);
  }
  const context = data.pipelineContext;
  const pipelineName = context?.pipelineName;
  const pipelineExecutionId = context?.pipelineExecutionId;
  const actionExecutionId = context?.action?.actionExecutionId;
  if (!pipelineName || !pipelineExecutionId || !actionExecutionId) {
    throw new JobNotConfirmedError(`CodePipeline's details of job ${jobId} name no pipeline execution, so it cannot be confirmed in progress`, true);
  }
  const execution = await actionExecution(codepipeline, jobId, pipelineName, pipelineExecutionId, actionExecutionId);
  if (execution.status !== 'InProgress') {
    throw new JobNotConfirmedError(`job ${jobId} is ${execution.status ?? 'in no known state'}, not in progress: nothing is deployed for it`, false);
  }
  const s3 = data.inputArtifacts?.[0]?.location?.s3Location;
  const output = data.outputArtifacts?.[0];
  const outputS3 = output?.location?.s3Location;
  const credentials = data.artifactCredentials;
  return {
    id: jobId,
    ...(configuration.UserParameters !== undefined ? { userParameters: configuration.UserParameters } : {}),
    ...(s3?.bucketName && s3.objectKey ? { artifact: { bucket: s3.bucketName, key: s3.objectKey } } : {}),
    ...(data.continuationToken ? { continuationToken: data.continuationToken } : {}),
    pipelineName,
    pipelineExecutionId,
    actionExecutionId,
    startedAt: new Date(execution.startTime!).getTime(),
    ...(output?.name && outputS3?.bucketName && outputS3.objectKey
      ? { output: { name: output.name, bucket: outputS3.bucketName, key: outputS3.objectKey } } : {}),
    ...(credentials?.accessKeyId && credentials.secretAccessKey && credentials.sessionToken
      ? {
        artifactCredentials: {
          accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken,
        },
      }
      : {}),
  };
}

async function actionExecution(
  codepipeline: CodePipelineClient, jobId: string, pipelineName: string, pipelineExecutionId: string, actionExecutionId: string,
): Promise<ActionExecutionDetail> {
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_EXECUTION_PAGES; page++) {
    let listed;
    try {
      listed = await codepipeline.send(new ListActionExecutionsCommand({
        pipelineName, filter: { pipelineExecutionId }, maxResults: 100, nextToken,
      }));
    } catch (e) {
      if (isTransient(e)) throw e;
      const name = (e as Error).name;
      throw new JobNotConfirmedError(name === 'AccessDeniedException'
        ? `job ${jobId} belongs to pipeline ${pipelineName}, which this deploy workflow does not serve (no action of it uses this workflow)`
        : `CodePipeline could not list the actions of pipeline ${pipelineName} for job ${jobId} (${name})`, true);
    }
    const found = listed.actionExecutionDetails?.find((d) => d.actionExecutionId === actionExecutionId);
    if (found) {
      if (!found.startTime) throw new JobNotConfirmedError(`CodePipeline gives no start time for job ${jobId}`, true);
      return found;
    }
    nextToken = listed.nextToken;
    if (!nextToken) break;
  }
  throw new JobNotConfirmedError(`CodePipeline lists no action execution ${actionExecutionId} of pipeline ${pipelineName} for job ${jobId}`, true);
}

/** `name`, `name:alias`, or a function ARN (with or without a qualifier): the function's name. */
function functionNameOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  return value.startsWith('arn:') ? value.split(':')[6] : value.split(':')[0];
}

/** The deployment a confirmed job asks for: its UserParameters and, under them, the S3 input file. */
export async function deploymentForJob(s3: S3Client, job: ConfirmedJob): Promise<Deployment> {
  const params = parseUserParameters(job.userParameters);
  const file = inputFileOf(params);
  const fromFile = file ? await readInputFile(s3, file) : {};
  const config = validateConfig(params, fromFile);
  return toDeployment(config, job);
}

async function readInputFile(s3: S3Client, file: ArtifactLocation): Promise<Record<string, unknown>> {
  const where = `the S3 input file s3://${file.bucket}/${file.key}`;
  let bytes: Uint8Array;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: file.bucket, Key: file.key }));
    if ((object.ContentLength ?? 0) > LIMITS.inputFile) throw new ConfigurationError(`${where} is over ${LIMITS.inputFile} bytes`);
    bytes = await object.Body!.transformToByteArray();
  } catch (e) {
    if (e instanceof ConfigurationError) throw e;
    const name = (e as Error).name;
    if (['NoSuchKey', 'NoSuchBucket', 'NotFound', 'AccessDenied'].includes(name)) {
      throw new ConfigurationError(`cannot read ${where}: ${name}`);
    }
    throw e;
  }
  if (bytes.length > LIMITS.inputFile) throw new ConfigurationError(`${where} is over ${LIMITS.inputFile} bytes`);
  return parseJsonObject(decodeText(bytes), where);
}
