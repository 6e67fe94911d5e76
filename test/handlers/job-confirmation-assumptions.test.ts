/**
 * When AWS answers otherwise than assumed. GetJobDetails is documented for custom actions; the library assumes it
 * describes a Lambda invoke job the same way (action type, FunctionName, a pipeline context naming the pipeline, the
 * pipeline execution and the action execution), and that ListActionExecutions lists that action execution with its
 * status and start time. Each assumption that fails ends the confirmation with JobConfirmationAssumptionFailed,
 * naming the call and the field, saying that nothing changed and where to report it; nothing is deployed, and the
 * job's artifact credentials are never shown.
 */
import * as fs from 'fs';
import { join } from 'path';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import 'aws-sdk-client-mock-jest';
import { ACTION_START } from './fixtures';
import { TaskWorld } from './task-support';
import { JOB_ID, TriggerWorld, issueJobOf, jobEvent } from './trigger-support';
import { FAILURE_NAMES, ISSUES_URL } from '../../src/shared/errors';
import { confirmPipelineJob } from '../../src/shared/pipeline-job';
import { ARTIFACT_CREDENTIALS, FakeCodePipeline, TRIGGER_FUNCTION_NAME } from '../fakes';

const NAME = FAILURE_NAMES.jobConfirmationAssumptionFailed;

/** Removes the field at `path` (dot-separated) of an answer, or sets it to `value`. */
function reshape(path: string, value?: unknown): (answer: any) => any {
  return (answer) => {
    const copy = structuredClone(answer);
    const keys = path.split('.');
    const parent = keys.slice(0, -1).reduce((o, k) => o?.[k], copy);
    if (parent) {
      if (value === undefined) delete parent[keys[keys.length - 1]];
      else parent[keys[keys.length - 1]] = value;
    }
    return copy;
  };
}

/** CodePipeline with the trigger's job in progress, answering GetJobDetails and ListActionExecutions through `answersAs`. */
function issued(): FakeCodePipeline {
  const codepipeline = new FakeCodePipeline({ actionStart: ACTION_START });
  codepipeline.issue({ id: JOB_ID, userParameters: '{"stackName":"app","templatePath":"t.json"}' });
  return codepipeline;
}

/** The message the confirmation failed with (none if it did not fail). */
function messageOf(confirmed: Promise<unknown>): Promise<string> {
  return confirmed.then(() => '', (e: Error) => e.message);
}

/** Every message must say what failed, that nothing changed, and where to report it; and never show a credential. */
function expectReportable(message: string): void {
  expect(message).toContain('nothing was deployed and no stack was changed');
  expect(message).toContain(`Please report this at ${ISSUES_URL} with this message`);
  for (const secret of Object.values(ARTIFACT_CREDENTIALS)) expect(message).not.toContain(secret);
}

