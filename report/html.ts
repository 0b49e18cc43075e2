// Self-contained HTML pages for reports: one file, inline CSS, no scripts and no external assets,
// so a report opens the same from a CI artifact, an email attachment or a file:// URL.

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export interface PageSpec {
  /** Plain text (escaped here): the browser tab's title. */
  title: string;
  /** HTML, already escaped by the caller. */
  body: string;
  /** Extra CSS appended after the base style, for a view's own rules. */
  css?: string;
}

// One base style shared by every report, so views look alike and stay readable when printed.
const BASE_CSS = `
:root { color-scheme: light; }
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1f;
  margin: 0 auto; padding: 24px; max-width: 1200px; }
h1 { font-size: 22px; margin: 0 0 8px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
p { margin: 8px 0; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { text-align: left; padding: 3px 10px; border-bottom: 1px solid #e3e3e6; vertical-align: top; }
th { background: #f5f5f7; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
svg { max-width: 100%; height: auto; display: block; }
.muted { color: #6e6e73; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 4px; font-weight: 600; }
.verdict.invalid { background: #fde2e2; color: #9b1c1c; }
.verdict.valid { background: #dcf2df; color: #1e6b2d; }
.verdict.unknown { background: #fdf0d2; color: #7a5200; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 20px; list-style: none; padding: 0; margin: 8px 0; }
.legend li { display: flex; align-items: center; gap: 6px; }
.legend svg { display: inline-block; }
`;

/** A complete HTML5 document. */
export function page({ title, body, css }: PageSpec): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${BASE_CSS}${css ?? ''}</style>`,
    '</head>',
    '<body>',
    body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
