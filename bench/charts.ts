/**
 * A tiny SVG chart generator for docs/charts/ (no dependencies, no external service): grouped
 * horizontal bars and lines, each on a linear or log10 axis. Output is deterministic for the
 * same input, so the charts diff cleanly and tests can compare them.
 */

export type Scale = 'linear' | 'log';

export interface Bar {
  series: string;
  value: number;
}

export interface BarGroup {
  label: string;
  bars: Bar[];
}

export interface BarChartSpec {
  title: string;
  /** Axis caption, e.g. "messages per second (log scale)". */
  axis: string;
  groups: BarGroup[];
  scale?: Scale;
}

export interface Point {
  x: number;
  y: number;
}

export interface LineSeries {
  name: string;
  points: Point[];
}

export interface LineChartSpec {
  title: string;
  xAxis: string;
  yAxis: string;
  series: LineSeries[];
  xScale?: Scale;
  yScale?: Scale;
  /** Where to put x ticks (defaults to the distinct x values of the points). */
  xTicks?: number[];
  /** Tick labels for the x values, e.g. "1 MiB". */
  xTickLabel?: (x: number) => string;
}

/** Fixed colours for the runtimes compared, so each keeps its colour from chart to chart. */
const SERIES_COLOURS: Record<string, string> = {
  postbox: '#2563eb',
  erlang: '#dc2626',
  nact: '#16a34a',
  postMessage: '#9333ea',
};
const PALETTE = ['#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d', '#7c3aed'];

