/**
 * The local demo of the deploy workflow (the README's first command): the example app is synthesized,
 * moto (a real AWS emulator) serves CloudFormation and S3 over HTTP, CodePipeline job events invoke the
 * BUILT trigger asset, and the synthesized state machine runs with the BUILT task asset. CodePipeline and
 * Step Functions, which moto cannot serve here, are simulated in-process (lib/control-plane.ts).
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import {
  CloudFormationClient, CreateChangeSetCommand, DeleteChangeSetCommand, DescribeChangeSetCommand, DescribeStacksCommand, ExecuteChangeSetCommand,
  ListChangeSetsCommand, ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { zipSync, strToU8 } from 'fflate';
import { startControlPlane } from './control-plane';
import type { ControlPlane, LocalExecution } from './control-plane';
import { definitionFromTemplate } from './definition';
import type { StateMachineDefinition } from './definition';
import { LOCAL_ENV } from './intrinsics';
import { startMoto } from './moto';
import { lambdaJobEvent } from './pipeline-job';
import { CODEPIPELINE_REINVOCATION_SECONDS, SleepingClock } from './virtual-time';
import { readDefinition, renderPicture } from '../../src/picture';
import { STACK_EVENTS } from '../../src/shared/contract';
import { DEMO_ALARM, DEMO_STACK, DEMO_UNIT, synthesizeDemoApp } from '../app';
import type { DemoApp } from '../app';

const ROOT = path.resolve(__dirname, '..', '..');
export const ASSETS = {
  trigger: path.join(ROOT, 'assets', 'trigger', 'trigger.lambda', 'index.js'),
  task: path.join(ROOT, 'assets', 'workflow', 'deploy-task.lambda', 'index.js'),
};
const ARTIFACT_BUCKET = 'demo-pipeline-artifacts';
/** moto takes any credentials; these are the demo's own. */
const MOTO_CREDENTIALS = { accessKeyId: 'demo-access-key', secretAccessKey: 'demo-secret-key' };
const STATE_MACHINE_ARN = `arn:aws:states:${LOCAL_ENV.region}:${LOCAL_ENV.account}:stateMachine:demo-deploy`;
const TRIGGER_FUNCTION_NAME = 'demo-trigger';
const STACK_NAME = `${DEMO_STACK.environmentName}-${DEMO_STACK.stackName}`;

/** The demo templates: v1 creates, v2 adds a queue (safe), v3 removes the topic (unsafe). */
export const TEMPLATES = {
  v1: {
    Resources: {
      OrdersQueue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'orders', VisibilityTimeout: 30 } },
      AlertsTopic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'alerts' } },
    },
  },
  v2: {
    Resources: {
      OrdersQueue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'orders', VisibilityTimeout: 30 } },
      AlertsTopic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'alerts' } },
      OrdersDeadLetterQueue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'orders-dlq' } },
    },
  },
  v3: {
    Resources: {
      OrdersQueue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'orders', VisibilityTimeout: 30 } },
      OrdersDeadLetterQueue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'orders-dlq' } },
    },
  },
};

/** The release's templates: r1 creates the three stacks; r2 adds to the first two and removes the web stack's topic. */
const queue = (name: string) => ({ Type: 'AWS::SQS::Queue', Properties: { QueueName: name } });
const topic = (name: string) => ({ Type: 'AWS::SNS::Topic', Properties: { TopicName: name } });
export const RELEASES = {
  r1: {
    network: { Resources: { NetworkEvents: topic('network-events') } },
    data: { Resources: { IngestQueue: queue('ingest') } },
    web: { Resources: { WebQueue: queue('web'), WebAlerts: topic('web-alerts') } },
  },
  r2: {
    network: { Resources: { NetworkEvents: topic('network-events'), FlowLogsQueue: queue('flow-logs') } },
    data: { Resources: { IngestQueue: queue('ingest'), IngestDeadLetters: queue('ingest-dlq') } },
    web: { Resources: { WebQueue: queue('web') } },
  },
};
const UNIT_STACK_NAMES = DEMO_UNIT.stacks.map((s) => `${DEMO_UNIT.environmentName}-${s.stackName}`);

