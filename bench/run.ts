/**
 * `npm run bench [-- ID …]`: runs the workloads (all, or those whose id is named), prints a
 * table, and writes bench/results/latest.json and docs/benchmarks.md.
 */
import { fileURLToPath } from 'node:url';
import type { ResultRow } from './harness.js';
import { formatFigure, markdownTable, writeMarkdown, writeResults } from './report.js';
import { workloads } from './workloads/index.js';

const root = (rel: string) => fileURLToPath(new URL(`../${rel}`, import.meta.url));

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((id) => !workloads.some((w) => w.id === id));
  if (unknown.length > 0) {
    console.error(`unknown workload id(s): ${unknown.join(', ')}; known: ${workloads.map((w) => w.id).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const selected = wanted.length ? workloads.filter((w) => wanted.includes(w.id)) : workloads;
  const rows: ResultRow[] = [];
  for (const w of selected) {
    console.log(`# ${w.id}: ${w.title}`);
    const got = await w.run();
    for (const r of got) {
      const base = r.baselines.map((b) => `${b.name}=${formatFigure(b.value)}`).join(' ');
      console.log(`  ${r.variant ?? '-'}: ${formatFigure(r.value)} ${r.unit} (threads ${r.threads}) ${base}`);
    }
    rows.push(...got);
  }
  const file = writeResults(root('bench/results/latest.json'), rows);
  writeMarkdown(root('docs/benchmarks.md'), file);
  console.log('\n' + markdownTable(file));
}

await main();
