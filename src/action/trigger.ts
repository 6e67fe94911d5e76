/**
 * The trigger: CodePipeline invokes it for the action; it starts the deploy workflow and reports the
 * workflow's result back to the job through continuation tokens (B1 to B7).
 */
import {
  CodePipelineClient, PutJobFailureResultCommand, PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import type { ExecutionDetails, FailureDetails } from '@aws-sdk/client-codepipeline';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  decodeContinuationToken, encodeContinuationToken, inputFileOf, parseJobEvent, parseJsonObject,
  parseUserParameters, toDeployment, validateConfig,
} from './job';
import type { PipelineJob } from './job';
import { failureMessage, outputVariables, runningSummary, successSummary } from './report';
import { LIMITS } from '../shared/contract';
import type { WorkflowInput } from '../shared/contract';
import { ConfigurationError, isTransient, truncate } from '../shared/errors';
import { executionNameFor } from '../shared/naming';

export interface TriggerDeps {
  readonly codepipeline: CodePipelineClient;
  readonly sfn: SFNClient;
  readonly s3: S3Client;
  readonly stateMachineArn: string;
  readonly now?: () => number;
  /** Receives one line per decision; never the event, never credentials. */
  readonly log?: (message: string) => void;
}

export type TriggerOutcome = 'STARTED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ALREADY_ANSWERED';

export async function runTrigger(event: unknown, deps: TriggerDeps): Promise<TriggerOutcome> {
  const log = deps.log ?? (() => undefined);
  let job: PipelineJob;
  try {
    job = parseJobEvent(event);
  } catch (e) {
    // Without a job id there is nobody to answer; the error names the problem.
    log(`not a CodePipeline job: ${(e as Error).message}`);
    throw e;
  }
  try {
    return job.continuationToken ? await monitor(job, deps, log) : await start(job, deps, log);
  } catch (e) {
    const error = e as Error;
    if (error instanceof AnswerError) {
      // CodePipeline could not be told that the deployment goes on. Failing the job now would report a
      // failure while the deployment runs: let the invocation fail instead. Lambda retries it, and the
      // retry follows the same execution (its name comes from the job id).
      log(`job ${job.id}: could not answer CodePipeline: ${error.message}`);
      throw error;
    }
    log(`job ${job.id}: failing the action: ${error.name}: ${error.message}`);
    return answerFailure(deps, job.id, {
      type: 'JobFailed',
      message: truncate(`${error.name || 'Error'}: ${error.message}`, LIMITS.failureMessage),
    }, log);
  }
}

async function start(job: PipelineJob, deps: TriggerDeps, log: (m: string) => void): Promise<TriggerOutcome> {
  const params = parseUserParameters(job.userParameters);
  const file = inputFileOf(params);
  const fromFile = file ? await readInputFile(deps.s3, file.bucket, file.key) : {};
  const config = validateConfig({ ...fromFile, ...params });
  const deployment = toDeployment(config, job, (deps.now ?? Date.now)());
  const input: WorkflowInput = { deployment };
  const name = executionNameFor(job.id);

  let executionArn: string;
  try {
    const started = await deps.sfn.send(new StartExecutionCommand({
      stateMachineArn: deps.stateMachineArn, name, input: JSON.stringify(input),
    }));
    executionArn = started.executionArn!;
    log(`job ${job.id}: started execution ${executionArn} for stack ${deployment.stackName}`);
  } catch (e) {
    if ((e as Error).name !== 'ExecutionAlreadyExists') throw e;
    // A second invocation for the same job: the execution of the first one is the deployment.
    executionArn = executionArnFor(deps.stateMachineArn, name);
    log(`job ${job.id}: execution ${name} already exists; following it`);
  }
  await answer(deps, log, () => new PutJobSuccessResultCommand({
    jobId: job.id,
    continuationToken: encodeContinuationToken({ executionArn }),
    executionDetails: {
      summary: truncate(`Deploying stack ${deployment.stackName}: ${consoleLink(executionArn)}`, LIMITS.summary),
      externalExecutionId: executionArn,
      percentComplete: 0,
    },
  }));
  return 'STARTED';
}

