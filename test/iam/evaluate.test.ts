/**
 * The test evaluator against the IAM User Guide's policy logic; each test names the page it follows:
 * "Policy evaluation logic" (reference_policies_evaluation-logic), "IAM JSON policy elements: Action / NotAction /
 * Resource / NotResource / Condition operators" (reference_policies_elements_*), "Creating a condition with
 * multiple context keys or values" (reference_policies_condition-logic-multiple-context-keys-or-values) and
 * "Single-valued vs. multivalued context keys" (reference_policies_condition-single-vs-multivalued-context-keys).
 */
import { arnMatches, evaluate } from './evaluate';
import type { AccessRequest, PolicyStatement } from './evaluate';
import { DeployedTemplate } from './template-policies';

const STACK = 'arn:aws:cloudformation:eu-west-1:111111111111:stack/app/0f1e2d3c';
const request = (more: Partial<AccessRequest> = {}): AccessRequest => ({ action: 'cloudformation:ExecuteChangeSet', resource: STACK, ...more });
const allow = (more: Partial<PolicyStatement> = {}): PolicyStatement => ({ Effect: 'Allow', Action: 'cloudformation:ExecuteChangeSet', Resource: STACK, ...more });
const decision = (statements: PolicyStatement[], r: AccessRequest = request()) => evaluate(statements, r).decision;

describe('policy evaluation logic', () => {
  test('GIVEN no statement that applies THEN the request is implicitly denied', () => {
    expect(decision([])).toBe('ImplicitDeny');
    expect(decision([allow({ Action: 'cloudformation:DeleteChangeSet' })])).toBe('ImplicitDeny');
  });

  test('GIVEN an allow and an explicit deny that both apply THEN the deny wins', () => {
    expect(decision([allow(), { ...allow(), Effect: 'Deny' }])).toBe('ExplicitDeny');
    expect(decision([allow()])).toBe('Allow');
  });

  test('GIVEN an Effect other than Allow or Deny THEN it fails rather than guess', () => {
    expect(() => decision([{ ...allow(), Effect: 'allow' }])).toThrow(/Allow or Deny/);
  });
});

describe('Action and NotAction', () => {
  test('action names are case insensitive and take * and ? wildcards', () => {
    expect(decision([allow({ Action: 'CloudFormation:executechangeset' })])).toBe('Allow');
    expect(decision([allow({ Action: 'cloudformation:*ChangeSet' })])).toBe('Allow');
    expect(decision([allow({ Action: 'cloudformation:?xecuteChangeSet' })])).toBe('Allow');
    expect(decision([allow({ Action: 'cloudformation:?ChangeSet' })])).toBe('ImplicitDeny');
    expect(decision([allow({ Action: '*' })])).toBe('Allow');
  });

  test('NotAction applies to every action except those listed', () => {
    expect(decision([allow({ Action: undefined, NotAction: 'cloudformation:DeleteStack' })])).toBe('Allow');
    expect(decision([allow({ Action: undefined, NotAction: 'cloudformation:*' })])).toBe('ImplicitDeny');
  });
});

describe('Resource and NotResource', () => {
  test('ARNs match by segment with * and ?, case sensitive; * alone is every resource', () => {
    expect(arnMatches('arn:aws:cloudformation:eu-west-1:111111111111:stack/app/*', STACK)).toBe(true);
    expect(arnMatches('arn:aws:cloudformation:eu-west-1:111111111111:stack/App/*', STACK)).toBe(false);
    expect(arnMatches('arn:aws:cloudformation:eu-west-1:111111111111:stack/ap?/*', STACK)).toBe(true);
    expect(arnMatches('arn:aws:cloudformation:*:111111111111:stack/app/*', STACK)).toBe(true);
    expect(arnMatches('arn:aws:cloudformation:eu-west-1:111111111111:stack/app-*/*', STACK)).toBe(false);
    expect(arnMatches('arn:aws:cloudformation:eu-west-1:222222222222:stack/app/*', STACK)).toBe(false);
    expect(arnMatches('*', STACK)).toBe(true);
  });

  test('a * in the resource part spans slashes and colons (the last ARN segment)', () => {
    expect(arnMatches('arn:aws:states:eu-west-1:111111111111:execution:Machine:*', 'arn:aws:states:eu-west-1:111111111111:execution:Machine:cp-1')).toBe(true);
    expect(arnMatches('arn:aws:lambda:eu-west-1:111111111111:function:Task*', 'arn:aws:lambda:eu-west-1:111111111111:function:Task:live')).toBe(true);
    expect(arnMatches('arn:aws:lambda:eu-west-1:111111111111:function:Task', 'arn:aws:lambda:eu-west-1:111111111111:function:Task:live')).toBe(false);
  });

  test('NotResource applies to every resource except those listed', () => {
    expect(decision([allow({ Resource: undefined, NotResource: 'arn:aws:cloudformation:*:*:stack/other/*' })])).toBe('Allow');
    expect(decision([allow({ Resource: undefined, NotResource: 'arn:aws:cloudformation:*:*:stack/app/*' })])).toBe('ImplicitDeny');
  });

  test('a statement with both or neither of Resource and NotResource fails', () => {
    expect(() => decision([allow({ NotResource: '*' })])).toThrow(/exactly one of Resource and NotResource/);
  });
});

