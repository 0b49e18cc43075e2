// Tiny SVG builders that return strings. Every attribute value and every text node is escaped
// here, so views can put op values (which are arbitrary user data) into a drawing safely.
// Numbers are rounded to 2 decimals: plenty for pixels, and it keeps reports small and stable.
import { escapeHtml } from './html.js';

export type AttrValue = string | number | boolean | null | undefined;
/** Attributes by their SVG names (`stroke-width`, `viewBox`); null, undefined and false are left out. */
export type Attrs = Record<string, AttrValue>;
export type Children = string | readonly string[];

/** A number as SVG text: at most 2 decimals, no trailing zeros, no "-0". */
export function num(n: number): string {
  if (!Number.isFinite(n)) return '0';
  const r = Math.round(n * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

/** ` name="value"` for each attribute, in the order given. */
export function attrs(a: Attrs = {}): string {
  let out = '';
  for (const [k, v] of Object.entries(a)) {
    if (v === null || v === undefined || v === false) continue;
    const text = v === true ? k : typeof v === 'number' ? num(v) : v;
    out += ` ${k}="${escapeHtml(text)}"`;
  }
  return out;
}

function join(children: Children | undefined): string {
  return children === undefined ? '' : typeof children === 'string' ? children : children.join('');
}

/** Any element; children are markup (already escaped). Without children it self-closes. */
export function el(name: string, a: Attrs = {}, children?: Children): string {
  const inner = join(children);
  return inner === '' ? `<${name}${attrs(a)}/>` : `<${name}${attrs(a)}>${inner}</${name}>`;
}

/** The root element; a viewBox lets CSS scale it down without distorting it. */
export function svg(width: number, height: number, children: Children, a: Attrs = {}): string {
  return el(
    'svg',
    { xmlns: 'http://www.w3.org/2000/svg', width, height, viewBox: `0 0 ${num(width)} ${num(height)}`, ...a },
    join(children) || ' ',
  );
}

export function rect(a: Attrs, children?: Children): string {
  return el('rect', a, children);
}

export function line(a: Attrs): string {
  return el('line', a);
}

export function circle(a: Attrs, children?: Children): string {
  return el('circle', a, children);
}

/** A polyline through `points` ([x, y] pairs). */
export function polyline(points: readonly (readonly [number, number])[], a: Attrs = {}): string {
  return el('polyline', { points: points.map(([x, y]) => `${num(x)},${num(y)}`).join(' '), fill: 'none', ...a });
}

/** A text node: `content` is plain text and is escaped here. */
export function text(a: Attrs, content: string): string {
  return `<text${attrs(a)}>${escapeHtml(content)}</text>`;
}

export function group(a: Attrs, children: Children): string {
  return el('g', a, join(children) || ' ');
}

/** A tooltip: put it first inside the element (or group) it describes. Plain text, escaped. */
export function title(content: string): string {
  return `<title>${escapeHtml(content)}</title>`;
}
