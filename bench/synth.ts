/** Synth time and template size of a pipeline stack with 1, 10 and 50 deployed stacks, for both designs. */
import { synthesize } from './apps';
import type { Design } from './apps';
import { median } from './stats';

export const SYNTH_SIZES = [1, 10, 50];
/** Synths per size and design; the median is reported. One warm-up synth per design runs first, uncounted. */
export const SYNTH_RUNS = 5;
export const DESIGNS: Design[] = ['sfn-deploy-action', 'sfn-deploy-unit', 'native-change-set'];

export interface SynthMeasurement {
  readonly design: Design;
  readonly stacks: number;
  readonly actions: number;
  readonly medianMs: number;
  /** The template as compact JSON, in bytes (`cdk synth` writes it indented, somewhat larger). */
  readonly templateBytes: number;
  readonly resources: number;
  readonly byType: Record<string, number>;
  /** IAM managed policies by the logical id of the role they are attached to. */
  readonly managedPoliciesByRole: Record<string, number>;
}

export function measureSynth(): SynthMeasurement[] {
  for (const design of DESIGNS) synthesize({ design, stacks: 1 });
  const results: SynthMeasurement[] = [];
  for (const stacks of SYNTH_SIZES) {
    const times: Record<string, number[]> = {};
    const templates: Record<string, Record<string, any>> = {};
    // Interleaved, so that noise from other work on the machine falls on both designs alike.
    for (let run = 0; run < SYNTH_RUNS; run++) {
      for (const design of DESIGNS) {
        const { template, ms } = synthesize({ design, stacks });
        (times[design] ??= []).push(ms);
        templates[design] = template;
      }
    }
    for (const design of DESIGNS) {
      const template = templates[design];
      const resources = Object.values(template.Resources as Record<string, any>);
      const byType: Record<string, number> = {};
      for (const r of resources) byType[r.Type] = (byType[r.Type] ?? 0) + 1;
      const pipeline = resources.find((r) => r.Type === 'AWS::CodePipeline::Pipeline');
      const actions = pipeline.Properties.Stages.slice(1).reduce((n: number, s: any) => n + s.Actions.length, 0);
      const managedPoliciesByRole: Record<string, number> = {};
      for (const r of resources.filter((x) => x.Type === 'AWS::IAM::ManagedPolicy')) {
        for (const role of r.Properties.Roles ?? []) {
          const id = typeof role === 'string' ? role : role.Ref;
          managedPoliciesByRole[id] = (managedPoliciesByRole[id] ?? 0) + 1;
        }
      }
      results.push({
        design,
        stacks,
        actions,
        medianMs: median(times[design]),
        templateBytes: Buffer.byteLength(JSON.stringify(template)),
        resources: resources.length,
        byType,
        managedPoliciesByRole,
      });
    }
  }
  return results;
}
