import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attachBaselines, compareCharts, compareSection } from '../../bench/comparison.js';
import { erlangRows, parseErlangOutput } from '../../bench/erlang/runner.js';
import type { ResultRow } from '../../bench/harness.js';
import { readResults, writeMarkdown, writeMarkdownSection, writeResults, type CompareInfo } from '../../bench/report.js';

function row(id: string, variant: string | undefined, unit: string, value: number, extra: Partial<ResultRow> = {}): ResultRow {
  return { id, ...(variant ? { variant } : {}), unit, value, threads: 1, runs: 5, min: value * 0.9, max: value * 1.1, baselines: [], ...extra };
}

const ERL_LINE =
  '{"module":"r5","otp":"25","erts":"13.1.5","schedulers":1,"schedulers_online":1,"rows":[' +
  '{"id":"R5","variant":"ref-K=0","unit":"us","samples":[0.7,0.6,0.5,0.65,0.62]},' +
  '{"id":"R5","variant":"scan-K=10000","unit":"us","samples":[150,160,140,155,151]}]}';

const INFO: CompareInfo = {
  date: '2026-11-22T00:00:00Z',
  node: 'v20.20.2',
  cpus: 2,
  otp: '25',
  erts: '13.1.5',
  erlangSchedulers: [1, 2],
  postboxThreads: [1, 2],
  jsActors: 'nact 7.6.2',
  runs: 5,
  ids: ['R1', 'R3', 'R3-spawn', 'R4', 'R5', 'R6', 'R7'],
  notes: ['R6: skipped'],
};

