/**
 * The record a wait for a stack operation leaves in the wait table, in one place: its key and attribute names.
 * Three parties use it. The graph's wait writes the key, the execution's task token, the execution and when the
 * record expires, and only while no end is recorded. The stack event function records the operation's final
 * status (and when the record expires), then wakes the task token it finds. The table keys and expires records by
 * these names. Pure, no AWS SDK: constructs and functions both import it.
 */
import { STACK_EVENTS } from './contract';

/** Attribute names of a wait record. */
export const WAIT_RECORD = {
  /** The partition key: the stack name and the operation's client request token (`waitRecordKey`). */
  key: 'pk',
  /** The task token of the execution waiting. */
  taskToken: 'taskToken',
  /** The ARN of the execution waiting. */
  execution: 'execution',
  /** When the record may go: seconds since the epoch, the table's time to live. */
  expiresAt: 'expiresAt',
  /** The operation's final status, once an event recorded it. */
  finalStatus: 'finalStatus',
} as const;

/** The key's format, as Step Functions' `States.Format` takes it: the stack name, `#`, the client request token. */
export const WAIT_RECORD_KEY_FORMAT = '{}#{}';

/** The condition a wait registers under: no end recorded yet (else the operation ended before the wait began). */
export const WAIT_REGISTERS_IF = `attribute_not_exists(${WAIT_RECORD.finalStatus})`;

/** The key of the wait record of a stack's operation. */
export function waitRecordKey(stackName: string, clientRequestToken: string): string {
  return WAIT_RECORD_KEY_FORMAT.replace('{}', () => stackName).replace('{}', () => clientRequestToken);
}

/** When a record written now may go: seconds since the epoch, `STACK_EVENTS.recordDays` from `nowMillis`. */
export function waitRecordExpiry(nowMillis: number): number {
  return Math.floor(nowMillis / 1000) + STACK_EVENTS.recordDays * 86_400;
}
