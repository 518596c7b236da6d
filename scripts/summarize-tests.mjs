// Adds up the vitest JSON reports of every package for the given Node majors and prints one line
// per major and, last, CI's closing line "tests: N passed, N failed". Exits non-zero if a major
// has no report or anything failed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const majors = process.argv.slice(2);
if (majors.length === 0) majors.push(process.versions.node.split('.')[0]);
const total = { passed: 0, failed: 0, skipped: 0 };
let ok = true;
for (const major of majors) {
  const sum = { passed: 0, failed: 0, skipped: 0, reports: 0 };
  for (const group of ['packages', 'apps', 'packages/tracing-nest/fixtures']) {
    if (!existsSync(group)) continue;
    for (const name of readdirSync(group)) {
      const file = join(group, name, 'test-results', `node${major}.json`);
      if (!existsSync(file)) continue;
      const report = JSON.parse(readFileSync(file, 'utf8'));
      sum.reports++;
      sum.passed += report.numPassedTests;
      sum.failed += report.numFailedTests + (report.numFailedTestSuites ?? 0);
      sum.skipped += report.numPendingTests + (report.numTodoTests ?? 0);
    }
  }
  console.log(
    `  Node ${major}: ${sum.reports} packages, ${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped`,
  );
  if (sum.reports === 0 || sum.failed > 0) ok = false;
  total.passed += sum.passed;
  total.failed += sum.failed;
  total.skipped += sum.skipped;
}
console.log(
  `tests: ${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`,
);
process.exit(ok ? 0 : 1);
