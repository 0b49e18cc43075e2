// An SVG timeline of operations: one lane per process, one bar per op from invocation to
// completion. Generic on purpose: callers (each checker's view) map their ops to bars, so every
// counterexample view draws ops the same way and a reader learns the picture once.
import { escapeHtml } from './html.js';
import { type Attrs, circle, el, group, line, num, polyline, rect, svg, text, title } from './svg.js';

export type BarOutcome = 'ok' | 'fail' | 'unknown';

export interface TimelineBar {
  id: string | number;
  /** The lane (process) the bar is drawn in; also its label at the left. */
  lane: string;
  /** Invocation, in axis units (nanoseconds or history position). */
  start: number;
  /** Completion, or null when the outcome is unknown: the bar then runs to the right edge. */
  end: number | null;
  outcome: BarOutcome;
  /** Short text inside the bar (truncated to fit). */
  label: string;
  /** Full text shown on hover. */
  tooltip: string;
  /** Drawn with a strong red outline (e.g. the op where a check fails). */
  highlight?: boolean;
  /** Drawn with a blue dashed outline: an op the evidence rests on without citing it (e.g. the write that set the state). */
  accent?: boolean;
}

export interface PathPoint {
  /** The bar the point sits on. */
  id: string | number;
  /** Where on the bar, in axis units (clamped into the bar). */
  x: number;
  /** Text of its numbered dot (default: its 1-based place in the path). */
  label?: string;
  tooltip?: string;
}

export interface TimelinePath {
  /** Joined in this order by a line drawn above the bars. */
  points: PathPoint[];
  /** A bar the path could not reach: a dashed red segment from the last point ends on it in a cross. */
  missing?: { id: string | number; text?: string };
}

export interface TimelineSpec {
  bars: TimelineBar[];
  /** 'time': start/end are nanoseconds, shown as a ms scale; 'position': places in the history. */
  axis: 'time' | 'position';
  /** Replaces the default axis caption. */
  axisLabel?: string;
  /** Text of the tick at axis value `v` (default: the value, in ms on a time axis); '' skips the tick. */
  tickLabel?: (v: number) => string;
  /** The visible window (axis units); bars outside it are left out, bars crossing it are cut with a chevron. */
  from?: number;
  to?: number;
  /** Lane order; default: lanes of the bars, sorted with numbers in numeric order. */
  lanes?: string[];
  path?: TimelinePath;
  /** Pixel width of the drawing (default 1000); it scales down to fit the page. */
  width?: number;
  /** Accessible name of the drawing. */
  ariaLabel?: string;
  /** Prefix of the ids this drawing defines (patterns); set it when a page holds several timelines. */
  idPrefix?: string;
  /**
   * Every label shown whole (up to LABEL_MAX characters): a label too long for its bar is written
   * beside it, and a lane grows a row where labels would otherwise overlap. Default: labels are
   * cut to fit inside their bars (the tooltip has the rest).
   */
  fitLabels?: boolean;
}

/** Longest label drawn beside a bar in fitLabels mode. */
const LABEL_MAX = 40;
const SUBROW_H = 24;

// Layout in pixels.
const LABEL_W = 120;
const RIGHT_PAD = 28;
const TOP = 22; // room above the first lane for a note on its bars
const LANE_H = 30;
const BAR_H = 18;
const AXIS_H = 46;
const BOTTOM_GAP = 14; // between the last lane and the axis, for a note under its bars
const MIN_BAR_W = 5;
const CHAR_W = 6.3; // average width of an 11px sans-serif character, to truncate labels

const COLORS: Record<BarOutcome, { fill: string; stroke: string; text: string }> = {
  ok: { fill: '#d5ecd8', stroke: '#3d8b4c', text: '#173d1f' },
  fail: { fill: '#ececec', stroke: '#9a9a9a', text: '#6b6b6b' },
  unknown: { fill: '#fff4d6', stroke: '#c08400', text: '#5c3f00' },
};
const HIGHLIGHT = '#d40000';
const ACCENT = '#1f5fbf';
const PATH = '#1f5fbf';

