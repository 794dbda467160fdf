// Runs vitest and ends with a plain "N passed, N failed" line that any CI log reader understands.
import {spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vmbench-tests-'));
const report = path.join(dir, 'report.json');
const r = spawnSync('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)], {stdio: 'inherit'});
let summary = '';
try {
  const j = JSON.parse(readFileSync(report, 'utf8'));
  // A test file that fails to load counts as a failure too, though it ran no test.
  const loadFailures = (j.testResults ?? []).filter((r) => r.status === 'failed' && (r.assertionResults ?? []).length === 0).length;
  const failed = j.numFailedTests + loadFailures;
  summary = `${j.numPassedTests} passed, ${failed} failed, ${j.numPendingTests + (j.numTodoTests ?? 0)} skipped`;
} catch {
  summary = '0 passed, 1 failed';
}
rmSync(dir, {recursive: true, force: true});
console.log(`\n${summary}`);
process.exit(r.status ?? 1);
