import { awscdk, javascript } from 'projen';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-stepfunctions-deploy-action',
  description:
    'A CodePipeline action that deploys CloudFormation safely through a Step Functions workflow: ' +
    'create the stack, or inspect a change set with a pluggable safety policy before executing it.',
  author: 'cdk-stepfunctions-deploy-action contributors',
  authorAddress: 'maintainers@cdk-stepfunctions-deploy-action.dev',
  repositoryUrl: 'https://github.com/cdk-stepfunctions-deploy-action/cdk-stepfunctions-deploy-action.git',
  keywords: ['aws-cdk', 'codepipeline', 'stepfunctions', 'cloudformation', 'change-set', 'safe-deployment'],
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  cdkVersion: '2.189.1',
  tsconfigDevFile: 'tsconfig.dev.json',
  tsconfigDev: { compilerOptions: {}, include: ['**/*.ts', '.projenrc.ts'], exclude: ['node_modules', 'lib', 'dist', 'assets', 'cdk.out', 'test/apps'] },
  typescriptVersion: '~5.9.0',
  // Releases: the version and CHANGELOG from the conventional commits since the last tag (npx projen release),
  // and GitHub workflows that build every pull request and publish to npm, PyPI and Maven Central from main.
  github: true,
  release: true,
  releaseToNpm: true,
  // The version bump's tool at its last major that runs on Node.js 20 (13 needs 22).
  bumpPackage: 'commit-and-tag-version@^12',
  npmAccess: javascript.NpmAccess.PUBLIC,
  // Dependency upgrades and pull request title checks need repository settings of their own: not turned on.
  depsUpgrade: false,
  githubOptions: { pullRequestLint: false, mergify: false },
  pullRequestTemplate: false,
  // Handlers are bundled at build time (src/**/*.lambda.ts) and shipped in the npm package.
  lambdaOptions: {
    runtime: awscdk.LambdaRuntime.NODEJS_22_X,
    bundlingOptions: { sourcemap: false },
  },
  // jsii targets: names chosen once, documented in the README.
  publishToPypi: {
    distName: 'cdk-stepfunctions-deploy-action',
    module: 'cdk_stepfunctions_deploy_action',
  },
  publishToMaven: {
    javaPackage: 'io.github.cdksfndeploy',
    mavenGroupId: 'io.github.cdk-stepfunctions-deploy-action',
    mavenArtifactId: 'cdk-stepfunctions-deploy-action',
  },
  // Runtime dependencies of the library itself, which jsii libraries ship bundled: jsonc-parser locates JSON
  // errors (the CLI, SafetyPolicy.evaluateChangeSet); elkjs lays out the state-machine pictures (layered,
  // orthogonal edges) of the CLI and the demo; secretlint's recommended rules tell secrets by their shape in the
  // values a change shows (src/policy/safe-value.ts: MIT, one file without dependencies, bundled into the handlers).
  bundledDeps: ['jsonc-parser@^3', 'elkjs@^0.12.1', '@secretlint/secretlint-rule-preset-recommend@^13'],
  devDeps: [
    '@types/node@^20',
    '@aws-sdk/client-cloudformation@^3',
    '@aws-sdk/client-codepipeline@^3',
    '@aws-sdk/client-lambda@^3',
    '@aws-sdk/client-sns@^3',
    '@aws-sdk/credential-providers@^3',
    '@aws-sdk/client-s3@^3',
    '@aws-sdk/client-sfn@^3',
    '@aws-sdk/client-dynamodb@^3',
    // Reads the rollback alarms' states (DescribeAlarms): the workflow's task function.
    '@aws-sdk/client-cloudwatch@^3',
    '@smithy/util-stream@^4',
    // Signs the CLI's approval requests (optional at run time, as @aws-sdk/client-sfn was); a devDependency for its tests.
    '@smithy/signature-v4@^5',
    '@types/aws-lambda@^8',
    'aws-sdk-client-mock@^4',
    'aws-sdk-client-mock-jest@^4',
    'aws-local-stepfunctions@^3',
    'fflate@^0.8',
    'fast-check@^3',
    'cdk-nag@2.37.55',
    'yauzl@^3',
    '@types/yauzl@^3',
    // The structure of src/: every import points down a layer, no cycles (npx projen structure).
    'dependency-cruiser@^16',
    // Reads the Markdown of README.md and docs/ for the link check (test/docs/links.test.ts).
    'commonmark@^0.31',
    '@types/commonmark@^0.27',
    // Integration tests (test/integ/): the assertions construct at the version whose peer dependency the project's
    // aws-cdk-lib meets, and the runner that checks the committed snapshots (and deploys them, with an account).
    '@aws-cdk/integ-tests-alpha@2.187.0-alpha.0',
    '@aws-cdk/integ-runner@2.197.10',
    // The CDK CLI integ-runner deploys with, at the version it depends on: `npx cdk bootstrap` before integ:deploy.
    'aws-cdk@2.1115.1',
    // Validates every synthesized state machine definition against the Amazon States Language (test/constructs/asl-valid.test.ts).
    'asl-validator@^4',
  ],
  jestOptions: {
    // Snapshots are never rewritten by a test run, in CI or locally.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      setupFiles: ['<rootDir>/test/setup.ts'],
      testTimeout: 60_000,
      // secretlint's rules are an ES module: the tests load them as CommonJS, as the bundles and the CLI do.
      transformIgnorePatterns: ['/node_modules/(?!@secretlint/)'],
    },
  },
  // Lint the sources and everything that runs beside them, with the tsconfig that covers them all.
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'demo', 'bench', 'tools'],
    tsconfigPath: './tsconfig.dev.json',
  },
  // The command line (src/cli/main.ts), bundled into one file by the bundle:cli task below.
  bin: { 'cdk-sfn-deploy': 'assets/cli/cdk-sfn-deploy.js' },
  // .picture-check/: PNG renderings of the pictures, made by hand to look at them (rsvg-convert).
  // .venv-tools/: moto and cfn-lint for the demo and the tests (npx projen python-tools).
  gitignore: ['/.demo-out/', '/.picture-check/', '__pycache__/', '/.venv-tools/', '/.venv-tools.lock/'],
  // The development and test tools run on Node.js 20 and later; the Lambda functions run on Node.js 22.
  minNodeVersion: '20.0.0',
});