async function monitor(job: PipelineJob, deps: TriggerDeps, log: (m: string) => void): Promise<TriggerOutcome> {
  const { executionArn } = decodeContinuationToken(job.continuationToken!);
  let execution;
  try {
    execution = await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (e) {
    if (!isTransient(e)) throw e;
    // Throttled or a server error, after the SDK's retries: the deployment goes on, so does the action.
    // CodePipeline calls again with the same token.
    log(`job ${job.id}: could not read execution ${executionArn} (${(e as Error).name}); asking again later`);
    await answer(deps, log, () => new PutJobSuccessResultCommand({
      jobId: job.id,
      continuationToken: encodeContinuationToken({ executionArn }),
      executionDetails: {
        summary: truncate(`Deployment running (its status could not be read just now): ${consoleLink(executionArn)}`, LIMITS.summary),
        externalExecutionId: executionArn,
      },
    }));
    return 'RUNNING';
  }
  const status = execution.status;
  log(`job ${job.id}: execution ${executionArn} is ${status}`);
  switch (status) {
    case 'RUNNING':
    case 'PENDING_REDRIVE': {
      const current = await currentState(deps, executionArn);
      const details: ExecutionDetails = {
        summary: truncate(`${runningSummary(current)} ${consoleLink(executionArn)}`, LIMITS.summary),
        externalExecutionId: executionArn,
      };
      await answer(deps, log, () => new PutJobSuccessResultCommand({
        jobId: job.id, continuationToken: encodeContinuationToken({ executionArn }), executionDetails: details,
      }));
      return 'RUNNING';
    }
    case 'SUCCEEDED': {
      const output = safeParse(execution.output);
      await answer(deps, log, () => new PutJobSuccessResultCommand({
        jobId: job.id,
        executionDetails: {
          summary: successSummary(output, consoleLink(executionArn)),
          externalExecutionId: executionArn,
          percentComplete: 100,
        },
        outputVariables: outputVariables(output),
      }));
      return 'SUCCEEDED';
    }
    default: {
      const failure: FailureDetails = {
        type: 'JobFailed',
        message: failureMessage(status ?? 'UNKNOWN', execution.error, execution.cause, consoleLink(executionArn)),
        externalExecutionId: executionArn,
      };
      return answerFailure(deps, job.id, failure, log);
    }
  }
}

/** The state the execution is in now, from its newest history events; undefined if it cannot be read. */
async function currentState(deps: TriggerDeps, executionArn: string): Promise<string | undefined> {
  try {
    const history = await deps.sfn.send(new GetExecutionHistoryCommand({
      executionArn, reverseOrder: true, maxResults: 20, includeExecutionData: false,
    }));
    return history.events?.find((e) => e.type?.endsWith('StateEntered'))?.stateEnteredEventDetails?.name;
  } catch {
    // Only a nicer summary depends on it: the deployment is followed all the same.
    return undefined;
  }
}

async function readInputFile(s3: S3Client, bucket: string, key: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if ((object.ContentLength ?? 0) > LIMITS.inputFile) {
      throw new ConfigurationError(`the S3 input file s3://${bucket}/${key} is over ${LIMITS.inputFile} bytes`);
    }
    text = await object.Body!.transformToString();
  } catch (e) {
    if (e instanceof ConfigurationError) throw e;
    const name = (e as Error).name;
    if (name === 'NoSuchKey' || name === 'NoSuchBucket' || name === 'NotFound' || name === 'AccessDenied') {
      throw new ConfigurationError(`cannot read the S3 input file s3://${bucket}/${key}: ${name}`);
    }
    throw e;
  }
  return parseJsonObject(text, `the S3 input file s3://${bucket}/${key}`);
}

async function answerFailure(
  deps: TriggerDeps, jobId: string, failureDetails: FailureDetails, log: (m: string) => void,
): Promise<TriggerOutcome> {
  const answered = await answer(deps, log, () => new PutJobFailureResultCommand({ jobId, failureDetails }));
  return answered ? 'FAILED' : 'ALREADY_ANSWERED';
}

/** A job result that could not be sent (after the SDK's own retries). */
class AnswerError extends Error {
  constructor(cause: Error) {
    super(`${cause.name}: ${cause.message}`);
    this.name = 'AnswerError';
  }
}

/** Sends a job result; a job that was already answered (InvalidJobStateException) is not an error (B3). */
async function answer(
  deps: TriggerDeps, log: (m: string) => void,
  command: () => PutJobSuccessResultCommand | PutJobFailureResultCommand,
): Promise<boolean> {
  try {
    await deps.codepipeline.send(command() as any);
    return true;
  } catch (e) {
    if ((e as Error).name === 'InvalidJobStateException') {
      log(`the job was already answered: ${(e as Error).message}`);
      return false;
    }
    throw new AnswerError(e as Error);
  }
}

function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** The Step Functions console page of an execution. */
export function consoleLink(executionArn: string): string {
  const region = executionArn.split(':')[3];
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

function safeParse(text: string | undefined): Record<string, any> {
  try {
    const parsed = text ? JSON.parse(text) : {};
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {};
  } catch {
    return {};
  }
}
