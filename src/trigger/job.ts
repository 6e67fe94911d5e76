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

/** Credentials CodePipeline hands an action for its artifacts. */
export interface ArtifactCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

/**
 * The output artifact and the artifact credentials as the event gives them, for when CodePipeline's own
 * description of the job does not: untrusted, so the caller accepts the location only in the bucket that
 * CodePipeline's description names.
 */
export function outputOfEvent(event: unknown): { output?: { name: string; bucket: string; key: string }; credentials?: ArtifactCredentials } {
  const data = (event as Record<string, any> | undefined)?.['CodePipeline.job']?.data;
  const artifact = Array.isArray(data?.outputArtifacts) ? data.outputArtifacts[0] : undefined;
  const s3 = artifact?.location?.s3Location;
  const c = data?.artifactCredentials;
  const text = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
  return {
    ...(text(artifact?.name) && text(s3?.bucketName) && text(s3?.objectKey)
      ? { output: { name: artifact.name, bucket: s3.bucketName, key: s3.objectKey } } : {}),
    ...(c && text(c.accessKeyId) && text(c.secretAccessKey) && text(c.sessionToken)
      ? { credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken } } : {}),
  };
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
