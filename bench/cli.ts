/**
 * `npx projen bench:cli`: how long `cdk-sfn-deploy check` takes on one change set, as npm runs it (node on the bundled
 * command line, assets/cli/cdk-sfn-deploy.js) and as pip installs it (the wheel's script, tools/python-cli-launcher.py,
 * in test/apps/python/.venv: `APPS_ONLY=python bash test/apps/run.sh` sets it up). Prints a Markdown table; a
 * measurement, not a test: the times depend on the machine and on what else runs on it.
 *
 *   npx projen bench:cli [-- --runs N] [-- --kernel]
 *
 * --kernel adds one run the way jsii-pacmak's own script runs a bin (the package and its dependencies' assemblies
 * loaded into the jsii kernel first), the way the wheel ran the command before its script was replaced.
 * CDK_SFN_DEPLOY_PYTHON names another pip-installed cdk-sfn-deploy.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { median } from './stats';

const ROOT = path.resolve(__dirname, '..');
const NODE_CLI = path.join(ROOT, 'assets', 'cli', 'cdk-sfn-deploy.js');
const PYTHON_CLI = process.env.CDK_SFN_DEPLOY_PYTHON ?? path.join(ROOT, 'test', 'apps', 'python', '.venv', 'bin', 'cdk-sfn-deploy');

/** The two pages of test/cli/cli.test.ts: an addition and an in-place change, then a removal and a replacement. */
function changeSetFiles(): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cli-'));
  const change = (Action: string, LogicalResourceId: string, ResourceType: string, extra: Record<string, string> = {}) =>
    ({ Type: 'Resource', ResourceChange: { Action, LogicalResourceId, ResourceType, ...extra } });
  const page = { ChangeSetName: 'cs', ChangeSetId: 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/cs/1a2b', StackName: 'app', Status: 'CREATE_COMPLETE' };
  const pages = [
    { ...page, NextToken: 'next', Changes: [change('Add', 'Queue', 'AWS::SQS::Queue'), change('Modify', 'Fn', 'AWS::Lambda::Function', { Replacement: 'False' })] },
    { ...page, RequestNextToken: 'next', Changes: [change('Remove', 'Topic', 'AWS::SNS::Topic'), change('Modify', 'Version', 'AWS::Lambda::Version', { Replacement: 'True' })] },
  ];
  return pages.map((p, i) => {
    const file = path.join(dir, `page${i + 1}.json`);
    fs.writeFileSync(file, JSON.stringify(p));
    return file;
  });
}

interface Run {
  readonly ms: number;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The user's environment: without the JSII_SILENCE_* settings that projen's tasks add. */
const USER_ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('JSII_SILENCE_')));

function timed(command: string, args: string[]): Run {
  const started = process.hrtime.bigint();
  const child = spawnSync(command, args, { encoding: 'utf8', timeout: 300_000, env: USER_ENV });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (child.error) throw new Error(`${command} did not run: ${child.error.message}`);
  return { ms, status: child.status, stdout: child.stdout, stderr: child.stderr };
}

/** jsii-pacmak's script for a bin, as the wheel had it before tools/python-cli.py replaced it. */
const KERNEL_SCRIPT = `
import os, sys, jsii
os.environ.setdefault("JSII_RUNTIME_PACKAGE_CACHE", "disabled")
assembly = jsii.JSIIAssembly.load("cdk-stepfunctions-deploy-action", sys.argv[1], "cdk_stepfunctions_deploy_action",
                                  "cdk-stepfunctions-deploy-action@" + sys.argv[1] + ".jsii.tgz")
sys.exit(assembly.invokeBinScript("cdk-stepfunctions-deploy-action", "cdk-sfn-deploy", sys.argv[2:]))
`;

function main(): void {
  const argv = process.argv.slice(2);
  const runsAt = argv.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : 10;
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a whole number of runs, 1 or more');
  if (!fs.existsSync(NODE_CLI)) throw new Error(`${NODE_CLI} is missing: bundle the command line first (npx projen bundle:cli)`);
  if (!fs.existsSync(PYTHON_CLI)) {
    throw new Error(`${PYTHON_CLI} is missing: install the wheel first (APPS_ONLY=python bash test/apps/run.sh), ` +
      'or name a pip-installed cdk-sfn-deploy in CDK_SFN_DEPLOY_PYTHON');
  }
  const files = changeSetFiles();
  const args = ['check', ...files];
  const commands: Array<[string, string, string[]]> = [
    ['Node.js (npm\'s bin: node assets/cli/cdk-sfn-deploy.js)', process.execPath, [NODE_CLI, ...args]],
    ['Python (pip\'s cdk-sfn-deploy)', PYTHON_CLI, args],
  ];
  const times = commands.map(() => [] as number[]);
  const answers = new Set<string>();
  // Interleaved, so that noise from other work on the machine falls on both alike.
  for (let i = 0; i < runs; i++) {
    commands.forEach(([, command, commandArgs], c) => {
      const run = timed(command, commandArgs);
      times[c].push(run.ms);
      answers.add(JSON.stringify([run.status, run.stdout, run.stderr]));
    });
  }
  if (answers.size !== 1) throw new Error(`the commands answered differently: ${[...answers].join('\n')}`);
  const rows = commands.map(([name], c) => [name, runs, median(times[c]), Math.min(...times[c]), Math.max(...times[c])]);
  if (argv.includes('--kernel')) {
    const python = path.join(path.dirname(PYTHON_CLI), 'python');
    const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
    const run = timed(python, ['-c', KERNEL_SCRIPT, version, ...args]);
    const banner = run.stderr.split('\n').filter((l) => l.startsWith('b\'')).length;
    rows.push([`Python through the jsii kernel (jsii-pacmak's script; ${banner} banner lines on stderr)`, 1, run.ms, run.ms, run.ms]);
  }
  const [status] = JSON.parse([...answers][0]);
  const cpus = os.cpus();
  console.log(`cdk-sfn-deploy check on a two-page change set (exit ${status} on every run): Node.js ${process.version}, ` +
    `${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), load average ${os.loadavg()[0].toFixed(1)}`);
  console.log('');
  console.log('| Command | Runs | Median (ms) | Fastest (ms) | Slowest (ms) |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [name, n, med, min, max] of rows) {
    console.log(`| ${name} | ${n} | ${Math.round(med as number)} | ${Math.round(min as number)} | ${Math.round(max as number)} |`);
  }
}

main();
