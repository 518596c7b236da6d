// Rewrites docs/benchmarks.md from a saved results file (default results/latest.json), e.g. after
// editing the report's wording, without measuring again.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderReport } from './report.mjs';

const file = process.argv[2] ?? fileURLToPath(new URL('../results/latest.json', import.meta.url));
const report = renderReport(JSON.parse(readFileSync(file, 'utf8')));
writeFileSync(fileURLToPath(new URL('../../../docs/benchmarks.md', import.meta.url)), report);
console.log(report);