/** The bar's fill: unknown outcomes are hatched, so they read as "maybe" even in grey print. */
function fillOf(outcome: BarOutcome, hatchId: string): string {
  return outcome === 'unknown' ? `url(#${hatchId})` : COLORS[outcome].fill;
}

function hatchPattern(id: string): string {
  return el('pattern', { id, width: 8, height: 8, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' }, [
    rect({ width: 8, height: 8, fill: COLORS.unknown.fill }),
    line({ x1: 0, y1: 0, x2: 0, y2: 8, stroke: '#e7b85a', 'stroke-width': 3 }),
  ]);
}

/** 1, 2 or 5 times a power of ten, near `rough`. */
function niceStep(rough: number): number {
  if (!(rough > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(rough));
  const m = rough / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

function truncate(s: string, maxChars: number): string {
  if (maxChars < 2) return '';
  return s.length <= maxChars ? s : `${s.slice(0, Math.max(1, maxChars - 1))}…`;
}

const byNumbers = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/** The SVG timeline (a string holding one <svg> element). */
export function processTimeline(spec: TimelineSpec): string {
  const width = spec.width ?? 1000;
  const prefix = spec.idPrefix ?? 'tl';
  const hatchId = `${prefix}-hatch`;
  const x0 = LABEL_W;
  const x1 = width - RIGHT_PAD;

  // The window, padded a little so bars at its edges do not sit on the frame.
  // (loops, not Math.min(...spread): a caller may pass more bars than the stack holds arguments)
  let from = spec.from ?? Infinity;
  let to = spec.to ?? -Infinity;
  for (const b of spec.bars) {
    if (spec.from === undefined) from = Math.min(from, b.start);
    if (spec.to === undefined) to = Math.max(to, b.end ?? b.start, b.start);
  }
  const lo = Number.isFinite(from) ? from : 0;
  const hi = Number.isFinite(to) && to > lo ? to : lo + 1;
  const pad = (hi - lo) * 0.03;
  const d0 = lo - pad;
  const d1 = hi + pad;
  const sx = (v: number) => x0 + ((v - d0) / (d1 - d0)) * (x1 - x0);

  const visible = spec.bars.filter((b) => b.start <= hi && (b.end === null || b.end >= lo));
  const lanes = spec.lanes ?? [...new Set(visible.map((b) => b.lane))].sort(byNumbers);
  const laneOf = new Map(lanes.map((l, i) => [l, i]));

  // Pixel extent of each drawn bar, for the path to land on.
  const placed = new Map<string | number, Placed>();
  for (const bar of visible) {
    const lane = laneOf.get(bar.lane);
    if (lane === undefined) continue;
    const rawLeft = sx(bar.start);
    const cutLeft = rawLeft < x0;
    const left = Math.max(rawLeft, x0);
    const cutRight = bar.end !== null && sx(bar.end) > x1;
    let right = bar.end === null ? width - 6 : Math.min(sx(bar.end), x1);
    if (right - left < MIN_BAR_W) right = left + MIN_BAR_W;
    placed.set(bar.id, { bar, left, right, cy: 0, cutLeft, cutRight, lane, row: 0 });
  }
  // Rows within lanes: one each, or in fitLabels mode as many as the labels beside bars need.
  const rows = spec.fitLabels ? fitLabelRows([...placed.values()], lanes.length, x0, width) : new Array<number>(lanes.length).fill(1);
  const laneH = rows.map((r) => (spec.fitLabels ? Math.max(LANE_H, r * SUBROW_H + 6) : LANE_H));
  const laneTop: number[] = [];
  let y = TOP;
  for (const h of laneH) {
    laneTop.push(y);
    y += h;
  }
  const plotBottom = y + BOTTOM_GAP;
  const height = plotBottom + AXIS_H;
  for (const p of placed.values()) {
    p.cy = spec.fitLabels ? laneTop[p.lane] + (laneH[p.lane] - rows[p.lane] * SUBROW_H) / 2 + p.row * SUBROW_H + SUBROW_H / 2 : laneTop[p.lane] + LANE_H / 2;
  }

  const out: string[] = [el('defs', {}, hatchPattern(hatchId))];
  out.push(lanesLayer(lanes, width, laneTop, laneH));
  out.push(gridAndAxis(spec, d0, d1, sx, plotBottom, x0, x1));
  for (const p of placed.values()) out.push(barShape(p, hatchId, spec.fitLabels === true));
  if (spec.path) out.push(pathLayer(spec.path, placed, sx, width));
  return svg(width, height, out, {
    role: 'img',
    'aria-label': spec.ariaLabel ?? 'operation timeline',
    class: 'timeline',
    'font-family': 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif',
    'font-size': 11,
  });
}

interface Placed {
  bar: TimelineBar;
  left: number;
  right: number;
  cy: number;
  cutLeft: boolean;
  cutRight: boolean;
  lane: number;
  /** Row within the lane (fitLabels mode). */
  row: number;
  /** Where its label goes in fitLabels mode: inside the bar, right of it, or left of it. */
  labelAt?: 'inside' | 'right' | 'left';
  labelText?: string;
}

const labelWidth = (s: string) => s.length * CHAR_W;

/**
 * Places each bar's whole label (inside its bar when it fits, else beside it, on the side with
 * room) and gives each bar the first row of its lane where bar and label overlap nothing drawn
 * there before. Returns the rows each lane needs.
 */
function fitLabelRows(placed: Placed[], laneCount: number, x0: number, width: number): number[] {
  const rowEnds: number[][] = Array.from({ length: laneCount }, () => []);
  const sorted = [...placed].sort((a, b) => a.lane - b.lane || a.left - b.left);
  for (const p of sorted) {
    const text = truncate(p.bar.label, LABEL_MAX);
    const w = labelWidth(text);
    let from = p.left;
    let to = p.right;
    if (w + 10 <= p.right - p.left) p.labelAt = 'inside';
    else if (p.right + 4 + w <= width - 4) {
      p.labelAt = 'right';
      to = p.right + 4 + w;
    } else {
      p.labelAt = 'left';
      from = Math.max(x0, p.left - 4 - w);
    }
    p.labelText = p.labelAt === 'left' ? truncate(text, Math.floor((p.left - 4 - x0) / CHAR_W)) : text;
    const ends = rowEnds[p.lane];
    let row = ends.findIndex((end) => end + 3 <= from);
    if (row < 0) {
      row = ends.length;
      ends.push(to);
    } else ends[row] = to;
    p.row = row;
  }
  return rowEnds.map((r) => Math.max(1, r.length));
}

function lanesLayer(lanes: string[], width: number, laneTop: number[], laneH: number[]): string {
  return group(
    { class: 'lanes' },
    lanes.map((label, i) =>
      group({}, [
        rect({ x: 0, y: laneTop[i], width, height: laneH[i], fill: i % 2 ? '#ffffff' : '#f6f7f9' }),
        text(
          { x: LABEL_W - 10, y: laneTop[i] + laneH[i] / 2, 'text-anchor': 'end', 'dominant-baseline': 'central', fill: '#3a3a3c' },
          truncate(label, 17),
        ),
      ]),
    ),
  );
}

function gridAndAxis(
  spec: TimelineSpec,
  d0: number,
  d1: number,
  sx: (v: number) => number,
  bottom: number,
  x0: number,
  x1: number,
): string {
  // Ticks are chosen in display units (ms or positions) so their labels are round numbers.
  const scale = spec.axis === 'time' ? 1e6 : 1;
  const span = (d1 - d0) / scale;
  const step = spec.axis === 'time' ? niceStep(span / 8) : Math.max(1, niceStep(span / 8));
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  const parts: string[] = [];
  const first = Math.ceil(d0 / scale / step);
  for (let k = first; k * step <= d1 / scale + 1e-9; k++) {
    const t = k * step; // from an integer count, so labels do not drift by float error
    const x = sx(t * scale);
    if (x < x0 - 0.5 || x > x1 + 0.5) continue;
    const label = spec.tickLabel ? spec.tickLabel(t * scale) : t.toFixed(decimals);
    if (label === '') continue;
    parts.push(line({ x1: x, y1: 0, x2: x, y2: bottom, stroke: '#e2e3e6', 'stroke-width': 1 }));
    parts.push(line({ x1: x, y1: bottom, x2: x, y2: bottom + 5, stroke: '#8e8e93' }));
    parts.push(text({ x, y: bottom + 17, 'text-anchor': 'middle', fill: '#515154' }, label));
  }
  parts.push(line({ x1: x0, y1: bottom, x2: x1, y2: bottom, stroke: '#8e8e93' }));
  const caption = spec.axisLabel ?? (spec.axis === 'time' ? 'time since the test started (ms)' : 'history position');
  parts.push(text({ x: (x0 + x1) / 2, y: bottom + 36, 'text-anchor': 'middle', fill: '#515154' }, caption));
  return group({ class: 'axis' }, parts);
}

function barShape(p: Placed, hatchId: string, fit: boolean): string {
  const { bar, left, right, cy } = p;
  const c = COLORS[bar.outcome];
  const y = cy - BAR_H / 2;
  const w = right - left;
  const body: Attrs = {
    x: left, y, width: w, height: BAR_H, rx: 3,
    fill: fillOf(bar.outcome, hatchId), stroke: c.stroke, 'stroke-width': 1.2,
    'stroke-dasharray': bar.outcome === 'unknown' ? '4 3' : undefined,
  };
  const parts = [title(bar.tooltip), rect(body)];
  // Chevrons say "this bar goes on beyond the window" (or, for unknown outcomes, forever).
  if (p.cutLeft) parts.push(chevron(left + 5, cy, -1, c.stroke));
  if (p.cutRight || bar.end === null) parts.push(chevron(right - 5, cy, 1, c.stroke));
  const strike = bar.outcome === 'fail' ? 'line-through' : undefined;
  if (fit && p.labelAt !== undefined && p.labelAt !== 'inside') {
    // Beside the bar, in the text colour of its outcome, so it reads as this bar's.
    if (p.labelText) {
      const right = p.labelAt === 'right';
      parts.push(
        text(
          { class: 'label', x: right ? p.right + 4 : left - 4, y: cy, 'text-anchor': right ? 'start' : 'end', 'dominant-baseline': 'central', fill: c.text, 'text-decoration': strike },
          p.labelText,
        ),
      );
    }
  } else {
    const room = Math.floor((w - 16) / CHAR_W);
    const label = fit ? (p.labelText ?? '') : truncate(bar.label, room);
    if (label) {
      parts.push(
        text(
          { class: 'label', x: left + (p.cutLeft ? 12 : 5), y: cy, 'dominant-baseline': 'central', fill: c.text, 'text-decoration': strike },
          label,
        ),
      );
    }
  }
  if (bar.accent && !bar.highlight) {
    parts.push(rect({ x: left - 2.5, y: y - 2.5, width: w + 5, height: BAR_H + 5, rx: 4, fill: 'none', stroke: ACCENT, 'stroke-width': 2.5, 'stroke-dasharray': '5 3' }));
  }
  if (bar.highlight) {
    parts.push(rect({ x: left - 2.5, y: y - 2.5, width: w + 5, height: BAR_H + 5, rx: 4, fill: 'none', stroke: HIGHLIGHT, 'stroke-width': 3 }));
  }
  return group(
    { class: bar.highlight ? 'bar highlight' : bar.accent ? 'bar accent' : 'bar', 'data-id': String(bar.id), 'data-outcome': bar.outcome },
    parts,
  );
}

function chevron(x: number, cy: number, dir: 1 | -1, color: string): string {
  return polyline([[x - 3 * dir, cy - 4], [x, cy], [x - 3 * dir, cy + 4]], { stroke: color, 'stroke-width': 1.5 });
}

function pathLayer(
  path: TimelinePath,
  placed: Map<string | number, { bar: TimelineBar; left: number; right: number; cy: number }>,
  sx: (v: number) => number,
  width: number,
): string {
  const pts: { x: number; y: number; label: string; tooltip: string }[] = [];
  path.points.forEach((pt, k) => {
    const p = placed.get(pt.id);
    if (!p) return;
    // Kept inside the drawn bar (a bar cut at the window's edge, or widened to its minimum
    // width, still holds its point), with a margin so the dot reads as "on this bar".
    pts.push({ x: clampX(sx(pt.x), p.left + 4, p.right - 4), y: p.cy, label: pt.label ?? String(k + 1), tooltip: pt.tooltip ?? p.bar.tooltip });
  });
  const parts: string[] = [];
  const xy = pts.map((p) => [p.x, p.y] as const);
  if (xy.length > 1) {
    // A white halo under the line keeps it legible where it crosses bars and labels.
    parts.push(polyline(xy, { stroke: '#ffffff', 'stroke-width': 4, 'stroke-linejoin': 'round', opacity: 0.6 }));
    parts.push(polyline(xy, { stroke: PATH, 'stroke-width': 2, 'stroke-linejoin': 'round' }));
  }
  const miss = path.missing ? placed.get(path.missing.id) : undefined;
  if (path.missing && miss) {
    const last = pts[pts.length - 1];
    // The cross sits at the bar's right end, its completion: the latest moment the op could
    // have taken effect, clear of the bar's label at the left. A bar too short to hold it keeps
    // its red outline visible: the cross goes just beside it.
    const roomy = miss.right - miss.left >= 36;
    const tx = roomy ? miss.right - 10 : miss.right + 20 <= width ? miss.right + 11 : miss.left - 11;
    if (last) {
      parts.push(line({ x1: last.x, y1: last.y, x2: tx, y2: miss.cy, stroke: HIGHLIGHT, 'stroke-width': 2, 'stroke-dasharray': '5 4' }));
    }
    parts.push(
      group({ class: 'missing' }, [
        title(path.missing.text ?? 'the path cannot reach this op'),
        circle({ cx: tx, cy: miss.cy, r: 8, fill: '#ffffff', stroke: HIGHLIGHT, 'stroke-width': 2 }),
        line({ x1: tx - 4, y1: miss.cy - 4, x2: tx + 4, y2: miss.cy + 4, stroke: HIGHLIGHT, 'stroke-width': 2.2 }),
        line({ x1: tx - 4, y1: miss.cy + 4, x2: tx + 4, y2: miss.cy - 4, stroke: HIGHLIGHT, 'stroke-width': 2.2 }),
        path.missing.text
          ? text(
              {
                // on the side with room (the op that fails usually ends the window, at the right),
                // and above or below the cross, away from the dashed line coming in
                x: tx > width / 2 ? tx - 12 : tx + 12, y: last && last.y < miss.cy ? miss.cy + 20 : miss.cy - 12,
                fill: HIGHLIGHT, 'font-weight': 700,
                'text-anchor': tx > width / 2 ? 'end' : 'start',
                stroke: '#ffffff', 'stroke-width': 3, 'paint-order': 'stroke',
              },
              path.missing.text,
            )
          : '',
      ]),
    );
  }
  // Dots last, so their numbers sit above both lines.
  for (const p of pts) {
    const r = 7 + Math.max(0, p.label.length - 1) * 2.6;
    parts.push(
      group({ class: 'step' }, [
        title(`${p.label}: ${p.tooltip}`),
        circle({ cx: p.x, cy: p.y, r, fill: PATH, stroke: '#ffffff', 'stroke-width': 1.5 }),
        text({ x: p.x, y: p.y, 'text-anchor': 'middle', 'dominant-baseline': 'central', fill: '#ffffff', 'font-size': 9.5, 'font-weight': 700 }, p.label),
      ]),
    );
  }
  return group({ class: 'path' }, parts);
}

function clampX(x: number, a: number, b: number): number {
  return b < a ? (a + b) / 2 : Math.min(b, Math.max(a, x));
}

export interface LegendSpec {
  /** Text for the highlighted bar, e.g. "the op that cannot be linearized". */
  highlight?: string;
  /** Text for an accented bar (blue dashed outline). */
  accent?: string;
  /** Text for the path and its numbered dots. */
  path?: string;
  /** Text for the red cross where the path stops. */
  missing?: string;
}

/** An HTML legend (<ul class="legend">) for processTimeline's drawing; styled by report/html.ts's page. */
export function timelineLegend(spec: LegendSpec = {}): string {
  const sw = (children: string[]) => svg(34, 20, children, { 'aria-hidden': 'true' });
  const bar = (o: BarOutcome, extra: Attrs = {}) =>
    rect({ x: 2, y: 3, width: 30, height: 14, rx: 3, fill: fillOf(o, 'legend-hatch'), stroke: COLORS[o].stroke, 'stroke-width': 1.2, 'stroke-dasharray': o === 'unknown' ? '4 3' : undefined, ...extra });
  const items: [string, string][] = [
    [sw([bar('ok')]), 'ok: took effect between its invocation (left end) and its completion (right end)'],
    [sw([bar('fail')]), 'fail: certainly did not take effect'],
    [sw([el('defs', {}, hatchPattern('legend-hatch')), bar('unknown')]), 'unknown (info, or no response): may take effect at any time after its invocation, or never, so the bar runs on'],
  ];
  if (spec.highlight) items.push([sw([bar('ok'), rect({ x: 1, y: 2, width: 32, height: 16, rx: 4, fill: 'none', stroke: HIGHLIGHT, 'stroke-width': 2.5 })]), spec.highlight]);
  if (spec.accent) items.push([sw([bar('ok'), rect({ x: 1, y: 2, width: 32, height: 16, rx: 4, fill: 'none', stroke: ACCENT, 'stroke-width': 2, 'stroke-dasharray': '5 3' })]), spec.accent]);
  if (spec.path) {
    items.push([
      sw([line({ x1: 2, y1: 10, x2: 32, y2: 10, stroke: PATH, 'stroke-width': 2 }), circle({ cx: 17, cy: 10, r: 7, fill: PATH }), text({ x: 17, y: 10, 'text-anchor': 'middle', 'dominant-baseline': 'central', fill: '#fff', 'font-size': 9, 'font-weight': 700 }, '1')]),
      spec.path,
    ]);
  }
  if (spec.missing) {
    items.push([
      sw([line({ x1: 2, y1: 10, x2: 17, y2: 10, stroke: HIGHLIGHT, 'stroke-width': 2, 'stroke-dasharray': '4 3' }), circle({ cx: 24, cy: 10, r: 7, fill: '#fff', stroke: HIGHLIGHT, 'stroke-width': 2 }), line({ x1: 21, y1: 7, x2: 27, y2: 13, stroke: HIGHLIGHT, 'stroke-width': 2 }), line({ x1: 21, y1: 13, x2: 27, y2: 7, stroke: HIGHLIGHT, 'stroke-width': 2 })]),
      spec.missing,
    ]);
  }
  return `<ul class="legend">${items.map(([s, t]) => `<li>${s}<span>${escapeHtml(t)}</span></li>`).join('')}</ul>`;
}
