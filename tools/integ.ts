/**
 * The integration tests of test/integ/ (integ.*.ts, each an app with an IntegTest), run by integ-runner:
 *
 *   npx projen integ:snapshot   synthesize each app and compare it with its committed snapshot (integ.*.ts.snapshot/):
 *                               no AWS account and no credentials (this script takes them away); writes the
 *                               JUnit report test-reports/integ-snapshot.xml, one test case per app
 *   npx projen integ:update     rewrite the snapshots from the apps, without deploying (after a change to the
 *                               construct or the handlers: the snapshots hold the handler bundles' hashes)
 *   npx projen integ:deploy     deploy each app to the account and region of your AWS credentials (AWS_REGION,
 *                               default us-east-1), run its assertions on AWS, destroy it, and rewrite its snapshot
 *
 * Exits 1 when a test fails, or when integ-runner reports no result for one of the apps.
 * integ-runner compares the test stacks of a snapshot, not its assertion stack (whose custom resources carry a salt,
 * the time of synthesis, so that they run on every deployment): integ:update rewrites both, the salts included.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
const DIRECTORY = path.join('test', 'integ');
const REPORT = path.join(ROOT, 'test-reports', 'integ-snapshot.xml');

type Mode = 'snapshot' | 'update' | 'deploy';
const MODES: Record<Mode, string[]> = {
  snapshot: [],
  update: ['--dry-run', '--force'],
  deploy: ['--force', '--update-on-failed', '--parallel-regions', process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1', '--verbose'],
};

/** What integ-runner prints for one app: `  UNCHANGED  integ.deploy-action 40.5s`. */
const RESULT_LINE = /^\s+(UNCHANGED|CHANGED|NEW|SUCCESS|FAILED|ERROR)\s+(integ\.[^\s]+?)(?:-[A-Za-z0-9]+\/\S+)?\s+[\d.]+s\s*$/;
const PASSED = new Set(['UNCHANGED', 'SUCCESS']);

/** The environment without AWS credentials: a snapshot check must not need them (nor find any to use). */
function withoutCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const rest = { ...env };
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE',
    'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ROLE_ARN', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI']) {
    delete rest[name];
  }
  const none = path.join(ROOT, 'test', 'integ', '.no-aws-config');
  return { ...rest, AWS_CONFIG_FILE: none, AWS_SHARED_CREDENTIALS_FILE: none, AWS_EC2_METADATA_DISABLED: 'true' };
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A JUnit report with one test case per app, for CI's totals (.ci/totals.js). */
function writeReport(apps: string[], results: Map<string, string>, output: string): void {
  const cases = apps.map((app) => {
    const status = results.get(app);
    const failure = status === undefined ? `integ-runner reported no result for ${app}`
      : PASSED.has(status) ? undefined : `${status}: the snapshot differs from what the app synthesizes (see the output)`;
    return `  <testcase classname="integ-runner" name="${escape(app)}">` +
      (failure ? `<failure message="${escape(failure)}">${escape(output.slice(-20_000))}</failure>` : '') + '</testcase>';
  });
  const failures = cases.filter((c) => c.includes('<failure')).length;
  fs.mkdirSync(path.dirname(REPORT), { recursive: true });
  fs.writeFileSync(REPORT, '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n' +
    `<testsuite name="integ-runner snapshots" tests="${apps.length}" failures="${failures}" errors="0" skipped="0">\n` +
    `${cases.join('\n')}\n</testsuite>\n</testsuites>\n`);
}

async function main(): Promise<number> {
  const mode = process.argv[2] as Mode;
  if (!(mode in MODES)) {
    console.error(`usage: ts-node tools/integ.ts ${Object.keys(MODES).join('|')}`);
    return 2;
  }
  const apps = fs.readdirSync(path.join(ROOT, DIRECTORY)).filter((f) => /^integ\..*\.ts$/.test(f)).map((f) => f.replace(/\.ts$/, '')).sort();
  const args = [
    '--directory', DIRECTORY, '--language', 'typescript',
    // The apps are type-checked with the rest of the tests (npx projen typecheck): here they are only run.
    '--app', 'node -r ts-node/register/transpile-only {filePath}',
    ...MODES[mode],
  ];
  console.log(`integ-runner ${args.join(' ')}`);
  const env = mode === 'deploy' ? process.env : withoutCredentials(process.env);
  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'integ-runner'), args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const echo = (to: NodeJS.WriteStream) => (chunk: Buffer) => {
    output += chunk.toString();
    to.write(chunk);
  };
  child.stdout.on('data', echo(process.stdout));
  child.stderr.on('data', echo(process.stderr));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));

  // eslint-disable-next-line no-control-regex
  const lines = output.replace(/\u001b\[[0-9;]*m/g, '').split('\n');
  const results = new Map<string, string>();
  for (const line of lines) {
    const match = RESULT_LINE.exec(line);
    // The last word on an app wins: a snapshot that failed and was then deployed is the deployment's result.
    if (match) results.set(match[2], match[1]);
  }
  if (mode === 'snapshot') writeReport(apps, results, output);
  const failed = apps.filter((app) => !PASSED.has(results.get(app) ?? ''));
  if (failed.length > 0) {
    console.error(`\nintegration tests not passed: ${failed.map((app) => `${app} (${results.get(app) ?? 'no result'})`).join(', ')}`);
    if (mode === 'snapshot') console.error('After a change to the construct or the handlers, rewrite the snapshots with npx projen integ:update and commit them.');
    return 1;
  }
  // Rewriting snapshots that were never deployed: integ-runner's refusal of "destructive changes" (a replaced
  // resource between two snapshots) guards deployed stacks, which these are not.
  return mode === 'update' ? 0 : code;
}

main().then((code) => process.exit(code), (error) => {
  console.error(error);
  process.exit(1);
});
