import { describe, expect, it } from 'vitest';
import { barChart, escapeXml, lineChart, makeAxis, shortNumber } from '../../bench/charts.js';

/** Values of an attribute on every element of a tag, in document order. */
function attrs(svg: string, tag: string, attr: string): string[] {
  return [...svg.matchAll(new RegExp(`<${tag}\\b[^>]*\\s${attr}="([^"]*)"`, 'g'))].map((m) => m[1]!);
}

describe('charts', () => {
  it('charts - shortNumber abbreviates thousands, millions and keeps small figures', () => {
    expect(shortNumber(1_234_567)).toBe('1.23M');
    expect(shortNumber(8_400)).toBe('8.4k');
    expect(shortNumber(0.46)).toBe('0.46');
    expect(shortNumber(2_000_000_000)).toBe('2G');
  });

  it('charts - a log axis spans whole decades and maps them evenly', () => {
    const axis = makeAxis([3, 4_000], 'log');
    expect(axis.ticks).toEqual([1, 10, 100, 1000, 10000]);
    expect(axis.at(1)).toBe(0);
    expect(axis.at(100)).toBeCloseTo(0.5);
    expect(axis.at(10000)).toBe(1);
  });

  it('charts - a linear axis starts at zero and ends at a round figure above the maximum', () => {
    const axis = makeAxis([0.3, 7.2], 'linear');
    expect(axis.ticks[0]).toBe(0);
    expect(axis.ticks.at(-1)!).toBeGreaterThanOrEqual(7.2);
    expect(axis.at(axis.ticks.at(-1)!)).toBe(1);
  });

  it('charts - bar chart draws one bar per value, longer for larger values, with labels escaped', () => {
    const svg = barChart({
      title: 'R1 <ping> & pong',
      axis: 'msgs/s',
      groups: [
        { label: 'R1 same-thread', bars: [{ series: 'postbox', value: 4_000_000 }, { series: 'erlang', value: 2_000_000 }] },
        { label: 'R3', bars: [{ series: 'postbox', value: 1_000_000 }, { series: 'nact', value: 250_000 }] },
      ],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('<title>R1 &lt;ping&gt; &amp; pong</title>');
    // Legend squares (3 series) then 4 bars.
    const widths = attrs(svg, 'rect', 'width').slice(1).map(Number);
    const bars = widths.slice(3);
    expect(bars).toHaveLength(4);
    expect(bars[0]).toBeCloseTo(bars[1]! * 2, 0);
    expect(bars[0]).toBeGreaterThan(bars[2]!);
    expect(svg).toContain('>4M<');
    expect(svg).toContain('>250k<');
    // The same input gives the same picture.
    expect(barChart({ title: 't', axis: 'a', groups: [] })).toBe(barChart({ title: 't', axis: 'a', groups: [] }));
  });

  it('charts - line chart puts higher values higher up, one polyline per series', () => {
    const svg = lineChart({
      title: 'R5',
      xAxis: 'K',
      yAxis: 'µs',
      yScale: 'log',
      series: [
        { name: 'postbox ref', points: [{ x: 0, y: 0.5 }, { x: 10_000, y: 0.6 }] },
        { name: 'erlang scan', points: [{ x: 0, y: 0.5 }, { x: 10_000, y: 150 }] },
      ],
    });
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    const cy = attrs(svg, 'circle', 'cy').map(Number);
    expect(cy).toHaveLength(4);
    // SVG y grows downwards: the slow scan point is above the flat ref line.
    expect(cy[3]).toBeLessThan(cy[1]!);
    expect(svg).toContain('stroke-dasharray'); // scan series dashed
    expect(escapeXml('"a"')).toBe('&quot;a&quot;');
  });
});