/** One pipeline run of the demo: which action, with which files in the artifact. */
interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly version: string;
  readonly unit: boolean;
  readonly files: Record<string, unknown>;
  /** Before the pipeline runs, and after: the world changes (an alarm fires, then clears). */
  readonly before?: () => Promise<void>;
  readonly after?: () => Promise<void>;
}

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly pipelineStatus: 'SUCCEEDED' | 'FAILED';
  readonly pipelineMessage: string;
  readonly outputVariables?: Record<string, string>;
  readonly triggerInvocations: number;
  /** Simulated time from the job's start to the action's result. */
  readonly elapsedSeconds: number;
  /** Simulated time the execution spent in Wait states. */
  readonly waitedSeconds: number;
  readonly states: string[];
  readonly inspection?: any;
  readonly stack: { status?: string; resources: string[] };
  /** For a unit: each of its stacks, by name, with the change sets left on it. */
  readonly stacks?: Record<string, { status?: string; resources: string[]; changeSets: string[] }>;
  readonly graph: string;
  readonly apiCalls: Record<string, number>;
}

export interface DemoOptions {
  /** Where the pictures go. */
  readonly outDir?: string;
  /** Receives the readable trace, line by line. */
  readonly print?: (line: string) => void;
}

export async function runDemo(options: DemoOptions = {}): Promise<ScenarioResult[]> {
  const print = options.print ?? ((line: string) => { process.stdout.write(`${line}\n`); });
  const outDir = options.outDir ?? path.join(ROOT, '.demo-out');
  for (const asset of Object.values(ASSETS)) {
    if (!fs.existsSync(asset)) throw new Error(`${asset} is missing: build the handlers first (npx projen bundle)`);
  }
  fs.mkdirSync(outDir, { recursive: true });

  print('Synthesizing the example app (demo/app.ts) ...');
  const app = synthesizeDemoApp();
  const { template, userParameters, unitUserParameters } = app;
  const definition = definitionFromTemplate(template);
  print(`  state machine: ${Object.keys(definition.States).length} states; action UserParameters: ${userParameters}`);

  print('Starting moto_server on a free loopback port ...');
  const moto = await startMoto();
  print(`  moto at ${moto.endpoint}`);
  const savedEnv = { ...process.env };
  const originalLog = console.log;
  let controlPlane: ControlPlane | undefined;
  try {
    let taskHandler: (event: unknown) => Promise<unknown> = async () => { throw new Error('not loaded'); };
    // CodePipeline's and Step Functions' time: virtual, from the demo's start (see lib/virtual-time.ts).
    const clock = new SleepingClock(Date.now());
    const cloudformationForEvents = new CloudFormationClient({ endpoint: moto.endpoint, region: LOCAL_ENV.region, credentials: MOTO_CREDENTIALS });
    controlPlane = await startControlPlane(definition, (event) => taskHandler(event), STATE_MACHINE_ARN, clock, async (stackName, sleep) => {
      const status = (await cloudformationForEvents.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0]?.StackStatus ?? '';
      if (!status.endsWith('_IN_PROGRESS')) return { stackName, status };
      await sleep(STACK_EVENTS.safetyPollSeconds);
      throw Object.assign(new Error('no stack status event within the safety poll interval'), { name: 'States.Timeout' });
    });
    Object.assign(process.env, {
      AWS_REGION: LOCAL_ENV.region,
      AWS_ACCESS_KEY_ID: 'demo-access-key',
      AWS_SECRET_ACCESS_KEY: 'demo-secret-key',
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ENDPOINT_URL_SFN: controlPlane.endpoint,
      AWS_ENDPOINT_URL_CODEPIPELINE: controlPlane.endpoint,
      STATE_MACHINE_ARN,
      AWS_LAMBDA_FUNCTION_NAME: TRIGGER_FUNCTION_NAME,
    });
    // What the functions log (their CloudWatch Logs) is kept apart from the trace.
    const lambdaLog: string[] = [];
    console.log = (...args: unknown[]) => { lambdaLog.push(args.map(String).join(' ')); };
    const trigger = loadHandler(ASSETS.trigger);
    taskHandler = loadHandler(ASSETS.task);

    const s3 = new S3Client({ endpoint: moto.endpoint, forcePathStyle: true });
    const cloudformation = new CloudFormationClient({ endpoint: moto.endpoint });
    await s3.send(new CreateBucketCommand({ Bucket: ARTIFACT_BUCKET }));
    // The orders service's error alarm, the Prod action's rollback trigger. moto keeps alarms and their states, but does
    // not model rollback triggers or the monitoring period: CloudFormation never rolls back here. The demo shows what
    // moto can: an alarm in ALARM keeps the deployment from starting. A breach during the update or the monitoring
    // period is shown on the stateful fakes (test/executions/rollback-alarms.test.ts), which model what AWS documents.
    const cloudwatch = new CloudWatchClient({ endpoint: moto.endpoint });
    await cloudwatch.send(new PutMetricAlarmCommand({
      AlarmName: DEMO_ALARM,
      Namespace: 'Demo/Orders',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    }));
    const alarmState = (StateValue: 'OK' | 'ALARM', StateReason: string) => async () => {
      await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: DEMO_ALARM, StateValue, StateReason }));
    };
    await alarmState('OK', 'no errors')();

    const single = (id: string, title: string, version: keyof typeof TEMPLATES): Scenario =>
      ({ id, title, version, unit: false, files: { [DEMO_STACK.templatePath]: TEMPLATES[version] } });
    const release = (id: string, title: string, version: keyof typeof RELEASES): Scenario => ({
      id,
      title,
      version,
      unit: true,
      files: Object.fromEntries(DEMO_UNIT.stacks.map((s) => [s.templatePath, RELEASES[version][s.stackName as keyof typeof RELEASES.r1]])),
    });
    const scenarios: Scenario[] = [
      single('1-create', 'A new stack is created', 'v1'),
      single('2-safe-update', 'A safe change (a queue added) is executed', 'v2'),
      single('3-unsafe-update', 'An unsafe change (the topic removed) is rejected', 'v3'),
      {
        ...single('3b-alarm-firing', 'The orders alarm is in ALARM: nothing is deployed (moto has no rollback triggers; see the comment)', 'v2'),
        before: alarmState('ALARM', 'Threshold Crossed: 1 datapoint [7.0] was greater than or equal to the threshold (1.0).'),
        after: alarmState('OK', 'no errors'),
      },
      release('4a-unit-create', 'A release of three new stacks is created as one unit', 'r1'),
      release('4b-unit-unsafe', 'A release whose third stack removes a topic: nothing of the unit is executed', 'r2'),
    ];
    const results: ScenarioResult[] = [];
    for (const { id, title, version, unit, files, before, after } of scenarios) {
      print('');
      print(`=== Scenario ${id}: ${title} (template${unit ? 's' : ''} ${version}) ===`);
      const key = `pipeline/Source/${id}.zip`;
      const zip = zipSync(Object.fromEntries(Object.entries(files).map(([file, body]) => [file, strToU8(JSON.stringify(body, null, 2))])));
      await s3.send(new PutObjectCommand({ Bucket: ARTIFACT_BUCKET, Key: key, Body: zip }));
      const callsBefore = { ...controlPlane.calls };
      await before?.();
      const pipeline = await runPipelineAction(trigger, controlPlane, clock, unit ? unitUserParameters : userParameters, key);
      await after?.();
      const execution = pipeline.execution;
      const states = execution?.visits.map((v) => v.name) ?? [];
      const inspection = execution?.visits.find((v) => v.name === 'Inspect Change Set Changes')?.output?.inspection;
      const stack = await describeStack(cloudformation, unit ? UNIT_STACK_NAMES[0] : STACK_NAME);
      const stacks = unit
        ? Object.fromEntries(await Promise.all(UNIT_STACK_NAMES.map(async (name) => [name, {
          ...await describeStack(cloudformation, name),
          changeSets: await changeSetsOf(cloudformation, name),
        }] as const)))
        : undefined;
      const graph = await writePicture(definition, execution, path.join(outDir, `${id}.svg`), `${id}: ${title} -> ${pipeline.status}`);

      print(`  pipeline: job ${pipeline.jobId}: ${plural(pipeline.invocations, 'trigger invocation')} over ` +
        `${pipeline.elapsedSeconds} s (simulated; CodePipeline re-invokes every ${CODEPIPELINE_REINVOCATION_SECONDS} s, assumed); ` +
        `the execution's Wait states: ${execution?.waitedSeconds ?? 0} s`);
      print(`  states:   ${states.join(' -> ')}`);
      if (inspection) {
        const counts = Object.entries(inspection.counts).map(([a, n]) => `${n} ${a}`).join(', ') || 'none';
        print(`  verdict:  ${inspection.verdict} (changes: ${counts})`);
        for (const v of inspection.violations) print(`            refused: ${v.logicalId} (${v.resourceType}) ${v.action} by ${v.rule}`);
      }
      print(`  result:   ${pipeline.status}: ${pipeline.message}`);
      if (pipeline.outputVariables) print(`  outputs:  ${JSON.stringify(pipeline.outputVariables)}`);
      const described: Record<string, { status?: string; resources: string[]; changeSets?: string[] }> = stacks ?? { [STACK_NAME]: stack };
      for (const [name, { status, resources, changeSets: left }] of Object.entries(described)) {
        const changeSets = left ? `; change sets left: ${left.join(', ') || 'none'}` : '';
        print(`  moto:     stack ${name} ${status ?? 'absent'}; resources: ${resources.join(', ') || 'none'}${changeSets}`);
      }
      print(`  picture:  ${path.relative(process.cwd(), graph)}`);
      results.push({
        id,
        title,
        pipelineStatus: pipeline.status,
        pipelineMessage: pipeline.message,
        ...(pipeline.outputVariables ? { outputVariables: pipeline.outputVariables } : {}),
        triggerInvocations: pipeline.invocations,
        elapsedSeconds: pipeline.elapsedSeconds,
        waitedSeconds: execution?.waitedSeconds ?? 0,
        states,
        inspection,
        stack,
        ...(stacks ? { stacks } : {}),
        graph,
        apiCalls: diffCounts(controlPlane.calls, callsBefore),
      });
    }
    results.push(...await shopScenarios(app, { trigger, controlPlane, clock, cloudformation, definition, outDir, print }));
    return results;
  } finally {
    console.log = originalLog;
    await controlPlane?.close();
    await moto.stop();
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
    print('');
    print('moto stopped.');
  }
}

