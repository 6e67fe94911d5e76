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
import { ConfigurationError, FAILURE_NAMES, ISSUES_URL, isTransient } from './errors';
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

/** The CodePipeline calls the confirmation reads. */
export type ConfirmationCall = 'GetJobDetails' | 'ListActionExecutions';

/**
 * CodePipeline answered a confirmation call otherwise than this library assumes. GetJobDetails is documented for
 * custom actions; this library assumes that it describes a Lambda invoke job the same way (its action type, its
 * FunctionName, and a pipeline context that names the pipeline, the pipeline execution and the action execution),
 * and that ListActionExecutions lists that action execution with its status and start time. When an answer lacks
 * one of these, or gives it another shape, nothing is deployed: the message names the call and the fields, says
 * that nothing changed, and asks for a report. It never quotes the answer (a job's details hold its artifact
 * credentials). Answered as a JobNotConfirmedError is: only a job confirmed to be this function's.
 */
export class JobConfirmationAssumptionError extends JobNotConfirmedError {
  /**
   * @param call the call that answered otherwise
   * @param fields the fields of its answer that were missing or of another shape
   * @param detail what the answer did, after "CodePipeline's <call> "
   */
  constructor(jobId: string, public readonly call: ConfirmationCall, public readonly fields: readonly string[], detail: string, answerable: boolean) {
    super(`CodePipeline's ${call} ${detail}, where this library assumes CodePipeline describes a Lambda invoke job as it ` +
      `describes a custom action's (field${fields.length > 1 ? 's' : ''} ${fields.join(', ')}). Job ${jobId} cannot be confirmed: ` +
      'nothing was deployed and no stack was changed' +
      (answerable ? '' : '; the job is not answered (it is not confirmed to be this function\'s), so the pipeline\'s action fails at its timeout') +
      `. Please report this at ${ISSUES_URL} with this message`, answerable);
    this.name = FAILURE_NAMES.jobConfirmationAssumptionFailed;
  }
}

export interface ConfirmOptions {
  /** This function's name: the job's FunctionName must name it. @default - not checked */
  readonly functionName?: string;
}

const MAX_EXECUTION_PAGES = 20;

/** A field the confirmation needs: a non-empty text. */
const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** Which of `fields` (field name, value) are not non-empty texts, and how the answer gave them. */
function unusable(fields: [string, unknown][]): { names: string[]; detail: string } | undefined {
  const bad = fields.filter(([, value]) => !isText(value));
  if (bad.length === 0) return undefined;
  const missing = bad.filter(([, value]) => value === undefined || value === null).map(([name]) => name);
  const shaped = bad.filter(([, value]) => value !== undefined && value !== null).map(([name, value]) => `${name} (${shapeOf(value)})`);
  const parts = [
    ...(missing.length > 0 ? [`without ${missing.join(', ')}`] : []),
    ...(shaped.length > 0 ? [`with ${shaped.join(', ')} where a text was expected`] : []),
  ];
  return { names: bad.map(([name]) => name), detail: parts.join(' and ') };
}

/** The shape of a value, never the value: an empty text, a number, a list, an object. */
function shapeOf(value: unknown): string {
  if (value === '') return 'an empty text';
  if (Array.isArray(value)) return 'a list';
  return `a${typeof value === 'object' ? 'n' : ''} ${typeof value}`;
}

