import { runMacro } from './macro.mjs';
const r = await runMacro({ rounds: 1, warmup: 1, seconds: 3, frameworks: process.argv[2].split(','), variants: process.argv[3].split(',') });
console.table(r.rows);
