/**
 * A fake CodePipeline: the jobs it issued to the deploy action, and the job results. GetJobDetails describes a job
 * as the simulated CodePipeline does (demo/lib/pipeline-job.ts); ListActionExecutions lists its action execution
 * with its status, which only the pipelines the functions were granted may be asked about (`servedPipelines`,
 * IAM's part). CodePipeline's limits on the results are enforced as ValidationException.
 */
import {
  CodePipelineClient, GetJobDetailsCommand, InvalidJobStateException, JobNotFoundException, ListActionExecutionsCommand,
  PutJobFailureResultCommand, PutJobSuccessResultCommand, ValidationException,
} from '@aws-sdk/client-codepipeline';
import type { PutJobFailureResultCommandInput, PutJobSuccessResultCommandInput } from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { CLIENT_CONFIG, METADATA, TEST_ENV, refuseUnmodelled } from './aws';
import { jobDetailsOf } from '../../demo/lib/pipeline-job';
import type { SimulatedJob } from '../../demo/lib/pipeline-job';

/** The pipeline and the trigger function the fake's jobs belong to by default. */
export const PIPELINE_NAME = 'app-pipeline';
export const TRIGGER_FUNCTION_NAME = 'deploy-trigger';
/** The temporary artifact credentials CodePipeline hands out with a job; they must never be logged. */
export const ARTIFACT_CREDENTIALS = {
  accessKeyId: 'ASIAARTIFACTKEY7EXAMPLE',
  secretAccessKey: 'artifactSecret/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEArtifactSessionTokenEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQ',
};

export interface JobAnswer {
  readonly jobId: string;
  readonly kind: 'success' | 'failure';
  readonly input: Record<string, any>;
}

/** What CodePipeline holds of a job once it issued it. */
export interface PipelineJobRecord extends Partial<Omit<SimulatedJob, 'id'>> {
  readonly id: string;
  /** When the action started (epoch ms). @default the fake's `actionStart` */
  readonly startTime?: number;
}

type JobRecord = SimulatedJob & { readonly startTime: number };

/** A job's own status: answered (Succeeded, Failed) or not (InProgress). */
export type JobStatus = 'InProgress' | 'Succeeded' | 'Failed';
/** The status of a job's action execution. */
export type ActionStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Abandoned';

/** A job id as CodePipeline makes them (GetJobDetails refuses ids of another shape). */
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface FakeCodePipelineOptions {
  /** When the action of a job started, unless the job says. @default - when it was issued (Date.now) */
  readonly actionStart?: number;
  /** GetJobDetails refuses a job id not shaped like CodePipeline's (ValidationException). @default true */
  readonly checkJobIds?: boolean;
  /**
   * The handler tests answer one job again and again: a job answered with a continuation token stays open, and the
   * next invocation carries the same job id. In CodePipeline (the default) that job is done, and CodePipeline
   * issues a new job carrying the token (`continuation()`). @default false
   */
  readonly continuationKeepsJob?: boolean;
}

let actionExecutions = 0;

const same = <T>(answer: T): T => answer;

/**
 * CodePipeline's jobs and job results. A job exists once CodePipeline issued it (`issue`). A job answered with
 * success and no continuation token, or with failure, ends its action execution; answering a job that is not
 * InProgress fails with InvalidJobStateException.
 */
export class FakeCodePipeline {
  public readonly client = new CodePipelineClient(CLIENT_CONFIG);
  public readonly mock = mockClient(this.client);
  public readonly answers: JobAnswer[] = [];
  /** The pipelines the functions' roles may call ListActionExecutions on. @default - every pipeline */
  public servedPipelines?: string[];
  /**
   * AWS describing jobs otherwise than the library assumes: each answer of GetJobDetails and ListActionExecutions
   * passes through these before it is returned (a test takes a field out, or gives it another shape).
   * @default - answered as modelled
   */
  public readonly answersAs: { jobDetails?: (answer: any) => any; actionExecutions?: (answer: any) => any } = {};
  /** Each job's own status: what its answers made it (a test may close a job itself). */
  public readonly jobs = new Map<string, JobStatus>();
  private readonly issued = new Map<string, JobRecord>();
  private readonly statuses = new Map<string, ActionStatus>();
  private unreachable = 0;

  constructor(private readonly options: FakeCodePipelineOptions = {}) {
    refuseUnmodelled(this.mock, 'FakeCodePipeline');
    this.mock.on(GetJobDetailsCommand).callsFake(async (input) => (this.answersAs.jobDetails ?? same)(this.jobDetails(input.jobId!)));
    this.mock.on(ListActionExecutionsCommand).callsFake(async (input) => (this.answersAs.actionExecutions ?? same)(this.actionExecutions(input)));
    this.mock.on(PutJobSuccessResultCommand).callsFake(async (input) => {
      this.check(input.jobId!);
      const invalid = [
        input.continuationToken !== undefined && input.continuationToken.length > 2048 && 'continuationToken',
        (input.executionDetails?.summary?.length ?? 0) > 2048 && 'executionDetails.summary',
        // (The SDK leaves out a variable whose value is undefined.)
        input.outputVariables && Object.values(input.outputVariables).some((v: unknown) => v !== undefined && (typeof v !== 'string' || v.length > 1000))
          && 'outputVariables',
      ].filter(Boolean);
      if (invalid.length) throw new ValidationException({ message: `invalid ${invalid.join(', ')}`, $metadata: METADATA });
      this.answers.push({ jobId: input.jobId!, kind: 'success', input });
      if (input.continuationToken) {
        this.jobs.set(input.jobId!, this.options.continuationKeepsJob ? 'InProgress' : 'Succeeded');
      } else {
        this.jobs.set(input.jobId!, 'Succeeded');
        this.setStatus(input.jobId!, 'Succeeded');
      }
      return {};
    });
    this.mock.on(PutJobFailureResultCommand).callsFake(async (input) => {
      this.check(input.jobId!);
      if ((input.failureDetails?.message?.length ?? 0) > 5000) {
        throw new ValidationException({ message: 'failureDetails.message is over 5000 characters', $metadata: METADATA });
      }
      this.answers.push({ jobId: input.jobId!, kind: 'failure', input });
      this.jobs.set(input.jobId!, 'Failed');
      this.setStatus(input.jobId!, 'Failed');
      return {};
    });
  }

