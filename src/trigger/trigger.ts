/**
 * The trigger: CodePipeline invokes it for the action; it starts the deploy workflow and reports the
 * workflow's result back to the job through continuation tokens.
 */
import {
  CodePipelineClient, PutJobFailureResultCommand, PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import type { ExecutionDetails, FailureDetails } from '@aws-sdk/client-codepipeline';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { REPORT_FILES, changeReport, reportZip } from './change-report';
import type { ChangeReport } from './change-report';
import { decodeContinuationToken, encodeContinuationToken, jobIdOf, outputOfEvent } from './job';
import { failureMessage, outputVariables, runningSummary, successSummary } from './report';
import type { WorkflowOutput } from './report';
import { LIMITS } from '../shared/contract';
import type { Deployment, WorkflowInput } from '../shared/contract';
import { isTransient, truncate } from '../shared/errors';
import { executionNameFor } from '../shared/naming';
import { JobNotConfirmedError, confirmPipelineJob, deploymentForJob } from '../shared/pipeline-job';
import type { ConfirmedJob } from '../shared/pipeline-job';

export interface TriggerDeps {
  readonly codepipeline: CodePipelineClient;
  readonly sfn: SFNClient;
  readonly s3: S3Client;
  readonly stateMachineArn: string;
  /** This function's name: a job whose FunctionName is another function's is refused. */
  readonly functionName: string;
  /** Receives one line per decision; never the event, never credentials. */
  readonly log?: (message: string) => void;
  /** An S3 client that acts with the job's artifact credentials, to write the change report. */
  readonly s3WithCredentials?: (credentials: NonNullable<ConfirmedJob['artifactCredentials']>) => S3Client;
}

export type TriggerOutcome = 'STARTED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ALREADY_ANSWERED';

export async function runTrigger(event: unknown, deps: TriggerDeps): Promise<TriggerOutcome> {
  const log = deps.log ?? (() => undefined);
  let jobId: string;
  try {
    jobId = jobIdOf(event);
  } catch (e) {
    // Without a job id there is nobody to answer; the error names the problem.
    log(`not a CodePipeline job: ${(e as Error).message}`);
    throw e;
  }
  let job: ConfirmedJob;
  try {
    // The event is not trusted: CodePipeline is asked about the job, and its answer is the job.
    job = await confirmPipelineJob(deps.codepipeline, jobId, { functionName: deps.functionName });
  } catch (e) {
    const error = e as Error;
    log(`job ${jobId}: ${error instanceof JobNotConfirmedError ? 'refused' : 'could not be confirmed'}: ${error.name}: ${error.message}`);
    if (error instanceof JobNotConfirmedError && error.answerable) {
      return answerFailure(deps, jobId, { type: 'JobFailed', message: truncate(`${error.name}: ${error.message}`, LIMITS.failureMessage) }, log);
    }
    // A job CodePipeline does not know, or not this function's: nothing started, nothing answered.
    throw error;
  }
  job = withEventOutput(job, event);
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

async function start(job: ConfirmedJob, deps: TriggerDeps, log: (m: string) => void): Promise<TriggerOutcome> {
  const deployment = await deploymentForJob(deps.s3, job);
  const input: WorkflowInput = { deployment };
  const name = executionNameFor(job.id);

  let executionArn: string;
  try {
    const started = await deps.sfn.send(new StartExecutionCommand({
      stateMachineArn: deps.stateMachineArn, name, input: JSON.stringify(input),
    }));
    executionArn = started.executionArn!;
    log(`job ${job.id}: started execution ${executionArn} for ${stacksOf(deployment)}`);
  } catch (e) {
    if ((e as Error).name !== 'ExecutionAlreadyExists') throw e;
    // A second invocation for the same job: the execution of the first one is the deployment.
    executionArn = executionArnFor(deps.stateMachineArn, name);
    log(`job ${job.id}: execution ${name} already exists; following it`);
  }
  return triggerOutcome(await answer(deps, job.id, log, () => new PutJobSuccessResultCommand({
    jobId: job.id,
    continuationToken: encodeContinuationToken({ executionArn }),
    executionDetails: {
      summary: truncate(`Deploying ${stacksOf(deployment)}: ${consoleLink(executionArn)}`, LIMITS.summary),
      externalExecutionId: executionArn,
      percentComplete: 0,
    },
  })), 'STARTED');
}

async function monitor(job: ConfirmedJob, deps: TriggerDeps, log: (m: string) => void): Promise<TriggerOutcome> {
  const { executionArn } = decodeContinuationToken(job.continuationToken!, deps.stateMachineArn);
  let execution: DescribeExecutionCommandOutput;
  try {
    execution = await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (e) {
    if (!isTransient(e)) throw e;
    // Throttled or a server error, after the SDK's retries: the deployment goes on, so does the action.
    // CodePipeline calls again with the same token.
    log(`job ${job.id}: could not read execution ${executionArn} (${(e as Error).name}); asking again later`);
    return triggerOutcome(await answer(deps, job.id, log, () => new PutJobSuccessResultCommand({
      jobId: job.id,
      continuationToken: encodeContinuationToken({ executionArn }),
      executionDetails: {
        summary: truncate(`Deployment running (its status could not be read just now): ${consoleLink(executionArn)}`, LIMITS.summary),
        externalExecutionId: executionArn,
      },
    })), 'RUNNING');
  }
  const status = execution.status;
  log(`job ${job.id}: execution ${executionArn} is ${status}`);
  switch (status) {
    case 'RUNNING':
    case 'PENDING_REDRIVE':
      return answerRunning(job, deps, executionArn, log);
    case 'SUCCEEDED':
      return answerSucceeded(job, deps, executionArn, execution, log);
    default:
      return answerNotSucceeded(job, deps, executionArn, execution, log);
  }
}

/** The deployment goes on: the action too, its summary saying which state the execution is in. */
async function answerRunning(job: ConfirmedJob, deps: TriggerDeps, executionArn: string, log: (m: string) => void): Promise<TriggerOutcome> {
  const current = await currentState(deps, executionArn);
  const details: ExecutionDetails = {
    summary: truncate(`${runningSummary(current)} ${consoleLink(executionArn)}`, LIMITS.summary),
    externalExecutionId: executionArn,
  };
  return triggerOutcome(await answer(deps, job.id, log, () => new PutJobSuccessResultCommand({
    jobId: job.id, continuationToken: encodeContinuationToken({ executionArn }), executionDetails: details,
  })), 'RUNNING');
}

/** The deployment succeeded: the change report is written and the job succeeds, with the output variables. */
async function answerSucceeded(
  job: ConfirmedJob, deps: TriggerDeps, executionArn: string, execution: DescribeExecutionCommandOutput, log: (m: string) => void,
): Promise<TriggerOutcome> {
  const output = safeParse(execution.output);
  const written = await writeReport(job, deps, () => changeReport('SUCCEEDED', output), log);
  return triggerOutcome(await answer(deps, job.id, log, () => new PutJobSuccessResultCommand({
    jobId: job.id,
    executionDetails: {
      summary: successSummary(output, consoleLink(executionArn), written),
      externalExecutionId: executionArn,
      percentComplete: 100,
    },
    outputVariables: outputVariables(output),
  })), 'SUCCEEDED');
}

/** The deployment failed, timed out or was aborted: the change report is written and the job fails, saying why. */
async function answerNotSucceeded(
  job: ConfirmedJob, deps: TriggerDeps, executionArn: string, execution: DescribeExecutionCommandOutput, log: (m: string) => void,
): Promise<TriggerOutcome> {
  const status = execution.status;
  const written = await writeReport(job, deps, () => changeReport(status ?? 'UNKNOWN', {}, { error: execution.error, cause: execution.cause }), log);
  const failure: FailureDetails = {
    type: 'JobFailed',
    message: failureMessage(status ?? 'UNKNOWN', execution.error, execution.cause, consoleLink(executionArn), written),
    externalExecutionId: executionArn,
  };
  return answerFailure(deps, job.id, failure, log);
}

/**
 * CodePipeline's description of the job is trusted for where the output artifact goes; where it names none
 * (GetJobDetails is documented for custom actions), the event's is taken, only in the same artifact bucket as
 * the job's input, and with the event's credentials where the description gives none.
 */
function withEventOutput(job: ConfirmedJob, event: unknown): ConfirmedJob {
  const fromEvent = outputOfEvent(event);
  const output = job.output ?? (fromEvent.output && job.artifact && fromEvent.output.bucket === job.artifact.bucket ? fromEvent.output : undefined);
  const artifactCredentials = job.artifactCredentials ?? fromEvent.credentials;
  return { ...job, ...(output ? { output } : {}), ...(artifactCredentials ? { artifactCredentials } : {}) };
}

/**
 * Writes the change report into the action's output artifact with the job's artifact credentials, when the
 * action has one. Returns a sentence saying where it is (or why it is not there) for the summary.
 */
async function writeReport(job: ConfirmedJob, deps: TriggerDeps, report: () => ChangeReport, log: (m: string) => void): Promise<string | undefined> {
  if (!job.output) return undefined;
  if (!job.artifactCredentials || !deps.s3WithCredentials) {
    log(`job ${job.id}: no artifact credentials to write the change report`);
    return 'The change report could not be written (CodePipeline gave no artifact credentials).';
  }
  try {
    await deps.s3WithCredentials(job.artifactCredentials).send(new PutObjectCommand({
      Bucket: job.output.bucket, Key: job.output.key, Body: reportZip(report()), ContentType: 'application/zip',
    }));
    log(`job ${job.id}: change report written to output artifact ${job.output.name}`);
    return `Change report: output artifact ${job.output.name} (${REPORT_FILES.markdown}, ${REPORT_FILES.json}).`;
  } catch (e) {
    log(`job ${job.id}: could not write the change report: ${(e as Error).name}`);
    return `The change report could not be written (${(e as Error).name}).`;
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

async function answerFailure(
  deps: TriggerDeps, jobId: string, failureDetails: FailureDetails, log: (m: string) => void,
): Promise<TriggerOutcome> {
  return triggerOutcome(await answer(deps, jobId, log, () => new PutJobFailureResultCommand({ jobId, failureDetails })), 'FAILED');
}

/** A job result that could not be sent (after the SDK's own retries). */
class AnswerError extends Error {
  constructor(cause: Error) {
    super(`${cause.name}: ${cause.message}`);
    this.name = 'AnswerError';
  }
}

/**
 * Sends a job result. A job already answered (InvalidJobStateException) is not an error. A success that
 * CodePipeline refuses for what it holds (output variables too large, say) would leave the job hanging
 * until CodePipeline's own timeout: the job is failed instead, with CodePipeline's reason.
 */
async function answer(
  deps: TriggerDeps, jobId: string, log: (m: string) => void,
  command: () => PutJobSuccessResultCommand | PutJobFailureResultCommand,
): Promise<Answered> {
  const sent = command();
  try {
    await deps.codepipeline.send(sent as any);
    return 'ANSWERED';
  } catch (e) {
    const error = e as Error;
    if (error.name === 'InvalidJobStateException') {
      log(`the job was already answered: ${error.message}`);
      return 'ALREADY_ANSWERED';
    }
    if (isTransient(error) || !(sent instanceof PutJobSuccessResultCommand)) throw new AnswerError(error);
    log(`job ${jobId}: CodePipeline refused the result (${error.name}); failing the job with the reason`);
    const message = `CodePipeline refused the action's result (${error.name}: ${truncate(error.message, 1000)}). ` +
      `The deployment's own result is in its execution: ${String(sent.input.executionDetails?.externalExecutionId ?? 'unknown')}`;
    const failed = await answer(deps, jobId, log, () => new PutJobFailureResultCommand({
      jobId, failureDetails: { type: 'JobFailed', message: truncate(message, LIMITS.failureMessage) },
    }));
    return failed === 'ANSWERED' ? 'FAILED_INSTEAD' : failed;
  }
}

/** How a job result went: taken, refused because the job was already answered, or refused and the job failed instead. */
type Answered = 'ANSWERED' | 'ALREADY_ANSWERED' | 'FAILED_INSTEAD';

/** The trigger's outcome, `meant` when CodePipeline took the answer. */
function triggerOutcome(answered: Answered, meant: TriggerOutcome): TriggerOutcome {
  if (answered === 'ANSWERED') return meant;
  return answered === 'FAILED_INSTEAD' ? 'FAILED' : 'ALREADY_ANSWERED';
}

function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/**
 * The console host of each partition whose console domain AWS documents: the regional console of `aws`
 * (AWS General Reference, "AWS Management Console endpoints"), the console of the China Regions
 * (console.amazonaws.cn) and of AWS GovCloud (US) (console.amazonaws-us-gov.com). The isolated partitions
 * (aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc...) are not listed: a link there would be a guess.
 */
const CONSOLE_HOSTS = new Map<string, (region: string) => string>([
  ['aws', (region) => `${region}.console.aws.amazon.com`],
  ['aws-cn', () => 'console.amazonaws.cn'],
  ['aws-us-gov', () => 'console.amazonaws-us-gov.com'],
]);

/**
 * The Step Functions console page of an execution, on the console of the execution's partition; in a
 * partition whose console is not known (or for an ARN that is not one), the execution ARN alone.
 */
export function consoleLink(executionArn: string): string {
  const [, partition, , region] = executionArn.split(':');
  const host = CONSOLE_HOSTS.get(partition);
  if (!host || !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region ?? '')) return executionArn;
  return `https://${host(region)}/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

function safeParse(text: string | undefined): WorkflowOutput {
  try {
    const parsed = text ? JSON.parse(text) : {};
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/** What a deployment deploys, in words: its stack, or a unit's stacks. */
function stacksOf(deployment: Deployment): string {
  return deployment.unit
    ? `${deployment.unit.length} stacks as one unit (${deployment.unit.map((s) => s.stackName).join(', ')})`
    : `stack ${deployment.stackName}`;
}
