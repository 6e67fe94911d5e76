/** Renders the benchmark's measurements as Markdown. */
import type { BundleMeasurement } from './bundles';
import type { DeploymentSummary } from './deployment';
import type { SynthMeasurement } from './synth';
import type { CallCounts } from '../test/fakes';

export function totalCalls(counts: CallCounts): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

export function table(header: string[], rows: (string | number)[][], align?: ('l' | 'r')[]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  const rule = `| ${header.map((_, i) => ((align?.[i] ?? 'l') === 'r' ? '---:' : '---')).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
export const ms = (value: number) => `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
export const seconds = (valueMs: number) => `${(valueMs / 1000).toFixed(valueMs % 1000 === 0 ? 0 : 1)} s`;

const DESIGN_NAMES: Record<string, string> = {
  'sfn-deploy-action': 'this library',
  'sfn-deploy-unit': 'this library, units of 5 stacks',
  'sfn-deploy-unit-of-one': 'this library, a unit of one stack',
  'sfn-deploy-events': 'this library, on stack events',
  'sfn-deploy-events-unit-of-one': 'this library, on stack events, a unit of one stack',
  'sfn-deploy-events-lost': 'this library, on stack events, every event lost',
  'native-change-set': 'native change-set actions',
  'seed': 'seed design',
};
export const designName = (design: string) => DESIGN_NAMES[design] ?? design;

export function synthTable(results: SynthMeasurement[]): string {
  return table(
    ['Deployed stacks', 'Design', 'Pipeline actions', 'Synth time (median)', 'Template size', 'Resources',
      'Lambda functions', 'State machines', 'IAM roles', 'IAM managed policies (overflow)'],
    results.map((r) => [
      r.stacks, designName(r.design), r.actions, ms(r.medianMs), kb(r.templateBytes), r.resources,
      r.byType['AWS::Lambda::Function'] ?? 0, r.byType['AWS::StepFunctions::StateMachine'] ?? 0,
      r.byType['AWS::IAM::Role'] ?? 0, r.byType['AWS::IAM::ManagedPolicy'] ?? 0,
    ]),
    ['r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}

export function bundleTable(results: BundleMeasurement[]): string {
  return table(
    ['Bundle', 'Size', 'gzip -9', 'Module load (median)', 'The @aws-sdk clients alone (median)', 'Whole `node` process (median)', 'External packages'],
    results.map((b) => [
      b.name, kb(b.bytes), kb(b.gzipBytes), ms(b.loadMs), ms(b.sdkLoadMs), ms(b.processMs), b.sdkPackages.map((p) => `\`${p}\``).join(', '),
    ]),
    ['l', 'r', 'r', 'r', 'r', 'r', 'l'],
  );
}

export function deploymentTable(results: DeploymentSummary[]): string {
  return table(
    ['Stack update', 'Design', 'State transitions', 'Task Lambda invocations', 'Event handler invocations', 'AWS API calls (workflow)',
      'Stack status polls', 'Stack done → execution done (mean / max)', 'Stack done → action done (mean / max)',
      'Trigger invocations', 'AWS API calls (trigger)'],
    results.map((s) => [
      `${s.updateMinutes} min`, designName(s.design), s.exact.transitions, s.exact.taskInvocations, s.exact.eventHandlerInvocations,
      totalCalls(s.exact.workflowCalls),
      s.exact.updatePolls, `${seconds(s.workflowDelayMeanMs)} / ${seconds(s.workflowDelayMaxMs)}`,
      `${seconds(s.actionDelayMeanMs)} / ${seconds(s.actionDelayMaxMs)}`, s.exact.triggerInvocations, totalCalls(s.exact.pipelineCalls),
    ]),
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}

export function callsTable(results: DeploymentSummary[]): string {
  const rows = (which: (s: DeploymentSummary) => CallCounts, label: (op: string) => string) =>
    [...new Set(results.flatMap((s) => Object.keys(which(s))))].sort()
      .map((op) => [label(op), ...results.map((s) => which(s)[op] ?? 0)]);
  return table(
    ['Operation', ...results.map((s) => `${s.updateMinutes} min, ${designName(s.design)}`)],
    [
      ...rows((s) => s.exact.workflowCalls, (op) => `${op} (tasks)`),
      ...rows((s) => s.exact.pipelineCalls, (op) => `${op} (trigger)`),
    ],
    ['l', ...results.map(() => 'r' as const)],
  );
}
