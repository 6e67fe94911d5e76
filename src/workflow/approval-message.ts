/** The message approvers receive (UnsafeChangeAction.requireApproval). Pure. */
import type { Deployment, InspectionResult } from '../shared/contract';

/** Where the cdk-sfn-deploy command comes from, in words that work for every language's users. */
export const CLI_ROUTES = 'pip install cdk-stepfunctions-deploy-action installs it; ' +
  'with Node.js (also from Java): npx -p cdk-stepfunctions-deploy-action cdk-sfn-deploy';

export function approvalMessage(deployment: Deployment, inspection: InspectionResult | undefined, token: string, executionId?: string): string {
  const violations = inspection?.violations ?? [];
  const listed = violations.flatMap((v) => [
    `  - ${[...(v.path ?? []), v.logicalId].join('/')} (${v.resourceType}): ${v.action}` +
    `${v.replacement ? `, replacement ${v.replacement}` : ''}, by ${v.rule}`,
    ...(v.properties ?? []).map((line) => `      ${line}`),
  ]);
  const more = (inspection?.violationCount ?? 0) > violations.length
    ? [`  ... and ${(inspection?.violationCount ?? 0) - violations.length} more (see the change set in the console)`] : [];
  const counts = Object.entries(inspection?.counts ?? {}).map(([a, n]) => `${n} ${a}`).join(', ') || 'none';
  const timeout = deployment.onUnsafe.type === 'requireApproval' ? deployment.onUnsafe.timeoutSeconds : 0;
  return [
    `The deployment of stack ${deployment.stackName} (pipeline job ${deployment.jobId}) waits for a decision.`,
    `Change set ${deployment.changeSetName}: ${counts}. These changes need approval:`,
    ...listed,
    ...more,
    '',
    `Without a decision within ${Math.round(timeout / 60)} minutes the change set is deleted and the deployment fails.`,
    ...(executionId ? [`Execution: ${executionId}`] : []),
    '',
    'To approve (needs states:SendTaskSuccess on the deploy state machine):',
    `  cdk-sfn-deploy approve --task-token '${token}' --comment 'why'`,
    `  aws stepfunctions send-task-success --task-token '${token}' --task-output '{"approved":true,"by":"you"}'`,
    'To reject (needs states:SendTaskFailure):',
    `  cdk-sfn-deploy reject --task-token '${token}' --comment 'why'`,
    `  aws stepfunctions send-task-failure --task-token '${token}' --error ApprovalRejected --cause 'why'`,
    '',
    `cdk-sfn-deploy is the command of the package: ${CLI_ROUTES}.`,
  ].join('\n');
}