export async function confirmPipelineJob(codepipeline: CodePipelineClient, jobId: string, options: ConfirmOptions = {}): Promise<ConfirmedJob> {
  const data = await jobDetails(codepipeline, jobId);
  const configuration = data.actionConfiguration?.configuration ?? {};
  checkLambdaInvokeJob(jobId, data, configuration, options);
  // From here on the job is a Lambda invoke job (of this function, where the function's name is known): a job
  // CodePipeline cannot be asked about further is answered with the reason.
  const { pipelineName, pipelineExecutionId, actionExecutionId } = pipelineContextOf(jobId, data);
  const execution = await actionExecution(codepipeline, jobId, pipelineName, pipelineExecutionId, actionExecutionId);
  if (execution.status !== 'InProgress') {
    throw new JobNotConfirmedError(`job ${jobId} is ${execution.status}, not in progress: nothing is deployed for it`, false);
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

/** The job as GetJobDetails describes it; a job id CodePipeline does not know is never answered. */
async function jobDetails(codepipeline: CodePipelineClient, jobId: string): Promise<JobData> {
  let data: JobData | undefined;
  try {
    data = (await codepipeline.send(new GetJobDetailsCommand({ jobId }))).jobDetails?.data;
  } catch (e) {
    const name = (e as Error).name;
    if (name === 'JobNotFoundException' || name === 'ValidationException') {
      throw new JobNotConfirmedError(`CodePipeline has no job ${jobId} (${name}): nothing is deployed for it`, false);
    }
    // Throttling is retried; a denial (a service control policy, say) keeps its own name.
    throw e;
  }
  if (!data || typeof data !== 'object') {
    throw new JobConfirmationAssumptionError(jobId, 'GetJobDetails', ['jobDetails.data'], 'answered without jobDetails.data', false);
  }
  return data;
}

/** The job must be a Lambda invoke job, and of this function where the function's name is given. */
function checkLambdaInvokeJob(jobId: string, data: JobData, configuration: Record<string, string>, options: ConfirmOptions): void {
  const type = data.actionTypeId;
  if (!type || typeof type !== 'object') {
    throw new JobConfirmationAssumptionError(jobId, 'GetJobDetails', ['jobDetails.data.actionTypeId'], 'answered without jobDetails.data.actionTypeId', false);
  }
  if (type.category !== 'Invoke' || type.owner !== 'AWS' || type.provider !== 'Lambda') {
    throw new JobNotConfirmedError(`job ${jobId} is not a Lambda invoke job: nothing is deployed for it`, false);
  }
  if (options.functionName !== undefined) {
    const field = unusable([['jobDetails.data.actionConfiguration.configuration.FunctionName', configuration.FunctionName]]);
    if (field) throw new JobConfirmationAssumptionError(jobId, 'GetJobDetails', field.names, `answered ${field.detail}`, false);
    if (functionNameOf(configuration.FunctionName) !== options.functionName) {
      throw new JobNotConfirmedError(`job ${jobId} is for another function, not ${options.functionName}: nothing is deployed for it`, false);
    }
  }
}

/** The pipeline, pipeline execution and action execution the job's pipeline context names. */
function pipelineContextOf(jobId: string, data: JobData): { pipelineName: string; pipelineExecutionId: string; actionExecutionId: string } {
  const context = data.pipelineContext;
  if (!context || typeof context !== 'object') {
    throw new JobConfirmationAssumptionError(jobId, 'GetJobDetails', ['jobDetails.data.pipelineContext'], 'answered without jobDetails.data.pipelineContext', true);
  }
  const at = 'jobDetails.data.pipelineContext';
  const fields = unusable([
    [`${at}.pipelineName`, context.pipelineName],
    [`${at}.pipelineExecutionId`, context.pipelineExecutionId],
    [`${at}.action.actionExecutionId`, context.action?.actionExecutionId],
  ]);
  if (fields) throw new JobConfirmationAssumptionError(jobId, 'GetJobDetails', fields.names, `answered ${fields.detail}`, true);
  return {
    pipelineName: context.pipelineName!,
    pipelineExecutionId: context.pipelineExecutionId!,
    actionExecutionId: context.action!.actionExecutionId!,
  };
}

/**
 * The job's action execution, as ListActionExecutions lists it for the pipeline execution GetJobDetails names: with
 * a status and a start time. A pipeline the functions may not ask about is not one this workflow serves.
 */
async function actionExecution(
  codepipeline: CodePipelineClient, jobId: string, pipelineName: string, pipelineExecutionId: string, actionExecutionId: string,
): Promise<ActionExecutionDetail> {
  const assumption = (fields: string[], detail: string) => new JobConfirmationAssumptionError(jobId, 'ListActionExecutions', fields, detail, true);
  let nextToken: string | undefined;
  let page = 0;
  for (; page < MAX_EXECUTION_PAGES; page++) {
    let listed;
    try {
      listed = await codepipeline.send(new ListActionExecutionsCommand({
        pipelineName, filter: { pipelineExecutionId }, maxResults: 100, nextToken,
      }));
    } catch (e) {
      if (isTransient(e)) throw e;
      const name = (e as Error).name;
      // A denial, whatever the protocol calls it: the functions may list only the pipelines their actions are in.
      if (name === 'AccessDeniedException' || name === 'AccessDenied') {
        throw new JobNotConfirmedError(`job ${jobId} belongs to pipeline ${pipelineName}, which this deploy workflow does not serve ` +
          '(no action of it uses this workflow)', true);
      }
      throw assumption(['pipelineName', 'filter.pipelineExecutionId'],
        `refused pipeline ${pipelineName} and pipeline execution ${pipelineExecutionId}, as GetJobDetails named them (${name})`);
    }
    const details: unknown = listed.actionExecutionDetails;
    if (details !== undefined && !Array.isArray(details)) {
      throw assumption(['actionExecutionDetails'], `answered with actionExecutionDetails (${shapeOf(details)}) where a list was expected`);
    }
    const found = (details as ActionExecutionDetail[] | undefined)?.find((d) => d?.actionExecutionId === actionExecutionId);
    if (found) {
      const field = unusable([['actionExecutionDetails[].status', found.status]]);
      if (field) throw assumption(field.names, `listed action execution ${actionExecutionId} ${field.detail}`);
      if (!(found.startTime !== undefined && found.startTime !== null && Number.isFinite(new Date(found.startTime).getTime()))) {
        throw assumption(['actionExecutionDetails[].startTime'], `listed action execution ${actionExecutionId} without a start time it can read`);
      }
      return found;
    }
    nextToken = listed.nextToken;
    if (!nextToken) break;
  }
  throw assumption(['actionExecutionDetails[].actionExecutionId'], `lists no action execution ${actionExecutionId} of pipeline ${pipelineName} ` +
    `for pipeline execution ${pipelineExecutionId} (${Math.min(page + 1, MAX_EXECUTION_PAGES)} page${page > 0 ? 's' : ''} read), ` +
    'though GetJobDetails names it');
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
