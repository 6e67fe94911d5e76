#!/usr/bin/env bash
# Package smoke test: the packed npm tarball, installed into a new CDK app, lets
# stage.addAction(new StepFunctionsDeployAction(...)) synthesize; three actions in one stack still give
# one state machine and the same two Lambda functions, whose bundled code ships in the package.
#
# Usage: test/package-smoke/run.sh [project-dir]
#   The project must be compiled and bundled first:  npx projen bundle && npx projen compile
#   KEEP_SMOKE_DIR=1 keeps the temporary directory for inspection.
set -euo pipefail

PROJECT_DIR="$(cd "${1:-$(dirname "${BASH_SOURCE[0]}")/../..}" && pwd)"
WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/sfn-deploy-smoke.XXXXXX")"
cleanup() {
  if [[ "${KEEP_SMOKE_DIR:-}" == "1" ]]; then
    echo "package smoke: kept $WORK_DIR"
  else
    rm -rf "$WORK_DIR"
  fi
}
trap cleanup EXIT

fail_setup() {
  echo "package smoke: setup failed: $*" >&2
  echo "package smoke: 0 passed, 1 failed" >&2
  exit 1
}

echo "package smoke: project $PROJECT_DIR, work dir $WORK_DIR"

# 1. The project must be built: jsii output in lib/ and the handler bundles in assets/.
[[ -f "$PROJECT_DIR/lib/index.js" ]] || fail_setup "lib/index.js is missing: run 'npx projen compile' first"
for bundle in assets/trigger/trigger.lambda/index.js assets/workflow/deploy-task.lambda/index.js; do
  [[ -f "$PROJECT_DIR/$bundle" ]] || fail_setup "$bundle is missing: run 'npx projen bundle' first"
done

# 2. Pack, as npm publish would.
mkdir -p "$WORK_DIR/pack"
TARBALL_NAME="$(cd "$PROJECT_DIR" && npm pack --silent --pack-destination "$WORK_DIR/pack" | tail -n 1)"
TARBALL="$WORK_DIR/pack/$TARBALL_NAME"
[[ -f "$TARBALL" ]] || fail_setup "npm pack did not produce $TARBALL"
tar -tzf "$TARBALL" | sort > "$WORK_DIR/pack/contents.txt"
echo "package smoke: packed $TARBALL_NAME ($(wc -l < "$WORK_DIR/pack/contents.txt") files, $(du -k "$TARBALL" | cut -f1) KiB)"

# 3. A new CDK app that depends on the tarball, and on aws-cdk-lib and constructs at the project's versions.
CDK_VERSION="$(node -p "require('$PROJECT_DIR/package.json').devDependencies['aws-cdk-lib']")"
CONSTRUCTS_VERSION="$(node -p "require('$PROJECT_DIR/package.json').devDependencies['constructs']")"
PACKAGE_NAME="$(node -p "require('$PROJECT_DIR/package.json').name")"
APP_DIR="$WORK_DIR/app"
mkdir -p "$APP_DIR"
cat > "$APP_DIR/package.json" <<EOF
{
  "name": "sfn-deploy-smoke-app",
  "version": "0.0.0",
  "private": true,
  "dependencies": {
    "$PACKAGE_NAME": "file:$TARBALL",
    "aws-cdk-lib": "$CDK_VERSION",
    "constructs": "$CONSTRUCTS_VERSION"
  }
}
EOF
echo "package smoke: installing $PACKAGE_NAME with aws-cdk-lib@$CDK_VERSION constructs@$CONSTRUCTS_VERSION"
(cd "$APP_DIR" && npm install --no-audit --no-fund --loglevel=error) || fail_setup "npm install failed"

cat > "$APP_DIR/app.js" <<'EOF'
// A plain JavaScript CDK app: one pipeline, three deploy actions (two stages), the issue's example.
const cdk = require('aws-cdk-lib');
const codepipeline = require('aws-cdk-lib/aws-codepipeline');
const cpactions = require('aws-cdk-lib/aws-codepipeline-actions');
const s3 = require('aws-cdk-lib/aws-s3');
const { StepFunctionsDeployAction, SafetyPolicy, RuleVerdict, ChangeAction } = require(process.env.PACKAGE_NAME);

