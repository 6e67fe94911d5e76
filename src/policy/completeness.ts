/**
 * Whether a described change set can be judged at all: it must be complete (CREATE_COMPLETE, or FAILED
 * because it holds no changes), and CloudFormation must not have left changes out of its description.
 * Shared by the workflow's inspection and the offline check. Pure.
 */

/** Status reasons CloudFormation gives when a change set has nothing to do. */
const NO_CHANGES = [/didn't contain changes/i, /No updates are to be performed/i, /does not contain any changes/i];

export function isNoChangesReason(reason: string | undefined): boolean {
  return reason !== undefined && NO_CHANGES.some((re) => re.test(reason));
}

/**
 * CloudFormation's warning in StatusReason when a description requested with property values left resource
 * changes out ("[WARN] --include-property-values option can return incomplete ChangeSet data because: ...").
 */
export function isIncompleteDescription(reason: string | undefined): boolean {
  return reason !== undefined && /include-?property-?values option can return incomplete/i.test(reason);
}

/** Why a change set with this status cannot be judged, or undefined when it can. */
export function completenessProblem(status: string | undefined, reason: string | undefined): string | undefined {
  switch (status) {
    case 'CREATE_COMPLETE':
      return undefined;
    case 'FAILED':
      return isNoChangesReason(reason) ? undefined : `failed: ${shortenReason(reason ?? 'no reason given')}`;
    case 'CREATE_PENDING':
    case 'CREATE_IN_PROGRESS':
      return `is still being created (${status}): describe it again once it is CREATE_COMPLETE`;
    case undefined:
      return 'has no Status, so whether it is complete is unknown';
    default:
      return `is ${status}, not CREATE_COMPLETE`;
  }
}

function shortenReason(text: string): string {
  return text.length <= 300 ? text : `${text.slice(0, 285)} ... (truncated)`;
}
