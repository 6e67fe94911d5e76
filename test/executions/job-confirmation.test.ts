/**
 * The job confirmation end to end, when AWS answers otherwise than assumed: the real trigger, the synthesized state
 * machine run locally with the real task handler. The workflow's first state asks CodePipeline about the job again;
 * if the answer lacks what the library needs, the execution fails with JobConfirmationAssumptionFailed before any
 * CloudFormation call, and the pipeline's failure message says which assumption failed and where to report it.
 */
import { STACK_NAME, S, continueAction, createPipelineWorld, invokeTrigger, issueJob, jobEvent } from './harness';
import { FAILURE_NAMES, ISSUES_URL } from '../../src/shared/errors';
import { resourceChange } from '../fakes';

const JOB = '7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e';
const NAME = FAILURE_NAMES.jobConfirmationAssumptionFailed;

test('GIVEN GetJobDetails stops naming the pipeline execution after the trigger started the deployment WHEN the workflow confirms the job THEN it fails with JobConfirmationAssumptionFailed, deploys nothing, and the pipeline says which field was missing and where to report it', async () => {
  // GIVEN: the stack exists and would get a safe change; the trigger starts the execution for the job.
  const world = createPipelineWorld();
  world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
  world.cfn.onCreateChangeSet = { changes: [resourceChange('Add', 'Queue', 'AWS::SQS::Queue')] };
  issueJob(world, JOB);
  const first = await invokeTrigger(world, jobEvent(world, JOB));
  // From now on, CodePipeline describes the first job without its pipeline execution (its continuation jobs as before).
  world.codepipeline.answersAs.jobDetails = (answer) => {
    if (answer.jobDetails.id !== JOB) return answer;
    const { pipelineExecutionId: _gone, ...context } = answer.jobDetails.data.pipelineContext;
    return { jobDetails: { ...answer.jobDetails, data: { ...answer.jobDetails.data, pipelineContext: context } } };
  };

  // WHEN
  const action = await continueAction(world, JOB, [first]);

  // THEN: the execution stopped at its first state; CloudFormation saw no call.
  expect(world.runs[0]).toMatchObject({ status: 'FAILED', error: NAME, path: [S.confirmJob, S.deploymentErrored] });
  expect(world.cfn.calls).toEqual([]);
  expect(action.final.kind).toBe('failure');
  const message: string = action.final.input.failureDetails.message;
  expect(message).toContain(`(${NAME}): CodePipeline's GetJobDetails answered without jobDetails.data.pipelineContext.pipelineExecutionId`);
  expect(message).toContain('nothing was deployed and no stack was changed');
  expect(message).toContain(`Please report this at ${ISSUES_URL}`);
});