describe('GetJobDetails describes a Lambda invoke job otherwise than assumed', () => {
  const DETAILS = 'jobDetails.data';
  test.each([
    ['no pipeline context', `${DETAILS}.pipelineContext`, undefined, [`${DETAILS}.pipelineContext`], 'answered without jobDetails.data.pipelineContext'],
    ['no pipeline name', `${DETAILS}.pipelineContext.pipelineName`, undefined, [`${DETAILS}.pipelineContext.pipelineName`], 'without jobDetails.data.pipelineContext.pipelineName'],
    ['no pipeline execution id (as documented for third-party jobs)', `${DETAILS}.pipelineContext.pipelineExecutionId`, undefined,
      [`${DETAILS}.pipelineContext.pipelineExecutionId`], 'without jobDetails.data.pipelineContext.pipelineExecutionId'],
    ['no action in the context', `${DETAILS}.pipelineContext.action`, undefined,
      [`${DETAILS}.pipelineContext.action.actionExecutionId`], 'without jobDetails.data.pipelineContext.action.actionExecutionId'],
    ['no action execution id', `${DETAILS}.pipelineContext.action.actionExecutionId`, undefined,
      [`${DETAILS}.pipelineContext.action.actionExecutionId`], 'without jobDetails.data.pipelineContext.action.actionExecutionId'],
    ['an action execution id of another shape (a number)', `${DETAILS}.pipelineContext.action.actionExecutionId`, 42,
      [`${DETAILS}.pipelineContext.action.actionExecutionId`], 'with jobDetails.data.pipelineContext.action.actionExecutionId (a number) where a text was expected'],
    ['an empty pipeline name', `${DETAILS}.pipelineContext.pipelineName`, '',
      [`${DETAILS}.pipelineContext.pipelineName`], 'with jobDetails.data.pipelineContext.pipelineName (an empty text)'],
  ])('GIVEN %s WHEN the trigger confirms the job THEN JobConfirmationAssumptionFailed names GetJobDetails and the field, and the job is answerable', async (_what, path, value, fields, detail) => {
    // GIVEN
    const codepipeline = issued();
    codepipeline.answersAs.jobDetails = reshape(path, value);

    // WHEN
    const confirmed = confirmPipelineJob(codepipeline.client, JOB_ID, { functionName: TRIGGER_FUNCTION_NAME });

    // THEN
    await expect(confirmed).rejects.toMatchObject({ name: NAME, call: 'GetJobDetails', fields, answerable: true });
    const message = await messageOf(confirmed);
    expect(message).toContain(`CodePipeline's GetJobDetails ${detail.startsWith('answered') ? '' : 'answered '}${detail}`);
    expectReportable(message);
  });

  test('GIVEN several fields missing at once WHEN confirmed THEN one message names them all', async () => {
    const codepipeline = issued();
    codepipeline.answersAs.jobDetails = (answer) => reshape('jobDetails.data.pipelineContext.pipelineExecutionId')(
      reshape('jobDetails.data.pipelineContext.action.actionExecutionId')(answer));
    await expect(confirmPipelineJob(codepipeline.client, JOB_ID, { functionName: TRIGGER_FUNCTION_NAME })).rejects.toMatchObject({
      name: NAME,
      fields: ['jobDetails.data.pipelineContext.pipelineExecutionId', 'jobDetails.data.pipelineContext.action.actionExecutionId'],
      message: expect.stringContaining('answered without jobDetails.data.pipelineContext.pipelineExecutionId, jobDetails.data.pipelineContext.action.actionExecutionId'),
    });
  });

  test.each([
    ['no job data', 'jobDetails.data', ['jobDetails.data']],
    ['no action type', 'jobDetails.data.actionTypeId', ['jobDetails.data.actionTypeId']],
    ['no FunctionName', 'jobDetails.data.actionConfiguration.configuration.FunctionName', ['jobDetails.data.actionConfiguration.configuration.FunctionName']],
  ])('GIVEN %s WHEN the trigger confirms the job THEN JobConfirmationAssumptionFailed, not answerable (the job is not known to be this function\'s)', async (_what, path, fields) => {
    const codepipeline = issued();
    codepipeline.answersAs.jobDetails = reshape(path);
    const confirmed = confirmPipelineJob(codepipeline.client, JOB_ID, { functionName: TRIGGER_FUNCTION_NAME });
    await expect(confirmed).rejects.toMatchObject({ name: NAME, call: 'GetJobDetails', fields, answerable: false });
    const message = await messageOf(confirmed);
    expect(message).toContain('the job is not answered');
    expectReportable(message);
  });

  test('GIVEN a job of another action type WHEN confirmed THEN it stays a refusal (JobNotConfirmed), not a failed assumption', async () => {
    const codepipeline = issued();
    codepipeline.answersAs.jobDetails = reshape('jobDetails.data.actionTypeId.provider', 'CodeBuild');
    await expect(confirmPipelineJob(codepipeline.client, JOB_ID)).rejects.toMatchObject({ name: 'JobNotConfirmed', answerable: false });
  });
});

describe('ListActionExecutions lists the job\'s action execution otherwise than assumed', () => {
  const ours = (answer: any) => answer.actionExecutionDetails.filter((d: any) => d.actionExecutionId !== undefined);
  test.each([
    ['it is not listed', (answer: any) => ({ ...answer, actionExecutionDetails: [] }), ['actionExecutionDetails[].actionExecutionId'],
      /lists no action execution action-execution-\d+ of pipeline app-pipeline for pipeline execution pipeline-execution-\d+ \(1 page read\), though GetJobDetails names it/],
    ['it has no status', (answer: any) => ({ actionExecutionDetails: ours(answer).map(({ status: _s, ...d }: any) => d) }), ['actionExecutionDetails[].status'],
      /listed action execution action-execution-\d+ without actionExecutionDetails\[\]\.status/],
    ['it has no start time', (answer: any) => ({ actionExecutionDetails: ours(answer).map(({ startTime: _t, ...d }: any) => d) }), ['actionExecutionDetails[].startTime'],
      /listed action execution action-execution-\d+ without a start time it can read/],
    ['its start time is not a time', (answer: any) => ({ actionExecutionDetails: ours(answer).map((d: any) => ({ ...d, startTime: 'soon' })) }),
      ['actionExecutionDetails[].startTime'], /without a start time it can read/],
    ['the list is not a list', () => ({ actionExecutionDetails: { items: [] } }), ['actionExecutionDetails'],
      /answered with actionExecutionDetails \(an object\) where a list was expected/],
  ])('GIVEN %s WHEN confirmed THEN JobConfirmationAssumptionFailed names ListActionExecutions and the field, answerable', async (_what, answersAs, fields, detail) => {
    const codepipeline = issued();
    codepipeline.answersAs.actionExecutions = answersAs;
    const confirmed = confirmPipelineJob(codepipeline.client, JOB_ID, { functionName: TRIGGER_FUNCTION_NAME });
    await expect(confirmed).rejects.toMatchObject({ name: NAME, call: 'ListActionExecutions', fields, answerable: true });
    const message = await messageOf(confirmed);
    expect(message).toMatch(detail);
    expectReportable(message);
  });

  test('GIVEN ListActionExecutions refuses the pipeline execution GetJobDetails named (PipelineExecutionNotFoundException) WHEN confirmed THEN JobConfirmationAssumptionFailed names both and the error', async () => {
    const codepipeline = issued();
    codepipeline.answersAs.actionExecutions = () => {
      const error = new Error('Pipeline execution not found');
      error.name = 'PipelineExecutionNotFoundException';
      throw error;
    };
    await expect(confirmPipelineJob(codepipeline.client, JOB_ID, { functionName: TRIGGER_FUNCTION_NAME })).rejects.toMatchObject({
      name: NAME,
      call: 'ListActionExecutions',
      answerable: true,
      message: expect.stringMatching(/ListActionExecutions refused pipeline app-pipeline and pipeline execution pipeline-execution-\d+, as GetJobDetails named them \(PipelineExecutionNotFoundException\)/),
    });
  });

  test('GIVEN a pipeline the functions may not list (AccessDeniedException) WHEN confirmed THEN it stays JobNotConfirmed: a pipeline this workflow does not serve', async () => {
    const codepipeline = issued();
    codepipeline.servedPipelines = ['another-pipeline'];
    await expect(confirmPipelineJob(codepipeline.client, JOB_ID)).rejects.toMatchObject({ name: 'JobNotConfirmed', message: expect.stringContaining('does not serve') });
  });
});

