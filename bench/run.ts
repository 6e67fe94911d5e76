/**
 * `npm run bench`: synth time and template size, handler bundle size and load time, and the cost and latency
 * of one deployment, each beside its baseline measured in the same run. Prints Markdown and writes it to
 * bench/RESULTS.md. Needs the bundles: `npx projen bundle` first.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { STACKS_PER_STAGE, STACKS_PER_UNIT } from './apps';
import { LOAD_RUNS, checkBundles, measureBundles } from './bundles';
import {
  ACTION_TIMEOUT, CHANGE_SET_SECONDS, CODEPIPELINE_CONTINUATION_SECONDS, CONCURRENT_DEPLOYMENTS, CONCURRENT_START_WINDOW_MINUTES, DEPLOYMENT_DESIGNS,
  EVENT_LATENCY_MS, MONITORED_UPDATE_MINUTES, MONITORING_MINUTES, SWEEP_RUNS, UPDATE_MINUTES, measureDeployments, measureMonitoredDeployment,
  simulateConcurrency,
} from './deployment';
import type { DeploymentRun, DeploymentSummary } from './deployment';
import { bundleTable, callsTable, deploymentTable, designName, seconds, synthTable, table, totalCalls } from './report';
import { DESIGNS, SYNTH_RUNS, SYNTH_SIZES, measureSynth } from './synth';
import type { SynthMeasurement } from './synth';
import { DEFAULTS, STACK_EVENTS } from '../src/shared/contract';

/** The targets the benchmark checks. */
const TARGETS = {
  /** A 60-minute update on stack events, with every event delivered: at most these counts, ending this soon after the event. */
  eventsLongUpdate: { transitions: 60, taskInvocations: 15, cloudFormationCalls: 20, delaySeconds: 3 },
  /** A 60-minute update costs at most this share of the seed design's state transitions and Lambda invocations. */
  longUpdateShareOfSeed: 0.4,
  /** A 1-minute update: the execution ends at most this long after the stack (the seed's worst case is its 10 s wait). */
  shortUpdateMaxDelaySeconds: 10,
};

const RESULTS_FILE = path.join(__dirname, 'RESULTS.md');

