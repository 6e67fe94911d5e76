/**
 * What the trigger reads from its event, and the continuation token it hands to CodePipeline. Pure: no AWS
 * calls, no logging. Of the event only the job id is used: the job itself is CodePipeline's answer about that
 * id (shared/pipeline-job.ts), because anyone allowed to invoke the function can write any event.
 */
import { LIMITS } from '../shared/contract';
import { ConfigurationError } from '../shared/errors';

/** The continuation token the trigger hands to CodePipeline between invocations. */
export interface ContinuationToken {
  readonly executionArn: string;
}

/** CodePipeline's job ids (GetJobDetails accepts no other shape). */
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The job id of a CodePipeline job event. It is checked before it is used anywhere, so that what someone else
 * wrote never reaches a log line or a message. Never log a whole event: it carries artifact credentials.
 */
export function jobIdOf(event: unknown): string {
  const job = (event as Record<string, any> | undefined)?.['CodePipeline.job'];
  if (!job || typeof job !== 'object' || typeof job.id !== 'string' || job.id.length === 0) {
    throw new ConfigurationError('the event is not a CodePipeline job: "CodePipeline.job.id" is missing');
  }
  if (!JOB_ID.test(job.id)) throw new ConfigurationError('the event is not a CodePipeline job: its job id is not one CodePipeline gives');
  return job.id;
}

export function encodeContinuationToken(token: ContinuationToken): string {
  const encoded = JSON.stringify(token);
  if (encoded.length > LIMITS.continuationToken) {
    throw new Error(`continuation token of ${encoded.length} characters is over CodePipeline's ${LIMITS.continuationToken}`);
  }
  return encoded;
}

/** Reads a continuation token; the execution must be one of `stateMachineArn`'s. */
export function decodeContinuationToken(token: string, stateMachineArn: string): ContinuationToken {
  let parsed: any;
  try {
    parsed = JSON.parse(token);
  } catch {
    throw new ConfigurationError('the continuation token is not JSON; it was not written by this action');
  }
  const prefix = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:`;
  if (!parsed || typeof parsed.executionArn !== 'string' || !parsed.executionArn.startsWith(prefix)) {
    throw new ConfigurationError('the continuation token names no execution of this deploy workflow; it was not written by this action');
  }
  return { executionArn: parsed.executionArn };
}