// ts-jest compiles secretlint's ES module to CommonJS for the tests (transpiled only: the types are its own).
project.package.file.addOverride('jest.transform./node_modules/@secretlint/',
  ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', esModuleInterop: true }, isolatedModules: true }]);

// Coverage: a summary on the console; the per-file table in coverage/coverage.txt, the HTML in coverage/lcov-report/.
project.package.file.addOverride('jest.coverageReporters',
  ['text-summary', ['text', { file: 'coverage.txt' }], 'lcov', 'clover', 'cobertura', 'json']);

// Handler code is bundled with its SDK clients at build time (assets/), so it may import devDependencies.
project.eslint?.addOverride({
  files: [
    'src/**/*.lambda.ts', 'src/trigger/trigger.ts', 'src/trigger/change-report.ts', 'src/workflow/tasks/*.ts', 'src/workflow/artifact.ts', 'src/workflow/inspect.ts',
    'src/shared/pipeline-job.ts', 'src/workflow/stack-events.ts', 'src/workflow/approval.ts', 'src/workflow/rollback.ts',
  ],
  rules: { 'import/no-extraneous-dependencies': ['error', { devDependencies: true, peerDependencies: true }] },
});

// Type-aware lint of every folder through tsconfig.dev.json (the project service only sees tsconfig.json, src/).
const eslintrc = project.tryFindObjectFile('.eslintrc.json')!;
eslintrc.addDeletionOverride('parserOptions.projectService');
eslintrc.addOverride('parserOptions.project', './tsconfig.dev.json');

// Only lib/ and assets/ are published: no demo, benchmark or CI files.
project.addPackageIgnore('/demo/');
project.addPackageIgnore('/bench/');
project.addPackageIgnore('/tools/');
project.addPackageIgnore('/.venv-tools/');
project.addPackageIgnore('/.ci/');
project.addPackageIgnore('/.demo-out/');
project.addPackageIgnore('/.picture-check/');
project.addPackageIgnore('/.dependency-cruiser.cjs');
project.addPackageIgnore('/docs/');
project.addPackageIgnore('/rosetta/');
// MIGRATION.md is read on GitHub beside docs/ (its links point there), not in node_modules.
project.addPackageIgnore('/MIGRATION.md');

// Handler bundles take a package's ES module build where it has one: jsonc-parser's UMD build loads its parts with
// a require() that esbuild cannot follow. (The Lambda bundling options have no mainFields, so the tasks are amended.)
for (const task of project.tasks.all.filter((t) => /^bundle:.*\.lambda$/.test(t.name))) {
  const args = task.steps[0]?.execArgs;
  if (task.steps.length !== 1 || args?.[0] !== 'esbuild') throw new Error(`unexpected bundle task ${task.name}`);
  task.reset();
  task.execArgs([...args, '--main-fields=module,main']);
}

// The command line as one file with everything it uses (jsonc-parser, secretlint's rules, elkjs), so that it needs
// nothing beside it: npm's bin and the Python wheel's cdk-sfn-deploy run this same file with node (the wheel's
// command without starting the jsii kernel: tools/python-cli.py). approve and reject load the AWS signing packages
// only when they run, from the user's own installation, as before. (elkjs stays a bundled dependency too: the package
// ships its licence beside the copy in the bundle.)
const bundleCli = project.addTask('bundle:cli', {
  description: 'Bundle the command line (src/cli/main.ts) into assets/cli/cdk-sfn-deploy.js',
  exec: 'esbuild --bundle src/cli/main.ts --target=node20 --platform=node --outfile=assets/cli/cdk-sfn-deploy.js ' +
    '--tsconfig=tsconfig.dev.json --main-fields=module,main --log-level=warning ' +
    '--external:@smithy/signature-v4 --external:@aws-sdk/credential-providers',
});
project.tasks.tryFind('bundle')!.spawn(bundleCli);

// moto (the demo's and the end-to-end tests' AWS emulator) and cfn-lint, pinned, in .venv-tools/ (tools/).
const pythonTools = project.addTask('python-tools', {
  description: 'Install the pinned moto and cfn-lint into .venv-tools/ (once; a no-op when up to date)',
  exec: 'ts-node --project tsconfig.dev.json tools/python-tools.ts',
});

// The AWS SDK warns on Node.js 20 that its releases after January 2027 need Node.js 22: true, and said in the
// README; the deployed functions run on Node.js 22. Said once there, not in every test worker's output.
project.tasks.addEnvironment('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');
// jsii's banners on Node.js 20 (end of life, untested): the same fact, said in the README.
project.tasks.addEnvironment('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '20');
project.tasks.addEnvironment('JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION', '1');
project.tasks.addEnvironment('JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION', '1');

// The construct tests synthesize the bundled handlers (assets/), so the test task bundles first.
project.testTask.prependSpawn(project.tasks.tryFind('bundle')!);
project.testTask.prependSpawn(pythonTools);

// The structure of src/ (.dependency-cruiser.cjs): layers whose imports all point down, no cycles.
const structure = project.addTask('structure', {
  description: 'Check that every import of src/ points down a layer and that no module takes part in a cycle',
  exec: 'depcruise src --config .dependency-cruiser.cjs --validate',
});
project.testTask.prependSpawn(structure);
project.addTask('structure:draw', {
  description: 'Draw the layers of src/ and their imports into docs/structure.svg (needs Graphviz: dot)',
  exec: "depcruise src --config .dependency-cruiser.cjs --output-type dot --collapse '^src/[^/]+/' | dot -Tsvg -o docs/structure.svg",
});

// Maven: the POM asks for aws-cdk-lib and constructs in the ranges of the npm peer dependencies (^2.189.1 is
// [2.189.1,3.0.0)), as aws-cdk-lib's own POM does for constructs. jsii-pacmak writes those ranges, then pins every
// dependency to the newest version of the day (versions-maven-plugin resolve-ranges, to spare Maven a look-up per
// build); a Gradle app on an older aws-cdk-lib 2.x would be moved up to it. Maven's `excludes` keeps the peer
// dependencies out of that step (jsii-pacmak passes --mvn-* options on to Maven); jsii-runtime stays pinned.
// test/apps/java checks both POMs (PublishedPomTest).
const mavenPeerRanges = ['--mvn-define', 'excludes=software.amazon.awscdk:aws-cdk-lib,software.constructs:constructs'];
const packageJava = project.tasks.tryFind('package:java')!;
const packageJavaArgs = packageJava.steps[0]?.execArgs;
if (packageJava.steps.length !== 1 || packageJavaArgs?.[0] !== 'jsii-pacmak') throw new Error('unexpected package:java task');
packageJava.reset();
packageJava.execArgs([...packageJavaArgs, ...mavenPeerRanges]);

// Python and Java: build the wheel and the jar, then run the small Python and Java CDK apps against them.
project.addTask('package:bindings', {
  description: 'Build the Python wheel and the Java jar with jsii-pacmak (into dist/python and dist/java)',
  exec: ['jsii-pacmak -v --target python --target java', ...mavenPeerRanges].join(' '),
});
project.addTask('test:bindings', {
  description: 'Run the Python (pytest) and Java (JUnit) CDK apps of test/apps against the built packages',
  exec: 'bash test/apps/run.sh',
});

// The public API against the last one users could build on: every change jsii-diff reports must be in MIGRATION.md
// (tools/api-diff.ts). Run after each compile of the build, so CI fails on an API change MIGRATION.md does not name.
const apiDiff = project.addTask('api:diff', {
  description: 'Compare the compiled API (.jsii) with test/api-baseline (jsii-diff) and check that MIGRATION.md names every change',
  exec: 'ts-node --project tsconfig.dev.json tools/api-diff.ts',
});
project.postCompileTask.spawn(apiDiff);


// jsii-pacmak packs the compiled assembly (.jsii): say so on a clean clone instead of its "Expected to find .jsii file".
for (const name of ['package:js', 'package:python', 'package:java', 'package:bindings']) {
  project.tasks.tryFind(name)!.prependExec(
    'node -e "require(\'fs\').existsSync(\'.jsii\') || (console.error(\'No .jsii assembly yet: run npx projen compile first (or npx projen build)\'), process.exit(1))"');
}

// The wheel's cdk-sfn-deploy: jsii-pacmak's script loads the package and every dependency's assembly (aws-cdk-lib's) into
// the jsii kernel before it runs the command line; tools/python-cli.py puts a script in its place, in the wheel and in
// the source distribution, that runs the bundled command line with node directly.
for (const name of ['package:python', 'package:bindings']) {
  project.tasks.tryFind(name)!.exec('python3 tools/python-cli.py dist/python');
}

// The main job: the deploy workflow end to end on the moto emulator (see demo/).
const demo = project.addTask('demo', {
  description: 'Run the deploy workflow locally: the built handlers against moto (create, safe update, unsafe update)',
  exec: 'ts-node --project tsconfig.dev.json demo/run.ts',
});
demo.prependSpawn(project.tasks.tryFind('bundle')!);
demo.prependSpawn(pythonTools);

// Cost and speed, measured: synth, bundles, and per-deployment counts on a virtual clock (writes bench/RESULTS.md).
const bench = project.addTask('bench', {
  description: 'Benchmark synth time, bundle size and load time, and per-deployment cost against the seed design',
  exec: 'ts-node --project tsconfig.dev.json bench/run.ts',
});
bench.prependSpawn(project.tasks.tryFind('bundle')!);
// The command line's time on one change set, from npm and from pip (the wheel installed by test/apps/run.sh).
const benchCli = project.addTask('bench:cli', {
  description: 'Time cdk-sfn-deploy check on one change set as npm and as pip install it (needs test/apps/python/.venv)',
  exec: 'ts-node --project tsconfig.dev.json bench/cli.ts',
  receiveArgs: true,
});
benchCli.prependSpawn(bundleCli);

// Integration tests (test/integ/, integ-runner): the committed snapshots checked without an AWS account (CI), rewritten
// without deploying, or deployed, asserted on AWS and destroyed (docs/contributing.md#integration-tests-on-aws).
for (const [mode, description] of [
  ['snapshot', 'Check the integration tests\' committed snapshots (test/integ/): synthesize and compare, no AWS account or credentials'],
  ['update', 'Rewrite the integration tests\' snapshots from the apps of test/integ/, without deploying'],
  ['deploy', 'Deploy the integration tests of test/integ/ to your AWS account, run their assertions, destroy them (costs money)'],
]) {
  const integ = project.addTask(`integ:${mode}`, { description, exec: `ts-node --project tsconfig.dev.json tools/integ.ts ${mode}` });
  // The apps synthesize the handler bundles (assets/).
  integ.prependSpawn(project.tasks.tryFind('bundle')!);
}
// The snapshots' asset directories (the assertion handler of integ-tests-alpha, the source zips): build output that
// the snapshot check does not read (the templates name them by hash) and a deployment synthesizes anew.
project.gitignore.exclude('/test/integ/*.snapshot/asset.*');
project.gitignore.exclude('/test/integ/cdk-integ.out.*');

// Tests are type-checked too (ts-jest compiles them without type checks).
project.addTask('typecheck', {
  description: 'Type-check sources, tests, demo and benchmark',
  exec: 'tsc --noEmit -p tsconfig.dev.json',
});

// Examples in the README, the API docs and docs/*.md compile (strict), and the API reference exists in Python and Java too.
// jsii-rosetta reads an assembly's Markdown only: tools/rosetta-docs.ts gives it docs/*.md and MIGRATION.md in a copy of it.
const rosetta = project.addTask('rosetta:extract', {
  description: 'Compile every example of the README, the API docs, docs/*.md and MIGRATION.md with jsii-rosetta (strict)',
  exec: 'jsii-rosetta extract --strict',
});
rosetta.exec('ts-node --project tsconfig.dev.json tools/rosetta-docs.ts');
project.gitignore.exclude('/.rosetta-docs/');
const docgenLanguages = project.addTask('docgen:languages', {
  description: 'Write the API reference in Python and Java (docs/API.python.md, docs/API.java.md)',
  exec: 'jsii-docgen -l python -l java -o docs/API.md',
});
// jsii-docgen names Construct.with() `with` in Python, a keyword there: the binding is with_().
docgenLanguages.exec('ts-node --project tsconfig.dev.json tools/python-docs.ts docs/API.python.md');
project.postCompileTask.spawn(rosetta);
project.postCompileTask.spawn(docgenLanguages);
project.gitignore.exclude('.jsii.tabl.json');

project.synth();