const app = new cdk.App({ outdir: 'cdk.out' });
const stack = new cdk.Stack(app, 'SmokeStack', { env: { account: '111111111111', region: 'eu-west-1' } });
const bucket = new s3.Bucket(stack, 'SourceBucket', { versioned: true });
const sourceOutput = new codepipeline.Artifact('Source');
const pipeline = new codepipeline.Pipeline(stack, 'Pipeline', {
  stages: [{
    stageName: 'Source',
    actions: [new cpactions.S3SourceAction({ actionName: 'Source', bucket, bucketKey: 'source.zip', output: sourceOutput })],
  }],
});

const deploy = pipeline.addStage({ stageName: 'Deploy' });
deploy.addAction(new StepFunctionsDeployAction(stack, 'Deploy', {
  actionName: 'Deploy', stackName: 'app', templatePath: sourceOutput.atPath('infra/app.yaml'),
}));
deploy.addAction(new StepFunctionsDeployAction(stack, 'DeployApi', {
  actionName: 'DeployApi', stackName: 'api', environmentName: 'prod', templatePath: sourceOutput.atPath('infra/api.yaml'),
  safetyPolicy: SafetyPolicy.fromRules([
    { verdict: RuleVerdict.DENY, actions: [ChangeAction.REMOVE] },
  ], { defaultVerdict: RuleVerdict.ALLOW }),
}));
pipeline.addStage({ stageName: 'DeployMore' }).addAction(new StepFunctionsDeployAction(stack, 'DeployJobs', {
  actionName: 'DeployJobs', stackName: 'jobs', templatePath: sourceOutput.atPath('infra/jobs.yaml'), variablesNamespace: 'Jobs',
}));

app.synth();
EOF

cat > "$APP_DIR/check.js" <<'EOF'
// Checks the synthesized cloud assembly and the packed tarball; prints one line per check and a summary.
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const out = path.join(__dirname, 'cdk.out');
const results = [];
function check(name, fn) {
  try {
    const detail = fn();
    results.push(true);
    console.log(`ok   ${name}${detail ? ` (${detail})` : ''}`);
  } catch (e) {
    results.push(false);
    console.log(`FAIL ${name}: ${e.message}`);
  }
}
function assert(condition, message) {
  if (!condition) throw new Error(message);
}

const contents = fs.readFileSync(process.env.CONTENTS_FILE, 'utf-8').split('\n').filter(Boolean);
check('the tarball holds lib/index.js and both handler bundles in assets/', () => {
  for (const f of ['package/lib/index.js', 'package/lib/index.d.ts', 'package/.jsii',
    'package/assets/trigger/trigger.lambda/index.js', 'package/assets/workflow/deploy-task.lambda/index.js']) {
    assert(contents.includes(f), `${f} is not in the tarball`);
  }
});
check('the tarball holds only lib/, assets/, the bundled dependencies and the package files (no sources, tests, demos or CI files)', () => {
  const allowed = /^package\/(lib\/.*\.(js|d\.ts)|assets\/.*|package\.json|README\.md|LICENSE|API\.md|\.jsii|\.jsii\.tabl\.json)$/;
  const bundled = JSON.parse(process.env.BUNDLED_DEPS || '[]');
  const isBundled = (f) => bundled.some((name) => f.startsWith(`package/node_modules/${name}/`));
  for (const name of bundled) assert(contents.includes(`package/node_modules/${name}/package.json`), `bundled ${name} is not in the tarball`);
  const extra = contents.filter((f) => !allowed.test(f) && !isBundled(f));
  const dirs = [...new Set(extra.map((f) => f.split('/').slice(0, 2).join('/')))];
  assert(extra.length === 0, `${extra.length} unexpected files, under ${dirs.join(', ')}`);
});

