/** What the permission broadening tests share: a policy document, and a Modify of a resource's properties. */
import type { ChangeInput } from '../../src/policy/evaluate';

/** An IAM policy document of these statements. */
export const doc = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });

/** A Modify of `type` from `before` to `after` properties, with the Details CloudFormation gives for `touched`. */
export function modify(
  type: string, before: Record<string, unknown>, after: Record<string, unknown>, touched: string[], contexts = true,
): ChangeInput {
  return {
    Type: 'Resource',
    ResourceChange: {
      Action: 'Modify',
      LogicalResourceId: 'Subject',
      ResourceType: type,
      Replacement: 'False',
      Scope: ['Properties'],
      Details: touched.map((name) => ({ Target: { Attribute: 'Properties', Path: `/Properties/${name}`, AttributeChangeType: 'Modify' } })),
      ...(contexts ? { BeforeContext: JSON.stringify({ Properties: before }), AfterContext: JSON.stringify({ Properties: after }) } : {}),
    },
  } as unknown as ChangeInput;
}