  /** CodePipeline issues a job (a pipeline execution reached the action), or describes it again. */
  public issue(record: PipelineJobRecord): void {
    const previous = this.issued.get(record.id);
    const n = previous ? 0 : ++actionExecutions;
    const job: JobRecord = {
      functionName: TRIGGER_FUNCTION_NAME,
      pipelineName: PIPELINE_NAME,
      stageName: 'Deploy',
      pipelineExecutionId: previous?.pipelineExecutionId ?? `pipeline-execution-${n}`,
      actionExecutionId: previous?.actionExecutionId ?? `action-execution-${n}`,
      startTime: this.options.actionStart ?? Date.now(),
      artifactCredentials: ARTIFACT_CREDENTIALS,
      ...record,
    };
    this.issued.set(record.id, job);
    if (!this.statuses.has(job.actionExecutionId)) this.statuses.set(job.actionExecutionId, 'InProgress');
  }

  public isIssued(jobId: string): boolean {
    return this.issued.has(jobId);
  }

  /** The job as CodePipeline issued it. */
  public job(jobId: string): JobRecord | undefined {
    return this.issued.get(jobId);
  }

  /** CodePipeline's next job for an action whose job `previous` was answered with a continuation token. */
  public continuation(previous: string, next: string): void {
    const job = this.issued.get(previous);
    const answer = [...this.answers].reverse().find((a) => a.jobId === previous);
    if (!job || answer?.kind !== 'success' || !answer.input.continuationToken) {
      throw new Error(`FakeCodePipeline: job ${previous} was not answered with a continuation token`);
    }
    this.issued.set(next, { ...job, id: next, continuationToken: answer.input.continuationToken });
  }

  /** The action execution of a job ends without an answer (the pipeline execution was stopped and abandoned, say). */
  public setStatus(jobId: string, status: ActionStatus): void {
    const job = this.issued.get(jobId);
    if (job) this.statuses.set(job.actionExecutionId, status);
  }

  /** The next `times` job results fail as if CodePipeline could not be reached. */
  public unreachableFor(times: number): void {
    this.unreachable = times;
  }

  public get successes(): PutJobSuccessResultCommandInput[] {
    return this.answers.filter((a) => a.kind === 'success').map((a) => a.input as PutJobSuccessResultCommandInput);
  }

  public get failures(): PutJobFailureResultCommandInput[] {
    return this.answers.filter((a) => a.kind === 'failure').map((a) => a.input as PutJobFailureResultCommandInput);
  }

  public get lastSuccess(): PutJobSuccessResultCommandInput {
    return this.successes[this.successes.length - 1];
  }

  public get lastFailure(): PutJobFailureResultCommandInput {
    return this.failures[this.failures.length - 1];
  }

  private jobDetails(jobId: string) {
    if ((this.options.checkJobIds ?? true) && !JOB_ID.test(jobId)) {
      throw new ValidationException({ message: `1 validation error detected: Value '${jobId}' at 'jobId' failed to satisfy constraint`, $metadata: METADATA });
    }
    const job = this.issued.get(jobId);
    if (!job) throw new JobNotFoundException({ message: `Job not found: ${jobId}`, $metadata: { ...METADATA, httpStatusCode: 404 } });
    return jobDetailsOf(job, TEST_ENV);
  }

  private actionExecutions(input: { pipelineName?: string; filter?: { pipelineExecutionId?: string } }) {
    if (this.servedPipelines && !this.servedPipelines.includes(input.pipelineName!)) {
      const error = new Error(`User is not authorized to perform: codepipeline:ListActionExecutions on resource: ${input.pipelineName}`);
      error.name = 'AccessDeniedException';
      throw error;
    }
    const seen = new Set<string>();
    const details = [...this.issued.values()]
      .filter((j) => j.pipelineName === input.pipelineName && j.pipelineExecutionId === input.filter?.pipelineExecutionId)
      .filter((j) => !seen.has(j.actionExecutionId) && seen.add(j.actionExecutionId))
      .map((j) => ({
        pipelineExecutionId: j.pipelineExecutionId,
        actionExecutionId: j.actionExecutionId,
        stageName: j.stageName,
        actionName: 'Deploy',
        startTime: new Date(j.startTime),
        status: this.statuses.get(j.actionExecutionId),
      }));
    return { actionExecutionDetails: details };
  }

  private check(jobId: string): void {
    if (this.unreachable > 0) {
      this.unreachable--;
      const error = new Error('Connection timed out after 3000 ms');
      error.name = 'TimeoutError';
      throw error;
    }
    const status = this.jobs.get(jobId) ?? 'InProgress';
    if (status !== 'InProgress') {
      throw new InvalidJobStateException({ message: `Job ${jobId} is in state ${status}, not InProgress`, $metadata: METADATA });
    }
  }
}