const templateFile = path.join(out, 'SmokeStack.template.json');
let template = { Resources: {} };
check('app.synth() wrote the stack template', () => {
  template = JSON.parse(fs.readFileSync(templateFile, 'utf-8'));
});
const resources = Object.entries(template.Resources || {});
const ofType = (type) => resources.filter(([, r]) => r.Type === type);

check('exactly 1 AWS::StepFunctions::StateMachine', () => {
  const n = ofType('AWS::StepFunctions::StateMachine').length;
  assert(n === 1, `found ${n}`);
});
const functions = ofType('AWS::Lambda::Function');
check('exactly 4 AWS::Lambda::Function (trigger, task, stack events, approval)', () => {
  assert(functions.length === 4, `found ${functions.length}: ${functions.map(([id]) => id).join(', ')}`);
});
check('the functions run nodejs22.x with handler index.handler', () => {
  for (const [id, fn] of functions) {
    assert(fn.Properties.Runtime === 'nodejs22.x', `${id} runs ${fn.Properties.Runtime}`);
    assert(fn.Properties.Handler === 'index.handler', `${id} handler is ${fn.Properties.Handler}`);
  }
});

const pipelines = ofType('AWS::CodePipeline::Pipeline');
const invokes = pipelines.flatMap(([, p]) => p.Properties.Stages.flatMap((s) => s.Actions))
  .filter((a) => a.ActionTypeId.Category === 'Invoke' && a.ActionTypeId.Provider === 'Lambda');
check('three Lambda invoke actions, all on the same trigger function', () => {
  assert(invokes.length === 3, `found ${invokes.length}`);
  const targets = new Set(invokes.map((a) => JSON.stringify(a.Configuration.FunctionName)));
  assert(targets.size === 1, `they invoke ${[...targets].join(', ')}`);
  const target = JSON.parse([...targets][0]).Ref;
  assert(functions.some(([id]) => id === target), `the trigger ${target} is not one of the functions`);
  return invokes.map((a) => a.Name).join(', ');
});
check('UserParameters name each stack and template', () => {
  const text = invokes.map((a) => JSON.stringify(a.Configuration.UserParameters)).join('\n');
  for (const s of ['\\"stackName\\":\\"app\\"', '\\"stackName\\":\\"api\\"', '\\"environmentName\\":\\"prod\\"', '\\"templatePath\\":\\"infra/jobs.yaml\\"']) {
    assert(text.includes(s), `missing ${s}`);
  }
});

// The functions' code assets: cdk.out/<asset dir>/index.js, found through the assets manifest.
const manifest = JSON.parse(fs.readFileSync(path.join(out, 'SmokeStack.assets.json'), 'utf-8'));
check('each function\'s asset directory in cdk.out holds a syntactically valid index.js', () => {
  const found = [];
  for (const [id, fn] of functions) {
    const key = fn.Properties.Code && fn.Properties.Code.S3Key;
    assert(typeof key === 'string', `${id} has no S3Key`);
    const entry = Object.values(manifest.files).find((f) => Object.values(f.destinations).some((d) => d.objectKey === key));
    assert(entry, `${id}: no asset in the manifest for ${key}`);
    const file = path.join(out, entry.source.path, 'index.js');
    assert(fs.existsSync(file), `${file} is missing`);
    const code = fs.readFileSync(file, 'utf-8');
    assert(/\bhandler\b/.test(code), `${file} defines no handler`);
    execFileSync(process.execPath, ['--check', file], { stdio: 'pipe' });
    found.push(`${entry.source.path}/index.js ${Math.round(code.length / 1024)} KiB`);
  }
  return found.join(', ');
});
check('the four functions have different code (trigger, task, stack events, approval)', () => {
  const keys = new Set(functions.map(([, fn]) => fn.Properties.Code.S3Key));
  assert(keys.size === 4, `the functions point at ${keys.size} assets`);
});

