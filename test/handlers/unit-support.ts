/**
 * What the unit's task tests share: a unit's deployment from its configuration, an inspection with a verdict, a
 * round of reviewed stacks, and a task run from the state that calls it (the caller check passes).
 */
import { memberDeployment, parseUserParameters, toDeployment, validateConfig } from '../../src/shared/config';
import type { Deployment, InspectionResult, UnitState, WorkflowState, TaskName } from '../../src/shared/contract';
import type { TaskDeps } from '../../src/workflow/tasks';
import { runTask } from '../../src/workflow/tasks';
import { FakeCloudFormation, FakeExecutionHistory, FakeS3, REGION } from '../fakes';

export const STATE_MACHINE = 'arn:aws:states:eu-west-1:111111111111:stateMachine:deploy';

/** The execution of job `jobId`, as the trigger names it. */
export function executionOf(jobId: string): string {
  return `arn:aws:states:eu-west-1:111111111111:execution:deploy:cp-${jobId}`;
}

/** The deployment of a unit of the `prod` environment from the action's configuration keys (`stacks` and the rest). */
export function unitDeploymentOf(jobId: string, params: Record<string, unknown>): Deployment {
  const config = validateConfig(parseUserParameters(JSON.stringify({ v: 1, environmentName: 'prod', ...params })));
  return toDeployment(config, { id: jobId, artifact: { bucket: 'b', key: 'k' }, startedAt: Date.now() });
}

/** An inspection of one change with `verdict` (a violation unless allowed), and an approval timeout if given. */
export function inspectionOf(verdict: InspectionResult['verdict'], approvalTimeoutSeconds?: number): InspectionResult {
  return {
    verdict,
    changeCount: 1,
    violationCount: verdict === 'ALLOW' ? 0 : 1,
    violations: [],
    reason: `${verdict} change`,
    counts: { Modify: 1 },
    nestedChangeSets: 0,
    changeSetId: '',
    digest: '',
    ...(approvalTimeoutSeconds !== undefined ? { approvalTimeoutSeconds } : {}),
  };
}

/** A round of `deployment`'s stacks, each reviewed with a ready change set inspected as `verdict`, judged `verdict`. */
export function reviewedUnit(deployment: Deployment, verdict: UnitState['verdict']): UnitState {
  const review = deployment.unit!.map((_, i) => memberDeployment(deployment, i));
  return {
    members: review.map((d) => ({
      stackName: d.stackName,
      status: 'REVIEWED',
      round: 1,
      review: {
        stackName: d.stackName,
        plan: 'EXECUTE',
        changeSet: { name: d.changeSetName, type: 'UPDATE', outcome: 'READY', waitSeconds: 5 },
        inspection: inspectionOf(verdict ?? 'ALLOW'),
      },
    })),
    round: 1,
    review,
    next: 'EXECUTE',
    ...(verdict ? { verdict } : {}),
  };
}

export type UnitDeps = TaskDeps & { cfn: FakeCloudFormation };

/** Task dependencies on fakes, with the execution history the caller check reads. */
export function unitDeps(history = new FakeExecutionHistory(STATE_MACHINE)): UnitDeps {
  const cfn = new FakeCloudFormation();
  return { cloudformation: cfn.client, s3: new FakeS3().client, sfn: history.client, region: REGION, cfn };
}

/** Runs `task` as execution `executionArn`'s Task state `stateName` calls it with `state` (the caller check passes). */
export function runTaskAt(executionArn: string, task: TaskName, stateName: string, state: WorkflowState, d?: UnitDeps) {
  const history = new FakeExecutionHistory(STATE_MACHINE);
  history.current.set(executionArn, { executionArn, name: stateName, input: state });
  const world = d ?? unitDeps(history);
  return { result: runTask({ task, state, executionId: executionArn }, { ...world, sfn: history.client }), world };
}