/** The colour of a series: fixed for known runtimes ("erlang ref" counts as erlang), else by order. */
export function seriesColour(name: string, order: number): string {
  const base = name.split(/[\s(]/)[0]!;
  return SERIES_COLOURS[name] ?? SERIES_COLOURS[base] ?? PALETTE[order % PALETTE.length]!;
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** 1234567 -> "1.23M", 0.5 -> "0.5": short labels for axes and bars. */
export function shortNumber(value: number): string {
  const abs = Math.abs(value);
  const fmt = (v: number, suffix: string) => `${Number(v.toPrecision(3))}${suffix}`;
  if (abs >= 1e9) return fmt(value / 1e9, 'G');
  if (abs >= 1e6) return fmt(value / 1e6, 'M');
  if (abs >= 1e3) return fmt(value / 1e3, 'k');
  return fmt(value, '');
}

interface Axis {
  /** Maps a value to [0, 1]. */
  at(value: number): number;
  ticks: number[];
}

/** An axis over the values: log10 spans whole decades; linear starts at 0 and ends at a round figure. */
export function makeAxis(values: number[], scale: Scale): Axis {
  const finite = values.filter((v) => Number.isFinite(v) && (scale === 'linear' || v > 0));
  if (scale === 'log') {
    const lo = Math.floor(Math.log10(Math.min(...(finite.length ? finite : [1]))));
    let hi = Math.ceil(Math.log10(Math.max(...(finite.length ? finite : [10]))));
    if (hi <= lo) hi = lo + 1;
    const ticks: number[] = [];
    for (let e = lo; e <= hi; e++) ticks.push(10 ** e);
    return { at: (v) => (Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo), ticks };
  }
  const max = Math.max(...(finite.length ? finite : [1]), 0);
  const step = niceStep(max / 5 || 1);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const ticks: number[] = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return { at: (v) => v / top, ticks };
}

function niceStep(raw: number): number {
  const e = 10 ** Math.floor(Math.log10(raw));
  const f = raw / e;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * e;
}

/** Distinct series names in order of first appearance. */
function seriesOrder(names: string[]): string[] {
  return [...new Set(names)];
}

const LEGEND_ROW_HEIGHT = 16;

/** Width of one legend entry: room for the longest name at about 6.2 px a character. */
function legendItemWidth(series: string[]): number {
  return Math.max(110, Math.ceil(Math.max(0, ...series.map((s) => s.length)) * 6.2) + 34);
}

/** Rows the legend of these series takes in `width` pixels. */
function legendRows(series: string[], width: number): number {
  return Math.max(1, Math.ceil(series.length / Math.max(1, Math.floor(width / legendItemWidth(series)))));
}

/** Whether a line series is drawn dashed (the scanning and copying variants). */
function dashed(name: string): boolean {
  return /scan|copy/.test(name);
}

/** Legend entries: a square per bar series, or a short line (dashed like its series) per line series. */
function legend(series: string[], x: number, y: number, width: number, kind: 'bar' | 'line'): string {
  const itemWidth = legendItemWidth(series);
  const perRow = Math.max(1, Math.floor(width / itemWidth));
  return series
    .map((name, i) => {
      const lx = x + (i % perRow) * itemWidth;
      const ly = y + Math.floor(i / perRow) * LEGEND_ROW_HEIGHT;
      const colour = seriesColour(name, i);
      const mark =
        kind === 'bar'
          ? `<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${colour}"/>`
          : `<line x1="${lx - 6}" y1="${ly - 4}" x2="${lx + 14}" y2="${ly - 4}" stroke="${colour}" stroke-width="2"${dashed(name) ? ' stroke-dasharray="5 3"' : ''}/>`;
      return mark + `<text x="${lx + (kind === 'bar' ? 14 : 18)}" y="${ly}" font-size="11">${escapeXml(name)}</text>`;
    })
    .join('');
}

function svgDocument(width: number, height: number, title: string, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="system-ui, -apple-system, Segoe UI, sans-serif" role="img" aria-label="${escapeXml(title)}">\n` +
    `<title>${escapeXml(title)}</title>\n<rect width="100%" height="100%" fill="#ffffff"/>\n` +
    `<text x="${width / 2}" y="22" font-size="15" font-weight="600" text-anchor="middle">${escapeXml(title)}</text>\n` +
    body +
    '</svg>\n'
  );
}

/** Grouped horizontal bars, one group per label, one bar per series, each labelled with its value. */
export function barChart(spec: BarChartSpec): string {
  const scale = spec.scale ?? 'linear';
  const series = seriesOrder(spec.groups.flatMap((g) => g.bars.map((b) => b.series)));
  const width = 820;
  // Room for the longest group label at about 6.2 px a character (11 px sans-serif).
  const left = Math.max(120, Math.ceil(Math.max(0, ...spec.groups.map((g) => g.label.length)) * 6.2) + 16);
  const right = 70;
  const top = 44 + legendRows(series, width - left - right) * LEGEND_ROW_HEIGHT;
  const barHeight = 14;
  const groupGap = 12;
  const plotWidth = width - left - right;
  const axis = makeAxis(spec.groups.flatMap((g) => g.bars.map((b) => b.value)), scale);
  const groupHeights = spec.groups.map((g) => Math.max(1, g.bars.length) * barHeight + groupGap);
  const plotHeight = groupHeights.reduce((a, b) => a + b, 0);
  const height = top + plotHeight + 50;
  const parts: string[] = [legend(series, left, 44, plotWidth, 'bar'), '\n'];
  for (const tick of axis.ticks) {
    const x = left + axis.at(tick) * plotWidth;
    parts.push(
      `<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${top + plotHeight}" stroke="#e5e7eb"/>` +
        `<text x="${x.toFixed(1)}" y="${top + plotHeight + 16}" font-size="10" text-anchor="middle">${shortNumber(tick)}</text>\n`,
    );
  }
  let y = top;
  spec.groups.forEach((group, gi) => {
    const h = groupHeights[gi]!;
    parts.push(
      `<text x="${left - 8}" y="${(y + (h - groupGap) / 2 + 4).toFixed(1)}" font-size="11" text-anchor="end">${escapeXml(group.label)}</text>\n`,
    );
    group.bars.forEach((bar, bi) => {
      const by = y + bi * barHeight;
      const w = Math.max(1, axis.at(bar.value) * plotWidth);
      const colour = seriesColour(bar.series, series.indexOf(bar.series));
      parts.push(
        `<rect x="${left}" y="${by + 1}" width="${w.toFixed(1)}" height="${barHeight - 2}" fill="${colour}">` +
          `<title>${escapeXml(`${group.label} — ${bar.series}: ${shortNumber(bar.value)}`)}</title></rect>` +
          `<text x="${(left + w + 4).toFixed(1)}" y="${by + barHeight - 3}" font-size="10">${shortNumber(bar.value)}</text>\n`,
      );
    });
    y += h;
  });
  parts.push(
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotHeight}" stroke="#374151"/>\n` +
      `<text x="${left + plotWidth / 2}" y="${height - 12}" font-size="11" text-anchor="middle">${escapeXml(spec.axis)}${scale === 'log' ? ' (log scale)' : ''}</text>\n`,
  );
  return svgDocument(width, height, spec.title, parts.join(''));
}

