/**
 * The TypeScript examples of docs/*.md and MIGRATION.md compile, as the README's and the API docs' do: jsii-rosetta
 * compiles the Markdown of an assembly only (its README and its submodules' READMEs), so this writes a copy of the
 * package beside it whose assembly holds each page as a submodule's README, with the same fixtures (rosetta/) and
 * the same compiled library (lib/), and runs `jsii-rosetta extract --strict` on it. The generated API references
 * (docs/API.*.md) are left out: they are written from the assembly, whose examples the first extract compiles.
 * MIGRATION.md's "before" examples (fenced as `ts old-api`) show the API as it was, which this library no longer
 * has: they are left out; its "after" examples compile.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..');
const copy = path.join(root, '.rosetta-docs');
const assembly = JSON.parse(fs.readFileSync(path.join(root, '.jsii'), 'utf8'));
const pages = [
  ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md') && !f.startsWith('API.')).sort().map((f) => `docs/${f}`),
  'MIGRATION.md',
];
const OLD_API = /^```ts old-api\n[\s\S]*?^```$/gm;

// The examples of the types are compiled by the first extract: only the pages are compiled here.
for (const type of Object.values<any>(assembly.types ?? {})) {
  const strip = (member: any) => { if (member?.docs) member.docs = {}; };
  strip(type);
  strip(type.initializer);
  [...(type.methods ?? []), ...(type.properties ?? []), ...(type.members ?? [])].forEach(strip);
}
delete assembly.readme;
assembly.submodules = Object.fromEntries(pages.map((page) => [
  `${assembly.name}.${page.replace(/\.md$/, '').replace(/[^A-Za-z0-9]/g, '_')}`,
  { readme: { markdown: fs.readFileSync(path.join(root, page), 'utf8').replace(OLD_API, (block) => block.replace(/[^\n]/g, '')) } },
]));

fs.rmSync(copy, { recursive: true, force: true });
fs.mkdirSync(copy);
try {
  fs.writeFileSync(path.join(copy, '.jsii'), JSON.stringify(assembly));
  fs.copyFileSync(path.join(root, 'package.json'), path.join(copy, 'package.json'));
  for (const shared of ['lib', 'node_modules', 'rosetta']) fs.symlinkSync(path.join(root, shared), path.join(copy, shared), 'dir');
  // An error names the page as a submodule: docs_policy-README-L12 is the example at line 12 of docs/policy.md.
  console.log(`jsii-rosetta extract --strict: ${pages.join(', ')}`);
  const run = spawnSync(path.join(root, 'node_modules', '.bin', 'jsii-rosetta'), ['extract', '--strict', path.join(copy, '.jsii')], { stdio: 'inherit', cwd: root });
  process.exitCode = run.status ?? 1;
} finally {
  fs.rmSync(copy, { recursive: true, force: true });
}
