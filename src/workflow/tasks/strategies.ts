/**
 * The tasks of the unsafe-change strategies that need one: blue/green switches to a new stack, an approval
 * notifies the approvers before the execution waits for their decision.
 */
import { PublishCommand } from '@aws-sdk/client-sns';
import type { TaskDeps, TaskEvent } from './support';
import type { Deployment, WorkflowState } from '../../shared/contract';
import { ConfigurationError, truncate } from '../../shared/errors';
import { STACK_NAME, newStackSuffixFor } from '../../shared/naming';
import { approvalMessage, unitApprovalMessage } from '../approval-message';


/** Blue/green (UnsafeChangeAction.deployToNewStack): the deployment goes on with a new stack name. */
export async function switchToNewStack(state: WorkflowState): Promise<Deployment> {
  const { deployment } = state;
  if (deployment.onUnsafe.type !== 'deployToNewStack') {
    throw new ConfigurationError('switchToNewStack runs only with UnsafeChangeAction.deployToNewStack()');
  }
  if (deployment.previousStackName) {
    throw new ConfigurationError(`the new stack ${deployment.stackName} was refused too; not switching again`);
  }
  const suffix = deployment.onUnsafe.suffix ?? newStackSuffixFor(deployment.jobId);
  const stackName = `${deployment.stackName}-${suffix}`;
  if (!STACK_NAME.test(stackName)) {
    throw new ConfigurationError(`the new stack name ${stackName} is not a valid stack name (128 characters at most)`);
  }
  return { ...deployment, stackName, previousStackName: deployment.stackName };
}

/** UnsafeChangeAction.requireApproval: tells the approvers, then the execution waits for their decision. */
export async function requestApproval(state: WorkflowState, deps: TaskDeps, event: TaskEvent): Promise<{ notified: string }> {
  const { deployment, inspection } = state;
  if (deployment.onUnsafe.type !== 'requireApproval') {
    throw new ConfigurationError('requestApproval runs only with UnsafeChangeAction.requireApproval()');
  }
  if (!event.token) throw new ConfigurationError('requestApproval needs the task token ($$.Task.Token)');
  if (!deps.sns) throw new Error('the task function has no SNS client to notify the approvers');
  const unit = state.unit;
  const message = unit
    ? unitApprovalMessage(deployment, unit, event.executionId, deps.approvalUrl)
    : approvalMessage(deployment, inspection, event.executionId, deps.approvalUrl);
  const result = await deps.sns.send(new PublishCommand({
    TopicArn: deployment.onUnsafe.topicArn,
    Subject: truncate(unit ? `Approval needed: deployment of ${unit.members.length} stacks as one unit` : `Approval needed: deployment of stack ${deployment.stackName}`, 100),
    Message: message,
  }));
  return { notified: result.MessageId ?? '' };
}