check('the package\'s CLI (bin cdk-sfn-deploy) checks a change set: a Remove is denied, exit code 1', () => {
  const changeSet = path.join(__dirname, 'change-set.json');
  fs.writeFileSync(changeSet, JSON.stringify({ Status: 'CREATE_COMPLETE', Changes: [
    { Type: 'Resource', ResourceChange: { Action: 'Add', LogicalResourceId: 'Queue', ResourceType: 'AWS::SQS::Queue' } },
    { Type: 'Resource', ResourceChange: { Action: 'Remove', LogicalResourceId: 'Topic', ResourceType: 'AWS::SNS::Topic' } },
  ] }));
  const bin = path.join(__dirname, 'node_modules', '.bin', 'cdk-sfn-deploy');
  let status = 0;
  let stdout = '';
  try {
    stdout = execFileSync(bin, ['check', changeSet], { encoding: 'utf-8' });
  } catch (e) {
    status = e.status;
    stdout = String(e.stdout);
  }
  assert(status === 1, `exit code ${status}, not 1:\n${stdout}`);
  assert(/DENY\s+Topic\s+AWS::SNS::Topic\s+Remove/.test(stdout), `no DENY line for the topic:\n${stdout}`);
  return 'Verdict: DENY';
});

check('the package\'s CLI draws a state machine with its bundled layout library (cdk-sfn-deploy picture)', () => {
  const definition = path.join(__dirname, 'machine.json');
  fs.writeFileSync(definition, JSON.stringify({ StartAt: 'Deploy', States: {
    Deploy: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Next: 'Done', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed' }] },
    Done: { Type: 'Succeed' },
    Failed: { Type: 'Fail' },
  } }));
  const packageDir = path.dirname(require.resolve(`${process.env.PACKAGE_NAME}/package.json`, { paths: [__dirname] }));
  const elk = require.resolve('elkjs', { paths: [packageDir] });
  assert(elk.startsWith(path.join(packageDir, 'node_modules', 'elkjs')), `elkjs resolves outside the package: ${elk}`);
  const bin = path.join(__dirname, 'node_modules', '.bin', 'cdk-sfn-deploy');
  const svg = execFileSync(bin, ['picture', '--definition', definition], { encoding: 'utf-8' });
  assert(/^<svg /.test(svg), `not an SVG:\n${svg.slice(0, 200)}`);
  const edges = svg.match(/<path class="edge" /g) || [];
  assert(edges.length === 3, `${edges.length} edges drawn, not 3 (start, Next, Catch)`);
  return `${edges.length} edges`;
});

const passed = results.filter(Boolean).length;
const failed = results.length - passed;
console.log(`package smoke: ${passed} passed, ${failed} failed`);
if (process.env.JUNIT_FILE) {
  // For CI's totals: one test case per check.
  const cases = results.map((ok, i) => `  <testcase classname="package-smoke" name="check ${i + 1}">${ok ? '' : '<failure/>'}</testcase>`);
  fs.writeFileSync(process.env.JUNIT_FILE, `<?xml version="1.0"?>\n<testsuites>\n<testsuite name="package smoke" tests="${results.length}" failures="${failed}" errors="0" skipped="0">\n${cases.join('\n')}\n</testsuite>\n</testsuites>\n`);
}
process.exit(failed === 0 ? 0 : 1);
EOF

echo "package smoke: synthesizing"
(cd "$APP_DIR" && PACKAGE_NAME="$PACKAGE_NAME" node app.js) || fail_setup "the app did not synthesize"
mkdir -p "$PROJECT_DIR/test-reports"
BUNDLED_DEPS="$(node -p "JSON.stringify(require('$PROJECT_DIR/package.json').bundledDependencies || [])")"
(cd "$APP_DIR" && CONTENTS_FILE="$WORK_DIR/pack/contents.txt" BUNDLED_DEPS="$BUNDLED_DEPS" PACKAGE_NAME="$PACKAGE_NAME" JUNIT_FILE="$PROJECT_DIR/test-reports/package-smoke.xml" node check.js)
