/**
 * Confirming a pipeline job with CodePipeline at its edges: a busy pipeline lists its action executions over
 * several pages of ListActionExecutions (at most 100 a page, the next one asked for with `nextToken`), and a job's
 * FunctionName may be a name, a name with an alias, or an ARN.
 */
import { CodePipelineClient, GetJobDetailsCommand, ListActionExecutionsCommand } from '@aws-sdk/client-codepipeline';
import type { ActionExecutionDetail, ListActionExecutionsCommandInput } from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { confirmPipelineJob } from '../../src/shared/pipeline-job';
import { CLIENT_CONFIG } from '../fakes';

const JOB = 'a1b2c3d4-0000-4000-8000-00000000beef';
const PIPELINE = 'busy-pipeline';
const EXECUTION = 'pipeline-execution-7';
const ACTION = 'action-execution-ours';
const STARTED = Date.UTC(2024, 4, 1, 12, 0, 0);

/** CodePipeline with a job of `functionName` and the pipeline execution's actions in `pages` (each page after the first asked for by token). */
function codePipeline(pages: ActionExecutionDetail[][], functionName = 'deploy-trigger') {
  const client = new CodePipelineClient(CLIENT_CONFIG);
  const mock = mockClient(client);
  const asked: ListActionExecutionsCommandInput[] = [];
  mock.on(GetJobDetailsCommand).resolves({
    jobDetails: {
      id: JOB,
      data: {
        actionTypeId: { category: 'Invoke', owner: 'AWS', provider: 'Lambda', version: '1' },
        actionConfiguration: { configuration: { FunctionName: functionName, UserParameters: '{}' } },
        pipelineContext: { pipelineName: PIPELINE, pipelineExecutionId: EXECUTION, action: { name: 'Deploy', actionExecutionId: ACTION } },
      },
    },
  });
  mock.on(ListActionExecutionsCommand).callsFake(async (input: ListActionExecutionsCommandInput) => {
    asked.push(input);
    // CodePipeline's tokens: `page-<n>` asks for page n; no token, the first page.
    const n = input.nextToken === undefined ? 0 : Number(/^page-(\d+)$/.exec(input.nextToken)?.[1] ?? NaN);
    if (!(n in pages)) {
      const error = new Error(`invalid nextToken ${input.nextToken}`);
      error.name = 'InvalidNextTokenException';
      throw error;
    }
    return { actionExecutionDetails: pages[n], ...(n + 1 < pages.length ? { nextToken: `page-${n + 1}` } : {}) };
  });
  return { client, asked };
}

/** 100 other actions of the same pipeline execution (a stage of many actions, a retried stage). */
function others(page: number): ActionExecutionDetail[] {
  return Array.from({ length: 100 }, (_, i) => ({
    pipelineExecutionId: EXECUTION, actionExecutionId: `action-execution-${page}-${i}`, actionName: `Other${i}`, status: 'Succeeded', startTime: new Date(STARTED),
  }));
}
const ours: ActionExecutionDetail = { pipelineExecutionId: EXECUTION, actionExecutionId: ACTION, actionName: 'Deploy', status: 'InProgress', startTime: new Date(STARTED) };

describe('a busy pipeline: the job\'s action execution on a later page of ListActionExecutions', () => {
  test('GIVEN the action execution on the third page WHEN the job is confirmed THEN each page after the first is asked for with the token of the page before, and the job is confirmed', async () => {
    // GIVEN
    const { client, asked } = codePipeline([others(0), others(1), [ours]]);

    // WHEN
    const job = await confirmPipelineJob(client, JOB, { functionName: 'deploy-trigger' });

    // THEN
    expect(job).toMatchObject({ id: JOB, pipelineName: PIPELINE, pipelineExecutionId: EXECUTION, actionExecutionId: ACTION, startedAt: STARTED });
    expect(asked.map((a) => a.nextToken)).toEqual([undefined, 'page-1', 'page-2']);
    // Only this pipeline execution's actions are listed.
    expect(asked.every((a) => a.pipelineName === PIPELINE && a.filter?.pipelineExecutionId === EXECUTION)).toBe(true);
  });

  test('GIVEN the action execution on no page WHEN the job is confirmed THEN every page is read once and the job is not confirmed (answerable: it is this function\'s job)', async () => {
    // GIVEN
    const { client, asked } = codePipeline([others(0), others(1)]);

    // WHEN
    const confirmed = confirmPipelineJob(client, JOB, { functionName: 'deploy-trigger' });

    // THEN
    await expect(confirmed).rejects.toMatchObject({
      name: 'JobConfirmationAssumptionFailed', answerable: true, message: expect.stringContaining(`lists no action execution ${ACTION} of pipeline ${PIPELINE}`),
    });
    expect(asked.map((a) => a.nextToken)).toEqual([undefined, 'page-1']);
  });

  test('GIVEN the action execution on a later page has ended WHEN the job is confirmed THEN it is refused (and not answered)', async () => {
    const { client } = codePipeline([others(0), [{ ...ours, status: 'Abandoned' }]]);
    await expect(confirmPipelineJob(client, JOB)).rejects.toMatchObject({ name: 'JobNotConfirmed', answerable: false, message: expect.stringContaining('is Abandoned, not in progress') });
  });
});

describe('the function a job is for', () => {
  test.each([
    ['its name', 'deploy-trigger'],
    ['its name with an alias', 'deploy-trigger:live'],
    ['its ARN', 'arn:aws:lambda:eu-west-1:111111111111:function:deploy-trigger'],
    ['its ARN with a qualifier', 'arn:aws:lambda:eu-west-1:111111111111:function:deploy-trigger:3'],
  ])('GIVEN a job whose FunctionName is %s WHEN confirmed by that function THEN it is confirmed', async (_what, functionName) => {
    const { client } = codePipeline([[ours]], functionName);
    await expect(confirmPipelineJob(client, JOB, { functionName: 'deploy-trigger' })).resolves.toMatchObject({ actionExecutionId: ACTION });
  });

  test.each([
    ['another function\'s name', 'deploy-trigger-2'],
    ['another function\'s ARN', 'arn:aws:lambda:eu-west-1:111111111111:function:other-trigger'],
    ['an ARN whose alias is the function\'s name', 'arn:aws:lambda:eu-west-1:111111111111:function:other:deploy-trigger'],
  ])('GIVEN a job whose FunctionName is %s WHEN confirmed THEN it is refused and never answered', async (_what, functionName) => {
    const { client, asked } = codePipeline([[ours]], functionName);
    await expect(confirmPipelineJob(client, JOB, { functionName: 'deploy-trigger' })).rejects.toMatchObject({ name: 'JobNotConfirmed', answerable: false });
    expect(asked).toHaveLength(0);
  });
});