/**
 * CodePipeline's side: issue the job and invoke the trigger with it, then, while the trigger answers with a
 * continuation token, move the clock on by the re-invocation period, let the execution catch up (until it
 * ends or waits past that time), and issue the next job carrying the token.
 */
async function runPipelineAction(
  trigger: (event: unknown) => Promise<unknown>, controlPlane: ControlPlane, clock: SleepingClock, userParameters: string, artifactKey?: string,
): Promise<PipelineActionResult> {
  const firstJob = randomUUID();
  const startTime = clock.now();
  let jobId = firstJob;
  controlPlane.issueJob({
    id: jobId,
    functionName: TRIGGER_FUNCTION_NAME,
    userParameters,
    ...(artifactKey ? { artifact: { bucket: ARTIFACT_BUCKET, key: artifactKey } } : {}),
    pipelineName: 'demo-pipeline',
    stageName: 'Prod',
    pipelineExecutionId: randomUUID(),
    actionExecutionId: randomUUID(),
    startTime,
  });
  let continuationToken: string | undefined;
  let execution: LocalExecution | undefined;
  for (let invocation = 1; invocation <= MAX_INVOCATIONS; invocation++) {
    if (continuationToken) {
      const next = randomUUID();
      controlPlane.continueJob(jobId, next);
      jobId = next;
    }
    await trigger(jobEvent(jobId, userParameters, artifactKey, continuationToken));
    const results = controlPlane.jobResults.get(jobId) ?? [];
    const last = results[results.length - 1];
    if (!last) throw new Error(`the trigger gave job ${jobId} no result`);
    const arn = last.body.executionDetails?.externalExecutionId ?? last.body.failureDetails?.externalExecutionId;
    execution = arn ? controlPlane.executions.get(arn) : execution;
    const ended = { invocations: invocation, elapsedSeconds: Math.round((clock.now() - startTime) / 1000), execution };
    if (last.kind === 'failure') {
      await execution?.done;
      return { jobId: firstJob, status: 'FAILED' as const, message: String(last.body.failureDetails.message), ...ended };
    }
    if (!last.body.continuationToken) {
      await execution?.done;
      return {
        jobId: firstJob,
        status: 'SUCCEEDED' as const,
        message: String(last.body.executionDetails?.summary ?? ''),
        ...(last.body.outputVariables ? { outputVariables: last.body.outputVariables as Record<string, string> } : {}),
        ...ended,
      };
    }
    continuationToken = last.body.continuationToken;
    clock.set(clock.now() + CODEPIPELINE_REINVOCATION_SECONDS * 1000);
    await caughtUp(execution, clock);
  }
  throw new Error(`job ${jobId} did not finish after ${MAX_INVOCATIONS} trigger invocations`);
}