describe('the pipeline and the log show which assumption failed', () => {
  test('GIVEN GetJobDetails names no pipeline execution WHEN CodePipeline invokes the trigger THEN the job fails with JobConfirmationAssumptionFailed, the log says the same, no execution starts, and no credential is shown', async () => {
    // GIVEN
    const world = new TriggerWorld();
    issueJobOf(world.codepipeline, jobEvent());
    world.codepipeline.answersAs.jobDetails = reshape('jobDetails.data.pipelineContext.pipelineExecutionId');

    // WHEN
    const outcome = await world.runForged(jobEvent());

    // THEN
    expect(outcome).toBe('FAILED');
    const message = world.codepipeline.lastFailure.failureDetails!.message!;
    expect(message).toMatch(new RegExp(`^${NAME}: CodePipeline's GetJobDetails answered without jobDetails\\.data\\.pipelineContext\\.pipelineExecutionId`));
    expectReportable(message);
    const log = world.logs.join('\n');
    expect(log).toContain(`${NAME}: CodePipeline's GetJobDetails answered without jobDetails.data.pipelineContext.pipelineExecutionId`);
    expect(log).toContain(ISSUES_URL);
    for (const secret of Object.values(ARTIFACT_CREDENTIALS)) expect(log).not.toContain(secret);
    expect(world.sfn.mock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('GIVEN GetJobDetails gives no FunctionName WHEN the trigger runs THEN the log names the failed assumption and nothing is answered or started', async () => {
    const world = new TriggerWorld();
    issueJobOf(world.codepipeline, jobEvent());
    world.codepipeline.answersAs.jobDetails = reshape('jobDetails.data.actionConfiguration.configuration.FunctionName');
    await expect(world.runForged(jobEvent())).rejects.toMatchObject({ name: NAME });
    expect(world.codepipeline.answers).toEqual([]);
    expect(world.logs.join('\n')).toMatch(new RegExp(`${NAME}: CodePipeline's GetJobDetails answered without jobDetails\\.data\\.actionConfiguration\\.configuration\\.FunctionName`));
    expect(world.sfn.mock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('GIVEN ListActionExecutions does not list the job\'s action execution WHEN the workflow\'s first task confirms the job THEN it fails with JobConfirmationAssumptionFailed before any CloudFormation call', async () => {
    const world = new TaskWorld().artifact();
    world.codepipeline.issue({ id: 'job-1', userParameters: '{}' });
    world.codepipeline.answersAs.actionExecutions = () => ({ actionExecutionDetails: [] });
    await expect(world.run('confirmJob')).rejects.toMatchObject({ name: NAME, call: 'ListActionExecutions' });
    expect(world.cloudformation.mock.calls()).toHaveLength(0);
  });
});

test('the address to report at is the project\'s issue tracker: package.json\'s repository, with /issues', () => {
  const repository: string = JSON.parse(fs.readFileSync(join(__dirname, '../../package.json'), 'utf8')).repository.url;
  expect(ISSUES_URL).toBe(`${repository.replace(/\.git$/, '')}/issues`);
});