async function main(): Promise<void> {
  const started = Date.now();
  const loadAverage = os.loadavg()[0];
  checkBundles();
  const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);

  progress(`synthesizing ${SYNTH_SIZES.join(', ')} stacks x ${DESIGNS.length} designs x ${SYNTH_RUNS} runs ...`);
  const synth = measureSynth();
  progress(`loading the handler bundles in ${LOAD_RUNS} fresh node processes each ...`);
  const bundles = measureBundles();
  progress(`deploying ${UPDATE_MINUTES.join(', ')}-minute updates x ${DEPLOYMENT_DESIGNS.length} designs x ${SWEEP_RUNS} runs on a virtual clock ...`);
  const deployments = await measureDeployments();
  const concurrency = simulateConcurrency(deployments);
  progress(`deploying a ${MONITORED_UPDATE_MINUTES}-minute update watched ${MONITORING_MINUTES} minutes by rollback alarms ...`);
  const monitored = await measureMonitoredDeployment();
  const elapsed = (Date.now() - started) / 1000;

  const cpus = os.cpus();
  const sdkVersion = JSON.parse(fs.readFileSync(require.resolve('@aws-sdk/client-s3/package.json'), 'utf8')).version;
  const cdkVersion = JSON.parse(fs.readFileSync(require.resolve('aws-cdk-lib/package.json'), 'utf8')).version;
  const markdown = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` (bench/run.ts) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ` +
      `Node.js ${process.version}, ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), ${os.platform()} ${os.arch()}, ` +
      `load average ${loadAverage.toFixed(1)} at the start; aws-cdk-lib ${cdkVersion}; the run took ${elapsed.toFixed(0)} s. ` +
      'Times depend on the machine and on what else runs on it; the counts do not.',
    '',
    '## Targets',
    '',
    ...targets(synth, deployments),
    '',
    'This library beside the seed design, per stack update (the adaptive poll interval: short at first, up to a minute later):',
    '',
    ...sideBySide(deployments),
    '',
    `## ${CONCURRENT_DEPLOYMENTS} concurrent deployments in one account`,
    '',
    `${CONCURRENT_DEPLOYMENTS} deployments of a ${Math.max(...UPDATE_MINUTES)}-minute update start at random times (a fixed seed) over ` +
      `${CONCURRENT_START_WINDOW_MINUTES} minutes; each makes CloudFormation's describe calls (DescribeStacks, DescribeChangeSet, ` +
      'DescribeStackEvents) when one measured run made them. CloudFormation throttles per account and Region; AWS publishes no ' +
      'per-second rate for these calls in the sources this project can read, so the table gives the load, not a verdict against a quota.',
    '',
    table(['Design', 'Describe calls in all', 'Peak calls per second', 'Mean calls per second (while any runs)'],
      concurrency.map((c) => [designName(c.design), c.totalCalls, c.peakCallsPerSecond, c.meanCallsPerSecond.toFixed(2)]),
      ['l', 'r', 'r', 'r']),
    '',
    '## Synth time and template size',
    '',
    `A pipeline stack: an S3 source stage, then deploy stages of up to ${STACKS_PER_STAGE} deployed stacks each. ` +
      'This library: one `StepFunctionsDeployAction` per stack, or one per unit of ' + `${STACKS_PER_UNIT} stacks (\`stacks\`). ` +
      'Native: aws-cdk-lib\'s `CloudFormationCreateReplaceChangeSetAction` ' +
      'then `CloudFormationExecuteChangeSetAction` per stack (a CloudFormation deployment role each, `adminPermissions: false`).',
    '',
    synthTable(synth),
    '',
    '- Synth time: building the app and `app.synth()` (assets staged, cloud assembly written to a temporary directory), the median of ' +
      `${SYNTH_RUNS} runs in one process, the designs interleaved, after one uncounted warm-up synth of each.`,
    '- Template size: the template as compact JSON (`cdk synth` writes it indented). CloudFormation accepts 1 MB through S3.',
    '- IAM managed policies (overflow): aws-cdk-lib moves statements that do not fit in a role\'s inline policy into managed policies ' +
      `(a role may have 10 by default).${overflow(synth)}`,
    '',
    '## Handler bundles',
    '',
    bundleTable(bundles),
    '',
    '- Module load: `require()` of the bundle in a fresh `node` process (a cold start\'s code loading; Lambda\'s own start-up is not ' +
      `included), the median of ${LOAD_RUNS} processes. The "whole process" column adds node's own start.`,
    '- The bundles mark `@aws-sdk/*` external, because the Lambda runtime provides it; loading them here resolves the SDK clients from ' +
      `this project's node_modules (@aws-sdk/client-s3 ${sdkVersion}), so the load time includes the SDK, also measured alone (a difference of a few ms between the two is within the noise).`,
    '',
    '## Per deployment',
    '',
    `An existing stack is updated: the change set takes ${CHANGE_SET_SECONDS} s to create, then the update runs for D minutes ` +
      '(UPDATE_IN_PROGRESS, then UPDATE_COMPLETE). Each design runs from the pipeline job to the job\'s result on a virtual clock.',
    '',
    deploymentTable(deployments),
    '',
    unitOfOneDifference(deployments),
    '',
    'AWS API calls by operation (the update of exactly D):',
    '',
    callsTable(deployments),
    '',
    ...monitoredSection(monitored),
    '### How this is measured',
    '',
    '- This library: the real pipeline stack is synthesized (one `StepFunctionsDeployAction`, timeout ' +
      `${ACTION_TIMEOUT.toHumanString()}, ${ACTION_TIMEOUT.toMinutes() === DEFAULTS.timeoutMinutes ? 'the default, given' : 'given'} ` +
      'so that a 60-minute update fits whatever the default), its ' +
      'state machine definition resolved to plain JSON (demo/lib/intrinsics.ts) and run with aws-local-stepfunctions ' +
      '(demo/lib/local-sfn.ts). Every Task state runs the real `runTask` (src/workflow/tasks.ts) with `deps.now` = the virtual clock. ' +
      'The real trigger (src/trigger/trigger.ts) starts the execution from a CodePipeline job and follows it.',
    '- A unit of one stack: the same pipeline, with the action given `stacks: [the stack]` instead of `stackName` and ' +
      '`templatePath`; the same state machine, entered through the unit\'s plan, review Map and judgement.',
    '- Seed design: bench/seed-definition.json, the seed sample\'s state machine with the blog\'s exercise #2 added (fixed 10-second ' +
      'Wait states, a Lambda call per poll: Check Stack Existence, Create Change Set, Wait 10 s, Get Change Set Creation Status, ' +
      'Inspect Change Set Changes, Execute Change Set, Wait 10 s, Get Stack Update Status, Stack Updated? loop), with the seed\'s task ' +
      'functions re-written in bench/seed-tasks.ts to make the same CloudFormation and S3 calls. Same harness, same fakes, same trigger.',
    '- Wait states wait 0 ms of real time; the virtual clock advances by what each Wait state would have waited (its `Seconds` or ' +
      '`SecondsPath`, read from its input; see bench/local-run.ts). Task states take no virtual time: Lambda and API latency are not modelled.',
    '- CloudFormation and S3 are in-process fakes (test/fakes/) that record every call; Lambda invocations are the Task states ' +
      'run; state transitions are the StateEntered events.',
    '- Delays depend on where the stack\'s completion falls between two polls and between two of CodePipeline\'s invocations of the ' +
      `trigger, so each D is run ${SWEEP_RUNS} times: run j lasts D + j/${SWEEP_RUNS} x W, W being the longer of the two designs' poll ` +
      `intervals when the stack completes (${windows(deployments)}), and CodePipeline's schedule is shifted by ` +
      `(7j mod ${SWEEP_RUNS})/${SWEEP_RUNS} x ${CODEPIPELINE_CONTINUATION_SECONDS} s (Lambda and Step Functions latencies keep it out of step ` +
      'with the workflow). The delay columns give the mean and the maximum over those runs; the other columns are the run at exactly D.',
    `- ASSUMPTION: CodePipeline invokes the trigger again ${CODEPIPELINE_CONTINUATION_SECONDS} s after each answer with a continuation ` +
      'token (AWS does not document the interval). The trigger\'s invocations and calls are the same mechanism in both designs; they ' +
      'differ only because the executions end at different times. The seed\'s own trigger also reads its S3 input file once.',
    '',
  ].join('\n');

  process.stdout.write(`${markdown}\n`);
  fs.writeFileSync(RESULTS_FILE, markdown);
  progress(`wrote ${path.relative(process.cwd(), RESULTS_FILE)}`);
}

