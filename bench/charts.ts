// Line charts of benchmark results as standalone SVG, and PNG through resvg, with no browser or system fonts.
import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import { linearScale, log10Scale, log2Scale, tickLabels, type Scale } from './chart-scale.js';

export interface Series {
  label: string;
  points: Array<{ x: number; y: number }>;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** x axis in log2 scale, for worker counts 1, 4, 16, 64. */
  xLog2?: boolean;
  yLog10?: boolean;
  width?: number;
  height?: number;
}

// Okabe-Ito, which colour-blind readers can tell apart; its yellow comes last, as it is faint on white.
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000', '#F0E442'];
const MARGIN = { top: 44, bottom: 56, left: 72 };
// DejaVu Sans averages about 0.6 em a character: enough to size the legend without measuring text.
const CHAR_W = 7.2;
const FONT_FAMILY = 'DejaVu Sans';

// Coordinates to 0.1 px: finer is invisible and would only make the output noisy.
const n = (v: number): string => String(Math.round(v * 10) / 10);
const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const text = (x: number, y: number, s: string, attrs = ''): string =>
  `<text x="${n(x)}" y="${n(y)}"${attrs}>${esc(s)}</text>`;

/** A complete SVG document for `chart`; the same chart always gives the same bytes. */
export function lineChartSvg(chart: LineChart): string {
  const [w, h] = [chart.width ?? 720, chart.height ?? 440];
  // The legend, right of the plot, takes what its longest label needs, up to 40% of the width.
  const longest = Math.max(0, ...chart.series.map((s) => s.label.length));
  const legendW = Math.min(w * 0.4, chart.series.length ? 56 + longest * CHAR_W : 24);
  const maxChars = Math.floor((w * 0.4 - 56) / CHAR_W);
  const [left, top, right, bottom] = [MARGIN.left, MARGIN.top, w - legendW, h - MARGIN.bottom];
  // Points that cannot be drawn (NaN, missing, or not positive on a log axis) are left out; lines run left to right.
  const ok = (v: unknown, log?: boolean): v is number => Number.isFinite(v) && (!log || (v as number) > 0);
  const series = chart.series.map((s) => ({
    label: s.label,
    points: (s.points ?? [])
      .filter((p) => p != null && ok(p.x, chart.xLog2) && ok(p.y, chart.yLog10))
      .sort((a, b) => a.x - b.x),
  }));
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  const sx = chart.xLog2 ? log2Scale(xs) : linearScale(xs);
  const sy = chart.yLog10 ? log10Scale(ys) : linearScale(ys, true);
  const at = (s: Scale, v: number, from: number, to: number) =>
    from + ((s.f(v) - s.lo) / (s.hi - s.lo)) * (to - from);
  const px = (x: number) => at(sx, x, left, right);
  const py = (y: number) => at(sy, y, bottom, top);

  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="${FONT_FAMILY}" font-size="12" fill="#222">`,
    `<rect width="${w}" height="${h}" fill="#ffffff"/>`,
  ];
  if (chart.title) out.push(text(w / 2, 26, chart.title, ' text-anchor="middle" font-size="16"'));
  // Grid lines first, so that axes and data are drawn over them.
  const grid = [
    ...sx.ticks.map((t) => `M${n(px(t))} ${top}V${bottom}`),
    ...sy.ticks.map((t) => `M${left} ${n(py(t))}H${right}`),
  ];
  out.push(`<path d="${grid.join('')}" stroke="#e6e6e6" fill="none"/>`);
  out.push(`<path d="M${left} ${top}V${bottom}H${right}" stroke="#444" fill="none"/>`);
  tickLabels(sx.ticks).forEach((l, i) =>
    out.push(text(px(sx.ticks[i]!), bottom + 18, l, ' text-anchor="middle"')),
  );
  // +4 centres 12px digits on the tick line; resvg and browsers agree on it, unlike dominant-baseline.
  tickLabels(sy.ticks).forEach((l, i) =>
    out.push(text(left - 8, py(sy.ticks[i]!) + 4, l, ' text-anchor="end"')),
  );
  out.push(text((left + right) / 2, h - 14, chart.xLabel, ' text-anchor="middle"'));
  const midY = (top + bottom) / 2;
  out.push(text(18, midY, chart.yLabel, ` text-anchor="middle" transform="rotate(-90 18 ${n(midY)})"`));
  if (!all.length) out.push(text((left + right) / 2, midY, 'no data', ' text-anchor="middle" fill="#888"'));

  series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length]!;
    const xy = s.points.map((p) => [n(px(p.x)), n(py(p.y))] as const);
    // One point makes no line, but its marker still shows.
    if (xy.length > 1) {
      const pts = xy.map(([x, y]) => `${x},${y}`).join(' ');
      out.push(`<polyline points="${pts}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    }
    for (const [x, y] of xy) out.push(`<circle cx="${x}" cy="${y}" r="3" fill="${colour}"/>`);
    const ly = top + 8 + i * 20;
    out.push(`<path d="M${right + 16} ${ly}h20" stroke="${colour}" stroke-width="2"/>`);
    out.push(`<circle cx="${right + 26}" cy="${ly}" r="3" fill="${colour}"/>`);
    const label = s.label.length > maxChars ? `${s.label.slice(0, Math.max(0, maxChars - 1))}…` : s.label;
    out.push(text(right + 42, ly + 4, label));
  });
  out.push('</svg>', '');
  return out.join('\n');
}

/** Renders `svg` to PNG with only the DejaVu Sans from dejavu-fonts-ttf, so it looks the same on every machine. */
export function svgToPng(svg: string): Buffer {
  // Resolved from this file, not the cwd, so the bench can be run from anywhere.
  const font = createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
  const opts = { font: { fontFiles: [font], loadSystemFonts: false, defaultFontFamily: FONT_FAMILY } };
  return new Resvg(svg, opts).render().asPng();
}