describe('bench comparison', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'postbox-bench-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('bench comparison - Erlang output becomes rows with the median, min and max of its samples', () => {
    const rows = erlangRows(parseErlangOutput(`Erlang noise\n${ERL_LINE}\n`));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ id: 'R5', variant: 'ref-K=0', unit: 'us', threads: 1, value: 0.62, min: 0.5, max: 0.7, runs: 5 });
    expect(() => parseErlangOutput('crash dump\n')).toThrow(/expected one JSON line/);
  });

  it('bench comparison - baselines attach by id and variant (and alias), replacing an older one of the same name', () => {
    const postbox = [
      row('R1', 'same-thread', 'msgs/s', 4e6, { baselines: [{ name: 'erlang', value: 1 }] }),
      row('R1', 'same-thread-async', 'msgs/s', 3e6),
      row('R1', 'cross-thread', 'msgs/s', 1e6, { threads: 2, baselines: [{ name: 'postMessage', value: 2e5 }] }),
      row('R3', undefined, 'msgs/s', 2e6),
      row('R7', 'same-thread', 'ops/s', 5e5),
    ];
    const erlang = [row('R1', 'same-thread', 'msgs/s', 2e6), row('R1', 'cross-thread', 'msgs/s', 3e5, { threads: 2 }), row('R3', undefined, 'msgs/s', 1e6)];
    const merged = attachBaselines(postbox, erlang, 'erlang');
    expect(merged[0]!.baselines).toEqual([{ name: 'erlang', value: 2e6, min: 1.8e6, max: 2.2e6, runs: 5, threads: 1 }]);
    expect(merged[1]!.baselines.map((b) => b.value)).toEqual([2e6]);
    expect(merged[2]!.baselines.map((b) => b.name)).toEqual(['postMessage', 'erlang']);
    expect(merged[3]!.baselines[0]!.value).toBe(1e6);
    expect(merged[4]!.baselines).toEqual([]);
    expect(postbox[1]!.baselines).toEqual([]); // inputs untouched
    expect(() => attachBaselines([row('R3', undefined, 'us', 1)], erlang, 'erlang')).toThrow(/expected unit us/);
  });

  it('bench comparison - latest.json keeps erlang baselines and the run environment, and a later plain run keeps the environment', () => {
    const path = join(dir, 'latest.json');
    writeResults(path, [row('Q1', undefined, 'msgs/s', 9e6)]);
    const merged = attachBaselines([row('R3', undefined, 'msgs/s', 2e6)], [row('R3', undefined, 'msgs/s', 1e6)], 'erlang');
    writeResults(path, merged, INFO);
    const file = readResults(path)!;
    expect(file.compare).toEqual(INFO);
    expect(file.results.map((r) => r.id)).toEqual(['Q1', 'R3']);
    expect(file.results[1]!.baselines[0]).toMatchObject({ name: 'erlang', value: 1e6, threads: 1 });
    writeResults(path, [row('Q1', undefined, 'msgs/s', 8e6)]);
    const again = readResults(path)!;
    expect(again.compare).toEqual(INFO);
    expect(again.results.find((r) => r.id === 'R3')!.baselines[0]!.name).toBe('erlang');
  });

  it('bench comparison - docs: sections are replaced between their markers, text outside kept', () => {
    const doc = join(dir, 'benchmarks.md');
    writeFileSync(doc, '# Benchmarks\n\nIntro.\n\n<!-- bench:table:begin -->\nold\n<!-- bench:table:end -->\n\n## Analysis\nMine.\n');
    const rows = attachBaselines(
      [row('R5', 'ref-K=0', 'us', 0.5), row('R5', 'scan-K=10000', 'us', 30), row('R1', 'same-thread', 'msgs/s', 4e6)],
      erlangRows(parseErlangOutput(ERL_LINE)).concat(row('R1', 'same-thread', 'msgs/s', 2e6)),
      'erlang',
    );
    const file = { node: 'v20', cpus: 2, date: 'now', compare: INFO, results: rows };
    writeMarkdown(doc, file);
    const charts = compareCharts(file);
    expect([...charts.keys()]).toEqual(['throughput.svg', 'r5-selective-receive.svg']);
    writeMarkdownSection(doc, 'compare', compareSection(file, [...charts.keys()]));
    writeMarkdownSection(doc, 'compare', compareSection(file, [...charts.keys()]));
    const text = readFileSync(doc, 'utf8');
    expect(text.startsWith('# Benchmarks\n\nIntro.\n')).toBe(true);
    expect(text).toContain('## Analysis\nMine.\n');
    expect(text).not.toContain('\nold\n');
    expect(text.match(/bench:compare:begin/g)).toHaveLength(1);
    expect(text).toContain('Erlang/OTP 25 (ERTS 13.1.5)');
    // R1: 4M vs Erlang 2M -> postbox ×2; R5 scan: 30 µs vs 151 µs -> ×5.03 (lower is better).
    expect(text).toMatch(/\| R1 \| same-thread \| msgs\/s \| 4,000,000 \| 2,000,000 \| 1 \/ 1 \| \*\*×2\.00\*\* \|/);
    expect(text).toContain('**×5.03**');
    expect(text).toContain('![throughput.svg](charts/throughput.svg)');
    expect(text).toContain('- R6: skipped');
    expect(text).not.toContain('other rows are from earlier runs');
    expect(compareSection({ ...file, compare: { ...INFO, ids: ['R5'] } }, [])).toContain('This run measured R5; other rows are from earlier runs.');
  });

  it('bench comparison - R6 chart: one line per kind and baseline, each point once per size', () => {
    const shared = (mib: number, value: number) =>
      row('R6', `${mib} MiB shared binary`, 'us', value, {
        threads: 2,
        baselines: [
          { name: 'small message', value: 0.4 },
          { name: 'codec copy', value: 300 * mib },
          { name: 'erlang', value: 0.5 },
        ],
      });
    const plain = (mib: number, value: number) =>
      row('R6', `${mib} MiB plain Uint8Array`, 'us', value, { threads: 2, baselines: [{ name: 'codec copy', value: 300 * mib }] });
    const file = { node: 'v20', cpus: 2, date: 'now', results: [row('R6', 'small message', 'us', 0.4), shared(1, 0.6), plain(1, 200), shared(16, 0.7), plain(16, 3000)] };
    const svg = compareCharts(file).get('r6-binary-send.svg')!;
    expect(svg).toBeDefined();
    const names = [...svg.matchAll(/<polyline[^>]*points="([^"]*)"/g)].map((m) => m[1]!.split(' ').length);
    // postbox heap copy, postbox shared, codec copy, erlang, small message (postbox): 2 points each.
    expect(names).toEqual([2, 2, 2, 2, 2]);
    for (const name of ['postbox shared', 'postbox heap copy', 'codec copy', 'erlang', 'small message (postbox)']) expect(svg).toContain(`>${name}</text>`);
    expect(svg).toContain('>16 MiB<');
  });
});
