/**
 * cfn-lint on the synthesized templates, the pinned cfn-lint of .venv-tools/ (`npx projen python-tools`,
 * which the test task runs first); without it this test fails rather than skips.
 * Only errors (E*) fail the test; warnings are printed. No check is ignored.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CfnCapabilities, Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { basicProps, newPipeline, newStack, REGION, SAMPLE_ROLE_ARN, singleAction } from './helpers';
import { DeployStateMachine, RuleVerdict, SafetyPolicy, StepFunctionsDeployAction } from '../../src';
import { pythonTool } from '../../tools/python-tools';

interface LintMatch {
  readonly Level: string;
  readonly Message: string;
  readonly Filename: string;
  readonly Rule: { readonly Id: string };
  readonly Location: { readonly Path?: unknown[] };
}

function lint(templates: Record<string, unknown>): { matches: LintMatch[]; status: number | null } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfn-deploy-cfn-lint-'));
  try {
    const files = Object.entries(templates).map(([name, template]) => {
      const file = path.join(dir, `${name}.template.json`);
      fs.writeFileSync(file, JSON.stringify(template, undefined, 1));
      return file;
    });
    const run = spawnSync(pythonTool('cfn-lint'), ['--format', 'json', '--non-zero-exit-code', 'error', '--regions', REGION, '--', ...files], {
      encoding: 'utf-8', timeout: 120_000,
    });
    if (run.error && (run.error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`cannot run ${pythonTool('cfn-lint')}: \`npx projen python-tools\` installs it`);
    }
    if (run.error) throw run.error;
    let matches: LintMatch[];
    try {
      matches = JSON.parse(run.stdout || '[]');
    } catch {
      throw new Error(`cfn-lint printed no JSON (exit ${run.status}): ${run.stdout}\n${run.stderr}`);
    }
    return { matches, status: run.status };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function describeMatch(m: LintMatch): string {
  return `${m.Rule.Id} ${path.basename(m.Filename)} ${JSON.stringify(m.Location.Path ?? [])}: ${m.Message}`;
}

/** A stack that uses most of the props: two pipelines, an input file, imported and admin roles, custom rules. */
function fullStack() {
  const stack = newStack('Full');
  const first = newPipeline(stack, 'First');
  const second = newPipeline(stack, 'Second');
  const configBucket = new s3.Bucket(stack, 'ConfigBucket');
  const isolated = new DeployStateMachine(stack, 'Isolated', { stateMachineName: 'isolated-deployer', executionTimeout: Duration.hours(4) });
  first.pipeline.addStage({
    stageName: 'Deploy',
    actions: [
      new StepFunctionsDeployAction(stack, 'Web', basicProps(first.source, {
        actionName: 'Web',
        stackName: 'web',
        environmentName: 'prod',
        adminPermissions: true,
        variablesNamespace: 'Web',
        cfnCapabilities: [CfnCapabilities.NAMED_IAM],
        parameterOverrides: { Size: 'large' },
        tags: { team: 'web' },
        safetyPolicy: SafetyPolicy.fromRules([
          { verdict: RuleVerdict.ALLOW, resourceTypes: ['AWS::Lambda::Version'] },
        ], { defaultVerdict: RuleVerdict.DENY }),
      })),
      new StepFunctionsDeployAction(stack, 'Api', basicProps(first.source, {
        actionName: 'Api',
        stackName: 'api',
        environmentName: 'prod',
        runOrder: 2,
        templateConfiguration: first.source.atPath('infra/prod.json'),
        inputFileBucket: configBucket,
        inputFileKey: 'deploy/api.json',
        pollInterval: Duration.seconds(15),
        timeout: Duration.hours(3),
      })),
    ],
  });
  second.pipeline.addStage({
    stageName: 'Deploy',
    actions: [
      new StepFunctionsDeployAction(stack, 'Jobs', basicProps(second.source, {
        actionName: 'Jobs',
        stackName: 'jobs',
        deploymentRole: iam.Role.fromRoleArn(stack, 'JobsRole', SAMPLE_ROLE_ARN),
        safetyPolicy: SafetyPolicy.allowAll(),
      })),
      new StepFunctionsDeployAction(stack, 'Batch', basicProps(second.source, { actionName: 'Batch', stackName: 'batch', deployStateMachine: isolated })),
    ],
  });
  return stack;
}

describe('cfn-lint', () => {
  test('finds no error in the synthesized templates', () => {
    const minimal = singleAction().template().toJSON();
    const full = Template.fromStack(fullStack()).toJSON();

    const { matches, status } = lint({ minimal, full });

    const errors = matches.filter((m) => m.Level === 'Error' || m.Rule.Id.startsWith('E'));
    const warnings = matches.filter((m) => !errors.includes(m));
    // Warnings do not fail the build; today they are all W3005, on the DependsOn that aws-cdk-lib itself adds.
    const byRule: Record<string, number> = {};
    for (const w of warnings) byRule[w.Rule.Id] = (byRule[w.Rule.Id] ?? 0) + 1;
    if (warnings.length > 0) process.stdout.write(`cfn-lint: ${warnings.length} warnings ignored ${JSON.stringify(byRule)}\n`);
    expect(errors.map(describeMatch)).toEqual([]);
    expect(status).toBe(0);
  });

  test('would report an error (the linter really runs and reads our file)', () => {
    const broken = singleAction().template().toJSON();
    const [fnId] = Object.entries(broken.Resources as Record<string, any>).find(([, r]) => r.Type === 'AWS::Lambda::Function')!;
    broken.Resources[fnId].Properties.Runtime = 'nodejs0.x';

    const { matches, status } = lint({ broken });

    expect(matches.filter((m) => m.Level === 'Error').map((m) => m.Rule.Id)).not.toEqual([]);
    expect(status).not.toBe(0);
  });
});
