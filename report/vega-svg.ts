// Vega-Lite specs to SVG strings, in Node, with no browser: compile to Vega, run the dataflow
// headless (renderer 'none') and serialize the scene. Data is always inline; the loader refuses
// every URL and file, so rendering a report never touches the network or the disk.
import type { Loader } from 'vega';
import type { compile as Compile, TopLevelSpec } from 'vega-lite';
import { escapeHtml } from './html.js';

export interface VegaSvg {
  svg: string;
  /** What Vega-Lite and Vega warned about (a spec that renders but not as meant). */
  warnings: string[];
}

type Logger = NonNullable<Parameters<typeof Compile>[1]>['logger'] & object;

// Vega and Vega-Lite take most of a second to import: loaded on the first plot, so commands
// that never draw one (check, analyze without a report) do not pay for them.
let libraries: Promise<[typeof import('vega'), typeof import('vega-lite')]> | undefined;
function load() {
  libraries ??= Promise.all([import('vega'), import('vega-lite')]);
  return libraries;
}

function collectingLogger(warnings: string[]): Logger {
  let level = 2; // vega-util's Warn
  const logger = {
    level(l?: number) {
      if (l === undefined) return level;
      level = l;
      return logger;
    },
    error(...args: readonly unknown[]) {
      warnings.push(`error: ${args.map(String).join(' ')}`);
      return logger;
    },
    warn(...args: readonly unknown[]) {
      warnings.push(args.map(String).join(' '));
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger as unknown as Logger;
}

function refusingLoader(vegaLoader: () => Loader): Loader {
  const refuse = async (uri: unknown): Promise<never> => {
    throw new Error(`report plots use inline data only; refused to load ${String(uri)}`);
  };
  return { ...vegaLoader(), load: refuse, sanitize: refuse, http: refuse, file: refuse } as Loader;
}

// Vega writes coordinates with full float precision (translate(329.99999999999994,15));
// two decimals are plenty for pixels and make a plot of thousands of points a third smaller.
const LONG_DECIMALS = /(-?\d+\.\d\d)\d+/g;
function roundGeometry(svg: string): string {
  return svg.replace(/ (d|transform|x|y|x1|x2|y1|y2|width|height)="([^"]*)"/g, (_m, name: string, v: string) => ` ${name}="${v.replace(LONG_DECIMALS, '$1')}"`);
}

/** The plot of `spec` as one <svg> element; `ariaLabel` names it for screen readers. */
export async function vegaLiteSvg(spec: TopLevelSpec, ariaLabel: string): Promise<VegaSvg> {
  const [vega, vegaLite] = await load();
  const warnings: string[] = [];
  const logger = collectingLogger(warnings);
  const vg = vegaLite.compile(spec, { logger }).spec;
  const view = new vega.View(vega.parse(vg), { renderer: 'none', loader: refusingLoader(vega.loader), logger: logger as never });
  try {
    const raw = await view.toSVG();
    // The root carries class="marks"; an accessible name goes beside it. Vega escapes the text
    // it draws; the label is escaped here.
    const named = raw.replace(/^<svg /, `<svg role="img" aria-label="${escapeHtml(ariaLabel)}" `);
    return { svg: roundGeometry(named), warnings };
  } finally {
    view.finalize();
  }
}