const MAX_INVOCATIONS = 500;

interface PipelineActionResult {
  readonly jobId: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly message: string;
  readonly outputVariables?: Record<string, string>;
  readonly invocations: number;
  /** Simulated seconds from the job's start to the trigger's final answer. */
  readonly elapsedSeconds: number;
  readonly execution?: LocalExecution;
}

interface ShopContext {
  readonly trigger: (event: unknown) => Promise<unknown>;
  readonly controlPlane: ControlPlane;
  readonly clock: SleepingClock;
  readonly cloudformation: CloudFormationClient;
  readonly definition: StateMachineDefinition;
  readonly outDir: string;
  readonly print: (line: string) => void;
}

/** The change set name CDK Pipelines' prepare and deploy actions use. */
const PIPELINE_CHANGE = 'PipelineChange';

/**
 * CDK Pipelines: the shop stage's first commit (a table) and second commit (the table removed). For each, CDK
 * Pipelines' prepare action (CodePipeline's CloudFormation action, which this demo stands in for: it replaces the
 * change set PipelineChange on moto), then the review step's action (the real trigger and workflow), then, only
 * when the review succeeded, CDK Pipelines' deploy action (ExecuteChangeSet, again stood in for).
 */
async function shopScenarios(app: DemoApp, ctx: ShopContext): Promise<ScenarioResult[]> {
  const { print, cloudformation, clock, controlPlane } = ctx;
  const stackName = app.shop.stackName;
  const results: ScenarioResult[] = [];
  const commits = [
    { id: '5a-cdk-pipelines-create', title: 'CDK Pipelines, first commit: the review allows the new stack, the deploy action creates it', commit: 'withTable' as const },
    {
      id: '5b-cdk-pipelines-unsafe', title: 'CDK Pipelines, second commit removes the table: refused before the deploy action runs', commit: 'withoutTable' as const,
    },
  ];
  for (const { id, title, commit } of commits) {
    print('');
    print(`=== Scenario ${id}: ${title} ===`);
    const before = await describeStack(cloudformation, stackName);
    // CDK Pipelines' prepare action: CodePipeline's CHANGE_SET_REPLACE (stood in for here).
    await cloudformation.send(new DeleteChangeSetCommand({ StackName: stackName, ChangeSetName: PIPELINE_CHANGE })).catch(() => undefined);
    await cloudformation.send(new CreateChangeSetCommand({
      StackName: stackName,
      ChangeSetName: PIPELINE_CHANGE,
      ChangeSetType: before.status ? 'UPDATE' : 'CREATE',
      TemplateBody: JSON.stringify(app.shop.templates[commit]),
      Capabilities: ['CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
    }));
    const prepared = await cloudformation.send(new DescribeChangeSetCommand({ StackName: stackName, ChangeSetName: PIPELINE_CHANGE }));
    print(`  prepare:  CDK Pipelines' prepare action (stood in for): change set ${PIPELINE_CHANGE} of ${stackName} ${prepared.Status}: ` +
      (prepared.Changes ?? []).map((c) => `${c.ResourceChange?.Action} ${c.ResourceChange?.LogicalResourceId}`).join(', '));

    const callsBefore = { ...controlPlane.calls };
    const review = await runPipelineAction(ctx.trigger, controlPlane, clock, app.reviewUserParameters);
    const states = review.execution?.visits.map((v) => v.name) ?? [];
    print(`  review:   the ChangeSetReviewStep action: ${review.status}: ${review.message}`);
    print(`  states:   ${states.join(' -> ')}`);
    if (review.status === 'SUCCEEDED') {
      // CDK Pipelines' deploy action: CodePipeline's CHANGE_SET_EXECUTE (stood in for here).
      await cloudformation.send(new ExecuteChangeSetCommand({ StackName: stackName, ChangeSetName: PIPELINE_CHANGE }));
      print(`  deploy:   CDK Pipelines' deploy action (stood in for) executed ${PIPELINE_CHANGE}`);
    } else {
      print('  deploy:   CDK Pipelines\' deploy action does not run: the stage stopped at the failed review');
    }
    const stack = await describeStack(cloudformation, stackName);
    const changeSets = await changeSetsOf(cloudformation, stackName);
    print(`  moto:     stack ${stackName} ${stack.status ?? 'absent'}; resources: ${stack.resources.join(', ') || 'none'}; ` +
      `change sets left: ${changeSets.join(', ') || 'none'}`);
    const graph = await writePicture(ctx.definition, review.execution, path.join(ctx.outDir, `${id}.svg`), `${id}: ${title} -> ${review.status}`);
    print(`  picture:  ${path.relative(process.cwd(), graph)}`);
    results.push({
      id,
      title,
      pipelineStatus: review.status,
      pipelineMessage: review.message,
      ...(review.outputVariables ? { outputVariables: review.outputVariables } : {}),
      triggerInvocations: review.invocations,
      elapsedSeconds: review.elapsedSeconds,
      waitedSeconds: review.execution?.waitedSeconds ?? 0,
      states,
      stack,
      stacks: { [stackName]: { ...stack, changeSets } },
      graph,
      apiCalls: diffCounts(controlPlane.calls, callsBefore),
    });
  }
  return results;
}

/** The graph with the path the execution took (and the state it failed in), as `cdk-sfn-deploy picture` draws it. */
async function writePicture(definition: StateMachineDefinition, execution: LocalExecution | undefined, file: string, title: string): Promise<string> {
  const states = execution?.visits.map((v) => v.name) ?? [];
  const failedAt = execution?.status === 'FAILED' ? states[states.length - 1] : undefined;
  const taken = { states, ...(failedAt ? { failedState: failedAt } : {}) };
  fs.writeFileSync(file, await renderPicture(readDefinition(definition).definition, taken, { title }));
  return file;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Until the execution has ended or sleeps in a Wait that ends after the clock's time. */
async function caughtUp(execution: LocalExecution | undefined, clock: SleepingClock): Promise<void> {
  if (!execution) return;
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`execution ${execution.name} neither ended nor waited within 60 s ` +
      `(real time) in state ${execution.current ?? '?'}: a state that waits for something the demo does not send`)), 60_000);
  });
  try {
    await Promise.race([execution.done, clock.asleep(), stuck]);
  } finally {
    clearTimeout(timer);
  }
}

