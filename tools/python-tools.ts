/**
 * moto (the AWS emulator of the demo and the end-to-end tests) and cfn-lint (the template checks), at the
 * versions of tools/python-requirements.txt, in a virtual environment of the project's own: `.venv-tools/`.
 *
 *   npx projen python-tools     makes it, once (the demo and test tasks run it first); a no-op when it is
 *                               up to date with the requirements and the Python that made it
 *
 * Needs Python 3.9 or later with its `venv` module (`python3`, or the interpreter named by $PYTHON).
 * $MOTO_SERVER and $CFN_LINT name other executables to use instead; then nothing is installed.
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
export const VENV = path.join(ROOT, '.venv-tools');
const REQUIREMENTS = path.join(__dirname, 'python-requirements.txt');
const CONSTRAINTS = path.join(__dirname, 'python-constraints.txt');
/** Written last: the requirements and interpreter the environment was made from. */
const STAMP = path.join(VENV, 'made-from.json');

export type PythonTool = 'moto_server' | 'cfn-lint';

const OVERRIDES: Record<PythonTool, string> = { 'moto_server': 'MOTO_SERVER', 'cfn-lint': 'CFN_LINT' };

/** The executable to run for a tool: the override's, else the project's environment's. */
export function pythonTool(tool: PythonTool): string {
  const override = process.env[OVERRIDES[tool]];
  if (override) return override;
  const executable = path.join(VENV, process.platform === 'win32' ? 'Scripts' : 'bin', process.platform === 'win32' ? `${tool}.exe` : tool);
  if (!fs.existsSync(executable)) {
    throw new Error(`${tool} is not installed in ${path.relative(process.cwd(), VENV) || VENV}: run \`npx projen python-tools\` ` +
      `(the demo and test tasks do), or set ${OVERRIDES[tool]} to an executable of your own`);
  }
  return executable;
}

/** Makes `.venv-tools/` unless it is up to date; says what it does. Throws with the reason if it cannot. */
export function ensurePythonTools(log: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): void {
  if (process.env.MOTO_SERVER && process.env.CFN_LINT) {
    log('python-tools: MOTO_SERVER and CFN_LINT are set; nothing to install');
    return;
  }
  const python = process.env.PYTHON ?? (process.platform === 'win32' ? 'python' : 'python3');
  const version = run(python, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3]); print(sys.executable)'], {
    missing: `Python 3 is needed for the demo's AWS emulator (moto) and for cfn-lint, and \`${python}\` was not found: ` +
      'install Python 3.9 or later, or set PYTHON to its interpreter',
  }).trim().split('\n');
  const [major, minor] = version[0].split('.').map(Number);
  if (major !== 3 || minor < 9) throw new Error(`${python} is Python ${version[0]}; moto and cfn-lint need Python 3.9 or later (set PYTHON)`);

  const wanted = {
    python: { version: version[0], executable: version[1] },
    requirements: digest(REQUIREMENTS, CONSTRAINTS),
  };
  if (fs.existsSync(STAMP) && JSON.stringify(JSON.parse(fs.readFileSync(STAMP, 'utf-8'))) === JSON.stringify(wanted)) return;

  const relative = path.relative(ROOT, VENV);
  log(`python-tools: installing ${pins().join(', ')} into ${relative}/ with Python ${version[0]} (once; about a minute) ...`);
  fs.rmSync(VENV, { recursive: true, force: true });
  run(python, ['-m', 'venv', VENV], {
    failed: `\`${python} -m venv\` failed. On Debian or Ubuntu the venv module is a package of its own: apt-get install python3-venv`,
  });
  const venvPython = path.join(VENV, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
  run(venvPython, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input',
    '-r', REQUIREMENTS, '-c', CONSTRAINTS], { failed: `pip could not install ${path.relative(ROOT, REQUIREMENTS)} (is the Python package index reachable?)`, inherit: true });
  for (const [tool, args] of [['moto_server', ['--help']], ['cfn-lint', ['--version']]] as const) {
    if (!process.env[OVERRIDES[tool]]) run(pythonTool(tool), [...args], { failed: `${tool} does not run from ${relative}/` });
  }
  fs.writeFileSync(STAMP, `${JSON.stringify(wanted, undefined, 2)}\n`);
  log(`python-tools: ready (${relative}/; delete it to start over)`);
}

function pins(): string[] {
  return fs.readFileSync(REQUIREMENTS, 'utf-8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

function digest(...files: string[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(fs.readFileSync(file));
  return hash.digest('hex');
}

function run(command: string, args: string[], messages: { missing?: string; failed?: string; inherit?: boolean }): string {
  const result = spawnSync(command, args, { encoding: 'utf-8', stdio: ['ignore', 'pipe', messages.inherit ? 'inherit' : 'pipe'] });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' && messages.missing ? messages.missing : `${command} ${args.join(' ')}: ${result.error.message}`);
  }
  if (result.status !== 0) {
    throw new Error(`${messages.failed ?? `${command} ${args.join(' ')} exited ${result.status}`}\n${result.stdout ?? ''}${result.stderr ?? ''}`.trim());
  }
  return result.stdout;
}

if (require.main === module) {
  try {
    ensurePythonTools();
  } catch (e) {
    process.stderr.write(`python-tools: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
