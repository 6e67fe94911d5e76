/** The first task: the execution and its deployment must be exactly what a confirmed pipeline job asks for. */
import { isDeepStrictEqual } from 'util';
import { UnconfirmedDeploymentError } from './support';
import type { TaskDeps, TaskEvent } from './support';
import type { Deployment, JobResult, WorkflowState } from '../../shared/contract';
import { executionNameFor } from '../../shared/naming';
import { confirmPipelineJob, deploymentForJob } from '../../shared/pipeline-job';


/**
 * The first task: the execution must be the one the trigger starts for its pipeline job (named after the
 * job), the job must be one CodePipeline confirms in progress and the first job of its action execution (not a
 * continuation job), and the deployment must be exactly the one that job's configuration asks for. An execution someone else started with their own input deploys nothing.
 */
export async function confirmJob(state: WorkflowState, deps: TaskDeps, event: TaskEvent): Promise<JobResult> {
  const { deployment } = state;
  if (!deps.codepipeline) throw new Error('the task function has no CodePipeline client to confirm the pipeline job');
  // The trigger starts an execution with the deployment alone; anything else in the input (a unit's progress, a
  // verdict, an approval) would be trusted by the states after this one.
  const extra = Object.keys(state).filter((key) => key !== 'deployment');
  if (extra.length > 0) {
    throw new UnconfirmedDeploymentError(`the execution's input holds ${extra.map((k) => JSON.stringify(k)).join(', ')} besides the ` +
      'deployment: it was not started by this action\'s trigger, and nothing is deployed');
  }
  const expected = executionNameFor(deployment.jobId);
  const name = event.executionId?.split(':').pop();
  if (name !== expected) {
    throw new UnconfirmedDeploymentError(`execution ${name ?? '(unknown)'} was not started by the trigger for pipeline job ` +
      `${deployment.jobId} (that execution is named ${expected}): nothing is deployed`);
  }
  const job = await confirmPipelineJob(deps.codepipeline, deployment.jobId);
  // CodePipeline issues a continuation job to follow an action's deployment, which runs already: its own execution
  // would be a second deployment of the same action.
  if (job.continuationToken !== undefined) {
    throw new UnconfirmedDeploymentError(`pipeline job ${deployment.jobId} is a continuation job of action execution ${job.actionExecutionId}, ` +
      'whose deployment runs already in the execution its first job started: a continuation job follows it and starts none, and nothing is deployed');
  }
  const asked = await deploymentForJob(deps.s3, job);
  const keys = [...new Set([...Object.keys(asked), ...Object.keys(deployment)])] as (keyof Deployment)[];
  const differs = keys.filter((k) => !isDeepStrictEqual(asked[k], deployment[k]));
  if (differs.length > 0) {
    throw new UnconfirmedDeploymentError(`the execution's input differs from what pipeline job ${deployment.jobId} asks for ` +
      `(${differs.join(', ')}): it was not started by this action's trigger, and nothing is deployed`);
  }
  return { pipelineName: job.pipelineName, pipelineExecutionId: job.pipelineExecutionId, actionExecutionId: job.actionExecutionId };
}