function jobEvent(jobId: string, userParameters: string, artifactKey: string | undefined, continuationToken?: string) {
  return lambdaJobEvent({
    id: jobId,
    functionName: TRIGGER_FUNCTION_NAME,
    userParameters,
    ...(artifactKey ? { artifact: { bucket: ARTIFACT_BUCKET, key: artifactKey } } : {}),
    // CodePipeline hands the function temporary credentials for the artifact bucket; they are never logged.
    artifactCredentials: { accessKeyId: 'ASIADEMOARTIFACTKEY', secretAccessKey: 'demo-artifact-secret', sessionToken: 'demo-artifact-session' },
    ...(continuationToken ? { continuationToken } : {}),
  });
}

/** Loads a built Lambda asset fresh, so its SDK clients read the endpoints set above. */
function loadHandler(file: string): (event: unknown) => Promise<unknown> {
  delete require.cache[require.resolve(file)];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file).handler as (event: unknown) => Promise<unknown>;
}

async function describeStack(cloudformation: CloudFormationClient, stackName: string): Promise<{ status?: string; resources: string[] }> {
  try {
    const stacks = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
    const resources = await cloudformation.send(new ListStackResourcesCommand({ StackName: stackName }));
    return {
      status: stacks.Stacks?.[0]?.StackStatus,
      resources: (resources.StackResourceSummaries ?? []).map((r) => r.LogicalResourceId!).sort(),
    };
  } catch (e) {
    if (/does not exist/.test((e as Error).message)) return { resources: [] };
    throw e;
  }
}

/** The change sets left on a stack, with their status. */
async function changeSetsOf(cloudformation: CloudFormationClient, stackName: string): Promise<string[]> {
  // moto lists every stack's change sets whatever StackName says: those of this stack are kept.
  return ((await cloudformation.send(new ListChangeSetsCommand({ StackName: stackName }))).Summaries ?? [])
    .filter((c) => c.StackName === stackName).map((c) => `${c.ChangeSetName} (${c.Status}, ${c.ExecutionStatus})`);
}

function diffCounts(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
}

export type { StateMachineDefinition };
