/**
 * The handler bundles (built by `npx projen bundle`): size, and module load time (the part of a Lambda cold
/* external, as the
 * Lambda runtime provides it, so loading a bundle here resolves the SDK clients from node_modules; the SDK's
 * share is measured on its own too.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { median } from './stats';
import { LOCAL_ENV } from '../demo/lib/intrinsics';

export const ROOT = path.resolve(__dirname, '..');
export const BUNDLES = {
  'trigger (assets/trigger/trigger.lambda/index.js)': path.join(ROOT, 'assets', 'trigger', 'trigger.lambda', 'index.js'),
  'deploy task (assets/workflow/deploy-task.lambda/index.js)': path.join(ROOT, 'assets', 'workflow', 'deploy-task.lambda', 'index.js'),
};
/** Fresh processes per measurement; the median is reported. */
export const LOAD_RUNS = 15;

export interface BundleMeasurement {
  readonly name: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  /** The external packages the bundle requires. */
  readonly sdkPackages: string[];
  /** require() of the bundle in a fresh process, SDK included (median, ms). */
  readonly loadMs: number;
  /** require() of the same SDK packages alone in a fresh process (median, ms). */
  readonly sdkLoadMs: number;
  /** The whole fresh process, node's own start included (median, ms). */
  readonly processMs: number;
}

export function checkBundles(): void {
  for (const file of Object.values(BUNDLES)) {
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: build the handlers first (npx projen bundle)`);
  }
}

export function measureBundles(): BundleMeasurement[] {
  checkBundles();
  return Object.entries(BUNDLES).map(([name, file]) => {
    const code = fs.readFileSync(file);
    const sdkPackages = [...new Set([...code.toString('utf8').matchAll(/require\("(@aws-sdk\/[^"]+)"\)/g)].map((m) => m[1]))].sort();
    const load: number[] = [];
    const sdk: number[] = [];
    const whole: number[] = [];
    // Interleaved, so that noise from other work on the machine falls on both alike.
    for (let i = 0; i < LOAD_RUNS; i++) {
      const started = process.hrtime.bigint();
      load.push(timeRequire([file]));
      whole.push(Number(process.hrtime.bigint() - started) / 1e6);
      sdk.push(timeRequire(sdkPackages));
    }
    return {
      name,
      bytes: code.length,
      gzipBytes: zlib.gzipSync(code, { level: 9 }).length,
      sdkPackages,
      loadMs: median(load),
      sdkLoadMs: median(sdk),
      processMs: median(whole),
    };
  });
}

/** Milliseconds that require() of `modules` takes in a fresh node process. */
function timeRequire(modules: string[]): number {
  const script = `const t = process.hrtime.bigint(); for (const m of ${JSON.stringify(modules)}) require(m); ` +
    'process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));';
  const child = spawnSync(process.execPath, ['-e', script], {
    cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', AWS_REGION: LOCAL_ENV.region },
  });
  if (child.status !== 0) throw new Error(`loading ${modules.join(', ')} failed: ${child.stderr}`);
  return Number(child.stdout);
}
