/**
 * The identity policies of a synthesized template's roles, with every intrinsic function resolved to concrete
 * fake values for one account, region and partition: what IAM would read once CloudFormation has deployed it.
 * A role's policies are its inline `Policies`, and the `AWS::IAM::Policy` and `AWS::IAM::ManagedPolicy`
 * resources that name it in `Roles`. An AWS managed policy (`ManagedPolicyArns`) cannot be read offline: it fails.
 */
import type { PolicyStatement } from './evaluate';

export const FAKE = { partition: 'aws', account: '111111111111', region: 'eu-west-1', urlSuffix: 'amazonaws.com' } as const;

const NO_VALUE = Symbol('AWS::NoValue');

type Resources = Record<string, { Type: string; Properties?: any }>;

/** A synthesized template (`Template.toJSON()`), read as IAM would see it after deployment. */
export class DeployedTemplate {
  private readonly resources: Resources;

  constructor(template: { Resources?: Resources }, private readonly env: { account: string; region: string; partition: string } = FAKE) {
    this.resources = template.Resources ?? {};
  }

  /** Every statement of the role's identity policies, resolved. */
  public statementsOf(roleLogicalId: string): PolicyStatement[] {
    const role = this.resources[roleLogicalId];
    if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleLogicalId} is not an AWS::IAM::Role of the template`);
    if ((role.Properties?.ManagedPolicyArns ?? []).length > 0) {
      throw new Error(`${roleLogicalId} has AWS managed policies, which cannot be read offline`);
    }
    const documents: unknown[] = (role.Properties?.Policies ?? []).map((p: { PolicyDocument: unknown }) => p.PolicyDocument);
    for (const resource of Object.values(this.resources)) {
      if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
      const roles: unknown[] = resource.Properties?.Roles ?? [];
      if (roles.some((r) => (r as { Ref?: string })?.Ref === roleLogicalId)) documents.push(resource.Properties.PolicyDocument);
    }
    return documents.flatMap((d) => {
      const resolved = this.resolve(d) as { Statement: PolicyStatement | PolicyStatement[] };
      return [resolved.Statement].flat();
    });
  }

  /** The value CloudFormation would give: Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split. */
  public resolve(value: unknown): unknown {
    // `Ref: AWS::NoValue` removes the list item or the property it stands for.
    if (Array.isArray(value)) return value.map((v) => this.resolve(v)).filter((v) => v !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) {
      return this.intrinsic(entries[0][0], entries[0][1]);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v)]).filter(([, v]) => v !== NO_VALUE));
  }

  private intrinsic(name: string, args: unknown): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(args as string);
      case 'Fn::GetAtt': {
        const [id, attribute] = typeof args === 'string' ? args.split('.') : (args as [string, string]);
        return this.getAtt(id, attribute);
      }
      case 'Fn::Join': {
        const [delimiter, parts] = args as [string, unknown[]];
        return (this.resolve(parts) as unknown[]).map((p) => text(p)).join(delimiter);
      }
      case 'Fn::Select': {
        const [index, list] = args as [number | string, unknown];
        const items = this.resolve(list) as unknown[];
        return items[Number(index)];
      }
      case 'Fn::Split': {
        const [delimiter, source] = args as [string, unknown];
        return text(this.resolve(source)).split(delimiter);
      }
      case 'Fn::Sub': {
        const [template, variables] = typeof args === 'string' ? [args, {}] : (args as [string, Record<string, unknown>]);
        return template.replace(/\$\{([^}!][^}]*)\}/g, (_, key: string) => {
          if (key in variables) return text(this.resolve(variables[key]));
          const [id, attribute] = key.split('.');
          return text(attribute ? this.getAtt(id, attribute) : this.ref(id));
        });
      }
      default:
        throw new Error(`intrinsic ${name} is not modelled`);
    }
  }

  private ref(id: string): string | typeof NO_VALUE {
    switch (id) {
      case 'AWS::NoValue': return NO_VALUE;
      case 'AWS::Partition': return this.env.partition;
      case 'AWS::AccountId': return this.env.account;
      case 'AWS::Region': return this.env.region;
      case 'AWS::URLSuffix': return FAKE.urlSuffix;
      case 'AWS::StackName': return 'TestStack';
    }
    const resource = this.resources[id];
    if (!resource) throw new Error(`Ref to ${id}, which is not a resource of the template (a parameter?)`);
    switch (resource.Type) {
      // Services whose Ref is the ARN.
      case 'AWS::StepFunctions::StateMachine':
      case 'AWS::SNS::Topic':
      case 'AWS::IAM::ManagedPolicy':
        return this.getAtt(id, 'Arn');
      // Services whose Ref is the name (or id) we give the resource: its logical id.
      default:
        return this.nameOf(id);
    }
  }

  /** The physical name of a resource: its name property when the template gives one, else its logical id. */
  private nameOf(id: string): string {
    const p = this.resources[id].Properties ?? {};
    const given = p.RoleName ?? p.FunctionName ?? p.StateMachineName ?? p.TableName ?? p.BucketName ?? p.LogGroupName ?? p.Name ?? p.TopicName;
    return given !== undefined ? text(this.resolve(given)) : id;
  }

  private getAtt(id: string, attribute: string): string {
    const resource = this.resources[id];
    if (!resource) throw new Error(`Fn::GetAtt of ${id}, which is not a resource of the template`);
    const { partition, region, account } = this.env;
    const name = this.nameOf(id);
    if (attribute === 'Name') return name;
    if (attribute !== 'Arn') throw new Error(`Fn::GetAtt ${id}.${attribute} is not modelled`);
    switch (resource.Type) {
      case 'AWS::IAM::Role': return `arn:${partition}:iam::${account}:role/${name}`;
      case 'AWS::IAM::User': return `arn:${partition}:iam::${account}:user/${name}`;
      case 'AWS::IAM::ManagedPolicy': return `arn:${partition}:iam::${account}:policy/${name}`;
      case 'AWS::Lambda::Function': return `arn:${partition}:lambda:${region}:${account}:function:${name}`;
      case 'AWS::StepFunctions::StateMachine': return `arn:${partition}:states:${region}:${account}:stateMachine:${name}`;
      case 'AWS::DynamoDB::Table': return `arn:${partition}:dynamodb:${region}:${account}:table/${name}`;
      case 'AWS::S3::Bucket': return `arn:${partition}:s3:::${name.toLowerCase()}`;
      case 'AWS::KMS::Key': return `arn:${partition}:kms:${region}:${account}:key/${name}`;
      case 'AWS::Logs::LogGroup': return `arn:${partition}:logs:${region}:${account}:log-group:${name}:*`;
      case 'AWS::SNS::Topic': return `arn:${partition}:sns:${region}:${account}:${name}`;
      case 'AWS::Events::Rule': return `arn:${partition}:events:${region}:${account}:rule/${name}`;
      default: throw new Error(`Fn::GetAtt ${id}.Arn of a ${resource.Type} is not modelled`);
    }
  }

  /** The ARN IAM names a resource of the template by (its Fn::GetAtt Arn). */
  public arnOf(id: string): string {
    return this.getAtt(id, 'Arn');
  }
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new Error(`expected text after resolving, got ${JSON.stringify(value)}`);
}
