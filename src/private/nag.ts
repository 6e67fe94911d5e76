import { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** One cdk-nag rule suppression, with the reason it is safe. */
export interface NagSuppression {
  readonly id: string;
  readonly reason: string;
  /** Findings the suppression covers (for rules such as AwsSolutions-IAM5); plain strings or `{ regex }`. */
  readonly appliesTo?: (string | { regex: string })[];
}

/**
 * Records cdk-nag suppressions in the resource's metadata (the format cdk-nag reads), merged with any
 * already there. No dependency on cdk-nag: users who run it see why each finding is accepted.
 */
export function suppressNag(construct: IConstruct | undefined, suppressions: NagSuppression[]): void {
  if (!construct) return;
  const resource = construct instanceof CfnResource ? construct : construct.node.defaultChild;
  if (!(resource instanceof CfnResource)) return;
  const existing = (resource.getMetadata('cdk_nag')?.rules_to_suppress ?? []) as NagSuppression[];
  const merged = [...existing];
  for (const s of suppressions) {
    const same = merged.find((e) => e.id === s.id);
    if (!same) {
      merged.push(s);
    } else if (s.appliesTo || same.appliesTo) {
      Object.assign(same, { appliesTo: [...(same.appliesTo ?? []), ...(s.appliesTo ?? [])] });
    }
  }
  resource.addMetadata('cdk_nag', { rules_to_suppress: merged });
}
