/**
 * The public API against the last one users could have built on (`test/api-baseline/assembly.jsii`, the assembly
 * of main before the API followed aws-cdk-lib's CodePipeline actions): jsii-diff lists every change that can break
 * a user, and each type or member it names must be in MIGRATION.md, with its before and after.
 *
 *   npx projen api:diff     after npx projen compile (the build runs it right after compiling)
 *
 * Exits 1 when MIGRATION.md misses a change jsii-diff reports, or when there is no compiled assembly.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
/** The baseline's assembly and package.json, kept under names no tool takes for this package's own. */
const BASELINE = path.join(ROOT, 'test', 'api-baseline');
/**
 * Where jsii-diff reads the baseline as a package (`.jsii` and `package.json`): inside node_modules, so that it finds
 * aws-cdk-lib, and in a dot directory, which jsii-docgen's search for assemblies (every .jsii file below the project)
 * skips: a second assembly of this package's name there would be documented instead of the compiled one.
 */
const BASELINE_PACKAGE = path.join(ROOT, 'node_modules', '.cache', 'api-baseline');
const MIGRATION = path.join(ROOT, 'MIGRATION.md');
const PACKAGE = 'cdk-stepfunctions-deploy-action';

/**
 * The API elements a jsii-diff report names, without the package: each line's key (`--keys`,
 * `[kind:package.Type.member]`), and for a struct that changed as a whole the property its message names
 * (`IFACE X: property templatePath, ...`, `newly required property 'actionName'`), as `Type.member`.
 */
export function changedElements(report: string): string[] {
  const names: string[] = [];
  for (const line of report.split('\n')) {
    const key = /\[[a-z-]+:([^\]\s]+)\]\s*$/.exec(line)?.[1];
    if (!key?.startsWith(`${PACKAGE}.`)) continue;
    const element = key.slice(PACKAGE.length + 1);
    names.push(element);
    const property = /^\S+\s+-\s+IFACE \S+: (?:property (\w+),|newly required property '(\w+)')/.exec(line);
    if (property) names.push(`${element}.${property[1] ?? property[2]}`);
  }
  return [...new Set(names)].sort();
}

/** The elements MIGRATION.md does not name (in backquotes, as `Type.member` or `Type`). */
export function missingFromMigration(elements: string[], migration: string): string[] {
  return elements.filter((name) => !migration.includes(`\`${name}\``) && !migration.includes(`\`${name}(`));
}

function main(): void {
  if (!fs.existsSync(path.join(ROOT, '.jsii'))) {
    console.error('No .jsii assembly yet: run npx projen compile first (or npx projen build)');
    process.exit(1);
  }
  fs.mkdirSync(BASELINE_PACKAGE, { recursive: true });
  fs.copyFileSync(path.join(BASELINE, 'assembly.jsii'), path.join(BASELINE_PACKAGE, '.jsii'));
  fs.copyFileSync(path.join(BASELINE, 'package.baseline.json'), path.join(BASELINE_PACKAGE, 'package.json'));
  const diff = spawnSync('jsii-diff', [BASELINE_PACKAGE, ROOT, '--keys'], { cwd: ROOT, encoding: 'utf8', shell: false });
  if (diff.error) throw diff.error;
  const report = `${diff.stdout}${diff.stderr}`;
  const elements = changedElements(report);
  console.log(report.trim());
  console.log(`\njsii-diff against ${path.relative(ROOT, BASELINE)}/assembly.jsii: ${elements.length} API elements changed incompatibly`);
  const missing = missingFromMigration(elements, fs.readFileSync(MIGRATION, 'utf8'));
  if (missing.length > 0) {
    console.error(`MIGRATION.md does not name ${missing.length} of them (write each as \`Type.member\` with its before and after):`);
    for (const name of missing) console.error(`  ${name}`);
    process.exit(1);
  }
  console.log('MIGRATION.md names every one of them.');
}

if (require.main === module) main();
