#!/usr/bin/env node
// Sums the JUnit XML reports of every suite CI ran and prints one line: "N passed, N failed".
// Usage: node .ci/totals.js <report.xml | directory>...
const fs = require('fs');
const path = require('path');

function files(target) {
  if (!fs.existsSync(target)) return [];
  if (fs.statSync(target).isDirectory()) {
    return fs.readdirSync(target).flatMap((f) => files(path.join(target, f)));
  }
  return target.endsWith('.xml') ? [target] : [];
}

function attr(tag, name) {
  const m = tag.match(new RegExp(`\\s${name}="(\\d+)"`));
  return m ? Number(m[1]) : 0;
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of process.argv.slice(2).flatMap(files)) {
  const xml = fs.readFileSync(file, 'utf8');
  // Count <testsuite> elements only (not the <testsuites> wrapper), so nothing is counted twice.
  for (const tag of xml.match(/<testsuite\s[^>]*>/g) ?? []) {
    const tests = attr(tag, 'tests');
    const bad = attr(tag, 'failures') + attr(tag, 'errors');
    const skip = attr(tag, 'skipped') + attr(tag, 'disabled');
    passed += tests - bad - skip;
    failed += bad;
    skipped += skip;
  }
}
// A step that failed without a failed test in any report (an install, a build, a stale generated file)
// still counts as one failure, so the line never says 0 failed for a red run.
const failedSteps = Number(process.env.FAILED_STEPS || 0);
if (failed === 0) failed = failedSteps;
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