describe('Condition', () => {
  const name = (value: string | undefined) => request({ context: { 'cloudformation:ChangeSetName': value } });

  test('StringEquals is case sensitive; key names are not', () => {
    const s = allow({ Condition: { StringEquals: { 'CloudFormation:changesetname': 'sfn-deploy-1' } } });
    expect(decision([s], name('sfn-deploy-1'))).toBe('Allow');
    expect(decision([s], name('SFN-deploy-1'))).toBe('ImplicitDeny');
    expect(decision([allow({ Condition: { StringEqualsIgnoreCase: { 'cloudformation:ChangeSetName': 'SFN-DEPLOY-1' } } })], name('sfn-deploy-1'))).toBe('Allow');
  });

  test('a missing key makes a condition false (StringEquals, StringLike, ArnEquals, Bool)', () => {
    for (const operator of ['StringEquals', 'StringLike', 'ArnEquals', 'ArnLike', 'Bool']) {
      expect(decision([allow({ Condition: { [operator]: { 'cloudformation:ChangeSetName': '*' } } })], name(undefined))).toBe('ImplicitDeny');
    }
  });

  test('several values of one key: any may match; several keys and operators: all must hold', () => {
    const s = allow({
      Condition: {
        StringLike: { 'cloudformation:ChangeSetName': ['sfn-deploy-*', 'arn:aws:cloudformation:*:*:changeSet/sfn-deploy-*/*'] },
        ArnEquals: { 'cloudformation:RoleArn': 'arn:aws:iam::111111111111:role/deployer' },
      },
    });
    const ctx = (changeSet: string, role: string | undefined) => request({ context: { 'cloudformation:ChangeSetName': changeSet, 'cloudformation:RoleArn': role } });
    expect(decision([s], ctx('sfn-deploy-1', 'arn:aws:iam::111111111111:role/deployer'))).toBe('Allow');
    expect(decision([s], ctx('arn:aws:cloudformation:eu-west-1:111111111111:changeSet/sfn-deploy-1/abc', 'arn:aws:iam::111111111111:role/deployer'))).toBe('Allow');
    expect(decision([s], ctx('PipelineChange', 'arn:aws:iam::111111111111:role/deployer'))).toBe('ImplicitDeny');
    expect(decision([s], ctx('sfn-deploy-1', 'arn:aws:iam::111111111111:role/other'))).toBe('ImplicitDeny');
    expect(decision([s], ctx('sfn-deploy-1', undefined))).toBe('ImplicitDeny');
  });

  test('negated operators hold when no value matches, and when the key is missing', () => {
    const s = allow({ Condition: { StringNotLike: { 'cloudformation:ChangeSetName': 'Pipeline*' } } });
    expect(decision([s], name('sfn-deploy-1'))).toBe('Allow');
    expect(decision([s], name('PipelineChange'))).toBe('ImplicitDeny');
    expect(decision([s], name(undefined))).toBe('Allow');
    expect(decision([allow({ Condition: { ArnNotEquals: { 'cloudformation:RoleArn': 'arn:aws:iam::*:role/x' } } })],
      request({ context: { 'cloudformation:RoleArn': 'arn:aws:iam::111111111111:role/x' } }))).toBe('ImplicitDeny');
  });

  test('...IfExists holds when the key is missing, and is the base operator when it is there', () => {
    const s = allow({ Condition: { StringLikeIfExists: { 'cloudformation:ChangeSetName': 'sfn-deploy-*' } } });
    expect(decision([s], name(undefined))).toBe('Allow');
    expect(decision([s], name('sfn-deploy-1'))).toBe('Allow');
    expect(decision([s], name('PipelineChange'))).toBe('ImplicitDeny');
  });

  test('Null "true" holds when the key is missing, "false" when it is there', () => {
    expect(decision([allow({ Condition: { Null: { 'cloudformation:RoleArn': 'true' } } })], request())).toBe('Allow');
    expect(decision([allow({ Condition: { Null: { 'cloudformation:RoleArn': 'false' } } })], request())).toBe('ImplicitDeny');
    expect(decision([allow({ Condition: { Null: { 'cloudformation:RoleArn': 'false' } } })],
      request({ context: { 'cloudformation:RoleArn': 'arn:aws:iam::111111111111:role/x' } }))).toBe('Allow');
  });

  test('Bool compares true and false', () => {
    const s = allow({ Condition: { Bool: { 'aws:SecureTransport': 'true' } } });
    expect(decision([s], request({ context: { 'aws:SecureTransport': true } }))).toBe('Allow');
    expect(decision([s], request({ context: { 'aws:SecureTransport': false } }))).toBe('ImplicitDeny');
  });

  test('ForAllValues holds when every request value matches (and for none); ForAnyValue when one does', () => {
    const all = allow({ Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team', 'env'] } } });
    const any = allow({ Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['team'] } } });
    const tags = (keys: string[] | undefined) => request({ context: { 'aws:TagKeys': keys } });
    expect(decision([all], tags(['team']))).toBe('Allow');
    expect(decision([all], tags(['team', 'cost']))).toBe('ImplicitDeny');
    expect(decision([all], tags(undefined))).toBe('Allow');
    expect(decision([any], tags(['cost', 'team']))).toBe('Allow');
    expect(decision([any], tags(undefined))).toBe('ImplicitDeny');
  });

  test('an operator it does not model, a policy variable, or a list for a single-valued operator fails the test', () => {
    expect(() => decision([allow({ Condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-01' } } })])).toThrow(/not modelled/);
    expect(() => decision([allow({ Resource: 'arn:aws:s3:::b/${aws:username}/*' })], request({ resource: 'arn:aws:s3:::b/x/y' }))).toThrow(/policy variables/);
    expect(() => decision([allow({ Condition: { StringEquals: { 'aws:TagKeys': 'a' } } })], request({ context: { 'aws:TagKeys': ['a'] } })))
      .toThrow(/ForAllValues or ForAnyValue/);
  });
});

describe('a template\'s identity policies, resolved', () => {
  const template = {
    Resources: {
      Role: { Type: 'AWS::IAM::Role', Properties: { Policies: [{ PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }] } }] } },
      Deployer: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'deployer' } },
      Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
      Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: {} },
      Policy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          Roles: [{ Ref: 'Role' }],
          PolicyDocument: {
            Statement: [
              { Effect: 'Allow', Action: 'iam:PassRole', Resource: { 'Fn::GetAtt': ['Deployer', 'Arn'] } },
              { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [{ 'Fn::GetAtt': ['Fn', 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Fn', 'Arn'] }, ':*']] }] },
              { Effect: 'Allow', Action: 'states:GetExecutionHistory', Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${Machine.Name}:*' } },
              { Effect: 'Allow', Action: 'states:DescribeExecution', Resource: { 'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }, 'states', 'eu-west-1', '111111111111', 'execution', { 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: 'Machine' }] }] }, '*']] } },
            ],
          },
        },
      },
      Unrelated: { Type: 'AWS::IAM::Policy', Properties: { Roles: [{ Ref: 'Deployer' }], PolicyDocument: { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } } },
    },
  };
  const deployed = new DeployedTemplate(template);

  test('Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select and Fn::Split read as concrete ARNs; only the role\'s own policies count', () => {
    expect(deployed.statementsOf('Role').map((s) => s.Resource)).toEqual([
      '*',
      'arn:aws:iam::111111111111:role/deployer',
      ['arn:aws:lambda:eu-west-1:111111111111:function:Fn', 'arn:aws:lambda:eu-west-1:111111111111:function:Fn:*'],
      'arn:aws:states:eu-west-1:111111111111:execution:Machine:*',
      'arn:aws:states:eu-west-1:111111111111:execution:Machine:*',
    ]);
  });

  test('Ref AWS::NoValue removes the list item it stands for', () => {
    expect(deployed.resolve(['a', { Ref: 'AWS::NoValue' }, { 'Fn::GetAtt': ['Fn', 'Arn'] }]))
      .toEqual(['a', 'arn:aws:lambda:eu-west-1:111111111111:function:Fn']);
  });

  test('an AWS managed policy cannot be read offline: it fails', () => {
    const withManaged = new DeployedTemplate({ Resources: { R: { Type: 'AWS::IAM::Role', Properties: { ManagedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] } } } });
    expect(() => withManaged.statementsOf('R')).toThrow(/cannot be read offline/);
  });

  test('an intrinsic it does not model fails', () => {
    expect(() => deployed.resolve({ 'Fn::ImportValue': 'x' })).toThrow(/not modelled/);
  });
});