/** The rollback alarms measurement, beside the same update without them. */
function monitoredSection(m: { watched: DeploymentRun; plain: DeploymentRun }): string[] {
  const cfn = (r: DeploymentRun) => Object.entries(r.workflowCalls).filter(([op]) => !op.startsWith('DescribeAlarms') && !/Object/.test(op))
    .reduce((a, [, n]) => a + n, 0);
  const row = (name: string, r: DeploymentRun) => [name, r.transitions, r.taskInvocations, r.eventHandlerInvocations, cfn(r),
    r.workflowCalls.DescribeAlarms ?? 0, `${(r.actionMs / 60_000).toFixed(1)} min`];
  return [
    `### A ${MONITORED_UPDATE_MINUTES}-minute update watched ${MONITORING_MINUTES} minutes by rollback alarms`,
    '',
    `On stack events (every event delivered), two rollback alarms that stay OK and \`monitoringTime\` ${MONITORING_MINUTES} minutes: ` +
      `the stack stays UPDATE_IN_PROGRESS for the update and the monitoring period, ${MONITORED_UPDATE_MINUTES + MONITORING_MINUTES} ` +
      'minutes, and the pipeline action lasts that long. The alarms are read (DescribeAlarms) before the change set is made and again right before it is executed.',
    '',
    table(['Deployment', 'State transitions', 'Task Lambda invocations', 'Event handler invocations', 'CloudFormation calls',
      'CloudWatch calls', 'Pipeline action'],
    [row(`${MONITORED_UPDATE_MINUTES} min + ${MONITORING_MINUTES} min monitoring`, m.watched), row(`${MONITORED_UPDATE_MINUTES} min, no alarms`, m.plain)],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r']),
    '',
  ];
}

function windows(deployments: DeploymentSummary[]): string {
  const byMinutes = new Map(deployments.map((d) => [d.updateMinutes, d.sweepWindowMs]));
  return [...byMinutes].map(([minutes, window]) => `${seconds(window)} at ${minutes} min`).join(', ');
}

/** Which roles got IAM managed policies because their inline policy overflowed. */
function overflow(synth: SynthMeasurement[]): string {
  const parts = synth.filter((s) => Object.keys(s.managedPoliciesByRole).length > 0).map((s) =>
    `${s.stacks} stacks, ${designName(s.design)}: ${Object.entries(s.managedPoliciesByRole).map(([role, n]) => `${n} on ${role}`).join(', ')}`);
  return parts.length > 0 ? ` Here: ${parts.join('; ')}.` : '';
}

function find(deployments: DeploymentSummary[], design: string, minutes: number): DeploymentSummary {
  const found = deployments.find((d) => d.design === design && d.updateMinutes === minutes);
  if (!found) throw new Error(`no ${design} run for ${minutes} minutes`);
  return found;
}

/** What deploying the stack as a unit of one (`stacks: [it]`) adds to the single stack's path, at each duration. */
function unitOfOneDifference(deployments: DeploymentSummary[]): string {
  const more = (single: string, unit: string, f: (r: DeploymentSummary) => number) =>
    UPDATE_MINUTES.map((minutes) => f(find(deployments, unit, minutes)) - f(find(deployments, single, minutes)));
  const polling = (f: (r: DeploymentSummary) => number) => more('sfn-deploy-action', 'sfn-deploy-unit-of-one', f);
  const onEvents = (f: (r: DeploymentSummary) => number) => more('sfn-deploy-events', 'sfn-deploy-events-unit-of-one', f);
  const transitions = (r: DeploymentSummary) => r.exact.transitions;
  const invocations = (r: DeploymentSummary) => r.exact.taskInvocations;
  const longest = Math.max(...UPDATE_MINUTES);
  const [unit, seed] = [find(deployments, 'sfn-deploy-unit-of-one', longest), find(deployments, 'seed', longest)];
  const share = (f: (r: DeploymentSummary) => number, what: string) =>
    `${f(unit)} ${what} of the seed design's ${f(seed)} (${((f(unit) / f(seed)) * 100).toFixed(1)}%)`;
  return `Deployed as a unit of one stack (\`stacks: [the stack]\`), the same update costs ${polling(transitions).join(' / ')} more ` +
    `state transitions and ${polling(invocations).join(' / ')} more task Lambda invocations at ${UPDATE_MINUTES.join(' / ')} min than ` +
    `by \`stackName\` (on stack events: ${onEvents(transitions).join(' / ')} and ${onEvents(invocations).join(' / ')}), with ` +
    `${polling((r) => totalCalls(r.exact.workflowCalls)).join(' / ')} more AWS API calls and an execution that ends ` +
    `${polling((r) => r.workflowDelayMeanMs).map(seconds).join(' / ')} later (mean); polling, a ${longest}-minute update then costs ` +
    `${share(transitions, 'state transitions')} and ${share(invocations, 'Lambda invocations')}.`;
}

/** What each design pays and gets at each update duration. */
function sideBySide(deployments: DeploymentSummary[]): string[] {
  return UPDATE_MINUTES.map((minutes) => {
    const [v, o, s] = [find(deployments, 'sfn-deploy-events', minutes), find(deployments, 'sfn-deploy-action', minutes), find(deployments, 'seed', minutes)];
    return `- ${minutes} min (on events / polling / seed): ${v.exact.transitions} / ${o.exact.transitions} / ${s.exact.transitions} state ` +
      `transitions, ${v.exact.taskInvocations} / ${o.exact.taskInvocations} / ${s.exact.taskInvocations} task Lambda invocations; the ` +
      `execution ends ${seconds(v.workflowDelayMeanMs)} / ${seconds(o.workflowDelayMeanMs)} / ${seconds(s.workflowDelayMeanMs)} (mean) ` +
      `after the stack, the pipeline action ${seconds(v.actionDelayMeanMs)} / ${seconds(o.actionDelayMeanMs)} / ${seconds(s.actionDelayMeanMs)}.`;
  });
}

/** Each target with the measured value and whether it is met. */
function targets(synth: SynthMeasurement[], deployments: DeploymentSummary[]): string[] {
  const mark = (ok: boolean) => (ok ? '**Met.**' : '**Not met.**');
  const ours = synth.filter((s) => s.design === 'sfn-deploy-action' || s.design === 'sfn-deploy-unit');
  const functions = ours.map((s) => s.byType['AWS::Lambda::Function'] ?? 0);
  const machines = ours.map((s) => s.byType['AWS::StepFunctions::StateMachine'] ?? 0);
  const constant = functions.every((n) => n === functions[0]) && machines.every((n) => n === 1);

  const longest = Math.max(...UPDATE_MINUTES);
  const shortest = Math.min(...UPDATE_MINUTES);
  const [longOurs, longSeed] = [find(deployments, 'sfn-deploy-action', longest), find(deployments, 'seed', longest)];
  const transitionShare = longOurs.exact.transitions / longSeed.exact.transitions;
  const invocationShare = longOurs.exact.taskInvocations / longSeed.exact.taskInvocations;
  const [shortOurs, shortSeed] = [find(deployments, 'sfn-deploy-action', shortest), find(deployments, 'seed', shortest)];
  const shortOk = shortOurs.workflowDelayMaxMs <= TARGETS.shortUpdateMaxDelaySeconds * 1000
    && shortOurs.workflowDelayMeanMs <= shortSeed.workflowDelayMeanMs;
  const pct = (x: number) => `${Math.round(x * 100)}%`;

  const [onEvents, lost] = [find(deployments, 'sfn-deploy-events', longest), find(deployments, 'sfn-deploy-events-lost', longest)];
  const cfnCalls = Object.entries(onEvents.exact.workflowCalls).filter(([op]) => !/^(GetObject|PutObject)/.test(op))
    .reduce((n, [, c]) => n + c, 0);
  const e = TARGETS.eventsLongUpdate;
  const eventsOk = onEvents.exact.transitions <= e.transitions && onEvents.exact.taskInvocations <= e.taskInvocations
    && cfnCalls <= e.cloudFormationCalls && onEvents.workflowDelayMaxMs <= e.delaySeconds * 1000;
  const lostOk = lost.workflowDelayMaxMs <= STACK_EVENTS.safetyPollSeconds * 1000;
  return [
    `- On stack events, a ${longest}-minute update with every event delivered costs at most ${e.transitions} state transitions, ` +
      `${e.taskInvocations} task Lambda invocations and ${e.cloudFormationCalls} CloudFormation calls, and the execution ends within ` +
      `${e.delaySeconds} s of the final event: ${onEvents.exact.transitions} transitions, ${onEvents.exact.taskInvocations} invocations ` +
      `(and ${onEvents.exact.eventHandlerInvocations} of the event handler), ${cfnCalls} CloudFormation calls, ` +
      `${seconds(onEvents.workflowDelayMaxMs)} at most after the stack (${seconds(EVENT_LATENCY_MS)} of it the assumed event latency). ` +
      `${mark(eventsOk)}`,
    `- With every event lost, it still ends, within the safety poll (${STACK_EVENTS.safetyPollSeconds / 60} minutes): ` +
      `${seconds(lost.workflowDelayMeanMs)} mean, ${seconds(lost.workflowDelayMaxMs)} max after the stack. ${mark(lostOk)}`,
    `- Functions and state machines do not grow with the number of actions, units or stacks: ${functions.join(', ')} Lambda functions and ` +
      `${machines.join(', ')} state machines for ${ours.map((s) => `${s.stacks} ${s.stacks === 1 ? 'stack' : 'stacks'} in ` +
        `${s.actions} ${s.actions === 1 ? 'action' : 'actions'}`).join(', ')} (one action per stack, or units of ${STACKS_PER_UNIT}). ${mark(constant)}`,
    `- A ${longest}-minute update costs at most ${pct(TARGETS.longUpdateShareOfSeed)} of the seed design's state transitions and ` +
      `Lambda invocations: ${longOurs.exact.transitions} vs ${longSeed.exact.transitions} transitions (${pct(transitionShare)}), ` +
      `${longOurs.exact.taskInvocations} vs ${longSeed.exact.taskInvocations} invocations (${pct(invocationShare)}). ` +
      `${mark(transitionShare <= TARGETS.longUpdateShareOfSeed && invocationShare <= TARGETS.longUpdateShareOfSeed)}`,
    `- A ${shortest}-minute update finishes fast: the execution ends at most ${TARGETS.shortUpdateMaxDelaySeconds} s after the stack, ` +
      `and on average no later than the seed design's: ${seconds(shortOurs.workflowDelayMeanMs)} mean, ${seconds(shortOurs.workflowDelayMaxMs)} max ` +
      `(seed: ${seconds(shortSeed.workflowDelayMeanMs)} mean, ${seconds(shortSeed.workflowDelayMaxMs)} max). ${mark(shortOk)}`,
  ];
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : error}\n`);
  process.exitCode = 1;
});
