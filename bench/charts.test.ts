import { describe, expect, it } from 'vitest';
import { formatNumber, linearScale, log10Scale, log2Scale, niceTicks, tickLabels } from './chart-scale.js';
import { lineChartSvg, svgToPng, type LineChart } from './charts.js';

describe('nice ticks', () => {
  it.each([
    ['0..97 in steps of 25', 0, 97, [0, 25, 50, 75, 100]],
    ['0..20700 in steps of 5k', 0, 20700, [0, 5000, 10000, 15000, 20000, 25000]],
    ['0.1..0.9 in steps of 0.2, without float noise', 0.1, 0.9, [0, 0.2, 0.4, 0.6, 0.8, 1]],
    ['-35..-5 below zero', -35, -5, [-40, -30, -20, -10, 0]],
    ['bounds given in reverse order', 97, 0, [0, 25, 50, 75, 100]],
    ['a flat 100 widened by 10% each way', 100, 100, [90, 95, 100, 105, 110]],
    ['a flat 0 as 0..1', 0, 0, [0, 0.25, 0.5, 0.75, 1]],
  ])('%s', (_name, lo, hi, ticks) => {
    expect(niceTicks(lo, hi)).toEqual(ticks);
  });

  it('a linear y axis keeps zero on it', () => {
    expect(linearScale([40, 60], true)).toMatchObject({ ticks: [0, 20, 40, 60], lo: 0, hi: 60 });
  });
});

describe('number formatting', () => {
  it.each([
    [20700, '20.7k'],
    [1500000, '1.5M'],
    [2.5e9, '2.5G'],
    [0.5, '0.5'],
    [0, '0'],
    [12, '12'],
    [1234, '1.23k'],
    [999999, '1M'],
    [-4200, '-4.2k'],
    [0.001234, '0.00123'],
  ])('%d reads %s', (n, text) => {
    expect(formatNumber(n)).toBe(text);
  });

  it('tick labels take more digits until no two read the same', () => {
    expect(tickLabels([10000, 10050, 10100])).toEqual(['10k', '10.05k', '10.1k']);
  });
});

describe('log axes', () => {
  it.each([
    ['log2: a tick at each distinct positive x, sorted', [64, 1, 16, 4, 4, 0, -1], [1, 4, 16, 64], 0, 6],
    ['log2: a single x in the middle of two octaves', [8], [8], 2, 4],
    ['log2: no x at all', [], [1], -1, 1],
  ])('%s', (_name, xs, ticks, lo, hi) => {
    expect(log2Scale(xs)).toMatchObject({ ticks, lo, hi });
  });

  it.each([
    ['log10: powers of ten around the data', [900, 20700], [100, 1000, 10000, 100000]],
    ['log10: a single power of ten gets one decade each side', [100], [10, 100, 1000]],
    ['log10: sub-unit values', [0.02, 0.5], [0.01, 0.1, 1]],
    ['log10: no y at all', [], [1, 10]],
  ])('%s', (_name, ys, ticks) => {
    expect(log10Scale(ys).ticks).toEqual(ticks);
  });
});

const count = (svg: string, tag: string) => svg.split(`<${tag} `).length - 1;
const base: LineChart = { title: 'Throughput', xLabel: 'workers', yLabel: 'items/s', series: [] };
const bad = undefined as unknown as { x: number; y: number };

describe('line chart SVG', () => {
  it.each([
    ['an empty series list draws axes and says there is no data', [], 0, 0, true],
    ['a series with one point draws its marker but no line', [{ x: 4, y: 10 }], 0, 1, false],
    [
      'NaN and missing points are skipped',
      [{ x: 1, y: NaN }, bad, { x: 2, y: 3 }, { x: NaN, y: 1 }, { x: 3, y: 4 }],
      1,
      2,
      false,
    ],
    ['a series whose points are all skipped counts as no data', [{ x: 1, y: NaN }], 0, 0, true],
  ])('%s', (_name, points, polylines, markers, noData) => {
    const svg = lineChartSvg({ ...base, series: points.length ? [{ label: 's', points }] : [] });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.endsWith('</svg>\n')).toBe(true);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    expect(count(svg, 'polyline')).toBe(polylines);
    // Each series also has one marker in the legend.
    expect(count(svg, 'circle')).toBe(markers + (points.length ? 1 : 0));
    expect(svg.includes('>no data<')).toBe(noData);
  });

  it('a flat series is a horizontal line within the plot', () => {
    const svg = lineChartSvg({
      ...base,
      series: [{ label: 'flat', points: [1, 2, 3].map((x) => ({ x, y: 5 })) }],
    });
    const ys = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)" r="3" fill="#0072B2"\/>/g)].map(
      (m) => m[1],
    );
    expect(new Set(ys.slice(0, 3)).size).toBe(1);
    // Between the plot's top (44) and its x axis (384).
    expect(Number(ys[0])).toBeGreaterThanOrEqual(44);
    expect(Number(ys[0])).toBeLessThanOrEqual(384);
  });

  it('log axes leave out points that are not positive', () => {
    const points = [0, 1, 4].flatMap((x) => [-1, 0, 10].map((y) => ({ x, y })));
    const svg = lineChartSvg({ ...base, xLog2: true, yLog10: true, series: [{ label: 's', points }] });
    expect(count(svg, 'circle')).toBe(2 + 1);
  });

  it('text is escaped and the same chart gives the same bytes', () => {
    const chart = { ...base, title: 'a < b & "c"', series: [{ label: 'x>y', points: [{ x: 1, y: 2 }] }] };
    const svg = lineChartSvg(chart);
    expect(svg).toContain('>a &lt; b &amp; &quot;c&quot;<');
    expect(svg).toContain('>x&gt;y<');
    expect(lineChartSvg(structuredClone(chart))).toBe(svg);
  });

  it('a small fixed chart draws as before', () => {
    const chart: LineChart = {
      ...base,
      xLog2: true,
      width: 480,
      height: 300,
      series: [
        {
          label: 'teamtask',
          points: [1, 4, 16, 64].map((x, i) => ({ x, y: [1200, 4700, 15500, 20700][i]! })),
        },
        { label: 'baseline', points: [1, 4, 16, 64].map((x) => ({ x, y: 150 * x })) },
      ],
    };
    expect(lineChartSvg(chart)).toMatchSnapshot();
  });
});

describe('PNG', () => {
  const chart: LineChart = {
    ...base,
    width: 400,
    height: 250,
    series: [{ label: 's', points: [{ x: 1, y: 1 }] }],
  };

  it('is a PNG of the chart size, with its text drawn in DejaVu Sans', () => {
    const png = svgToPng(lineChartSvg(chart));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // IHDR is the first chunk: length, type, then width and height.
    expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([400, 250]);
    // With no usable font resvg silently draws no text, and the title would change nothing.
    expect(svgToPng(lineChartSvg({ ...chart, title: '' })).equals(png)).toBe(false);
    const blank = `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="250"><rect width="400" height="250" fill="#ffffff"/></svg>`;
    const words = blank.replace(
      '</svg>',
      '<text x="10" y="100" font-family="DejaVu Sans">Throughput</text></svg>',
    );
    expect(svgToPng(words).equals(svgToPng(blank))).toBe(false);
  });
});