/** Lines with a marker at each point; several series on shared axes. */
export function lineChart(spec: LineChartSpec): string {
  const xScale = spec.xScale ?? 'linear';
  const yScale = spec.yScale ?? 'linear';
  const width = 640;
  const left = 70;
  const right = 30;
  const top = 44 + legendRows(spec.series.map((s) => s.name), width - left - right) * LEGEND_ROW_HEIGHT;
  const bottom = 60;
  const height = top + 300 + bottom;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const xs = spec.series.flatMap((s) => s.points.map((p) => p.x));
  const xAxis = makeAxis(xs, xScale);
  const yAxis = makeAxis(spec.series.flatMap((s) => s.points.map((p) => p.y)), yScale);
  const xTicks = spec.xTicks ?? [...new Set(xs)].sort((a, b) => a - b);
  const label = spec.xTickLabel ?? shortNumber;
  const px = (x: number) => left + xAxis.at(x) * plotWidth;
  const py = (y: number) => top + plotHeight - yAxis.at(y) * plotHeight;
  const names = spec.series.map((s) => s.name);
  const parts: string[] = [legend(names, left, 44, plotWidth, 'line'), '\n'];
  for (const tick of yAxis.ticks) {
    const y = py(tick).toFixed(1);
    parts.push(
      `<line x1="${left}" y1="${y}" x2="${left + plotWidth}" y2="${y}" stroke="#e5e7eb"/>` +
        `<text x="${left - 6}" y="${y}" font-size="10" text-anchor="end" dominant-baseline="middle">${shortNumber(tick)}</text>\n`,
    );
  }
  for (const tick of xTicks) {
    const x = px(tick).toFixed(1);
    parts.push(
      `<line x1="${x}" y1="${top}" x2="${x}" y2="${top + plotHeight}" stroke="#f3f4f6"/>` +
        `<text x="${x}" y="${top + plotHeight + 16}" font-size="10" text-anchor="middle">${escapeXml(label(tick))}</text>\n`,
    );
  }
  spec.series.forEach((s, i) => {
    const colour = seriesColour(s.name, i);
    const dash = dashed(s.name) ? ' stroke-dasharray="5 3"' : '';
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    parts.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="2"${dash} points="${pts.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')}"/>\n`,
    );
    for (const p of pts) {
      parts.push(
        `<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3.5" fill="${colour}">` +
          `<title>${escapeXml(`${s.name}: ${label(p.x)} → ${shortNumber(p.y)}`)}</title></circle>\n`,
      );
    }
  });
  parts.push(
    `<rect x="${left}" y="${top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#374151"/>\n` +
      `<text x="${left + plotWidth / 2}" y="${height - 18}" font-size="11" text-anchor="middle">${escapeXml(spec.xAxis)}${xScale === 'log' ? ' (log scale)' : ''}</text>\n` +
      `<text x="16" y="${top + plotHeight / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 16 ${top + plotHeight / 2})">${escapeXml(spec.yAxis)}${yScale === 'log' ? ' (log scale)' : ''}</text>\n`,
  );
  return svgDocument(width, height, spec.title, parts.join(''));
}
