// The layers import downhill (issue 21): this reads the import graph of the TypeScript sources
// that are built (tsconfig.build.json's folders) and fails on an import that runs the wrong way
// or across, and on any import circle, naming the files so the fix is plain.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A file's imports: relative specifiers resolved to repository paths (posix, from the root). */
interface Edge {
  to: string;
  typeOnly: boolean;
  line: number;
}

function sourceFolders(): string[] {
  const config = JSON.parse(readFileSync(join(repoRoot, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
  return config.include;
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (/\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
}

const posix = (path: string): string => path.split(sep).join('/');

/** Every module specifier a file names: import and export-from declarations (type-only ones
 *  marked), `import x = require(...)`, dynamic `import('...')` with a string literal, and
 *  `import('...')` types. */
function specifiers(file: string, text: string): { spec: string; typeOnly: boolean; line: number }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: { spec: string; typeOnly: boolean; line: number }[] = [];
  const add = (node: ts.Node, literal: ts.Expression | undefined, typeOnly: boolean): void => {
    if (literal && ts.isStringLiteralLike(literal)) {
      out.push({ spec: literal.text, typeOnly, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const typeOnly =
        !!clause &&
        (clause.isTypeOnly ||
          (!clause.name &&
            !!clause.namedBindings &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node, node.moduleSpecifier, typeOnly);
    } else if (ts.isExportDeclaration(node)) {
      add(node, node.moduleSpecifier, node.isTypeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node, node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal as ts.Expression, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** The graph of the built sources: file (posix, from the root) → the source files it imports. */
function importGraph(): Map<string, Edge[]> {
  const files: string[] = [];
  for (const folder of sourceFolders()) walk(join(repoRoot, folder), files);
  const known = new Set(files.map((f) => posix(relative(repoRoot, f))));
  const graph = new Map<string, Edge[]>();
  for (const file of files) {
    const from = posix(relative(repoRoot, file));
    const edges: Edge[] = [];
    for (const { spec, typeOnly, line } of specifiers(file, readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue; // a package or node: built-in
      const target = posix(relative(repoRoot, resolve(dirname(file), spec)));
      // Sources name the compiled file (./x.js); the source is ./x.ts (or a folder's index).
      const candidates = [
        target.replace(/\.js$/, '.ts'),
        target.replace(/\.mjs$/, '.mts'),
        target,
        `${target}.ts`,
        `${target}/index.ts`,
      ];
      const to = candidates.find((c) => known.has(c));
      if (to) edges.push({ to, typeOnly, line });
    }
    graph.set(from, edges);
  }
  return graph;
}

/** Each import circle, one per strongly connected component (Tarjan), shown as a path back to its start. */
function circles(graph: Map<string, Edge[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let next = 0;
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const { to } of graph.get(v) ?? []) {
      if (!index.has(to)) {
        connect(to);
        low.set(v, Math.min(low.get(v)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(v, Math.min(low.get(v)!, index.get(to)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfLoop = (graph.get(v) ?? []).some((e) => e.to === v);
      if (component.length > 1 || selfLoop) components.push(component);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  // One concrete circle per component: a shortest path from its first file back to itself.
  return components.map((component) => {
    const members = new Set(component);
    const start = [...component].sort()[0];
    const previous = new Map<string, string>();
    const queue = [start];
    for (let i = 0; i < queue.length; i++) {
      const v = queue[i];
      for (const { to } of graph.get(v) ?? []) {
        if (!members.has(to)) continue;
        if (to === start) {
          const path = [start];
          for (let w = v; w !== start; w = previous.get(w)!) path.splice(1, 0, w);
          return [...path, start];
        }
        if (!previous.has(to)) {
          previous.set(to, v);
          queue.push(to);
        }
      }
    }
    return [...component, start];
  });
}

interface Rule {
  name: string;
  /** True when an import from `from` of `to` breaks the rule. */
  forbids(from: string, to: string): boolean;
}

const under = (path: string, folder: string): boolean => path.startsWith(`${folder}/`);

const rules: Rule[] = [
  {
    name: 'base/ is the foundation: it imports nothing outside base/',
    forbids: (from, to) => under(from, 'base') && !under(to, 'base'),
  },
  {
    name: 'histories/ imports nothing but base/',
    forbids: (from, to) => under(from, 'histories') && !under(to, 'histories') && !under(to, 'base'),
  },
  {
    name: 'a system under test does not borrow from the code that judges it (targets/ → checker/)',
    forbids: (from, to) => under(from, 'targets') && under(to, 'checker'),
  },
  {
    name: 'checker/ decides, report/ renders (checker/ → report/)',
    forbids: (from, to) => under(from, 'checker') && under(to, 'report'),
  },
  {
    name: 'the nemesis does not reach into the workloads (nemesis/ → workloads/)',
    forbids: (from, to) => under(from, 'nemesis') && under(to, 'workloads'),
  },
  {
    name: 'the nemesis asks targets through targets/types.ts, never a specific target (nemesis/ → targets/<system>/)',
    forbids: (from, to) => under(from, 'nemesis') && /^targets\/[^/]+\//.test(to) && !under(to, 'targets/common'),
  },
  {
    name: 'a worker thread gets its entry point without importing its caller (checker/linearizable/worker.ts → check.ts)',
    forbids: (from, to) => from === 'checker/linearizable/worker.ts' && to === 'checker/linearizable/check.ts',
  },
];

describe('the import graph', () => {
  const graph = importGraph();

  it('reads the sources', () => {
    expect(graph.size).toBeGreaterThan(100);
    const edges = [...graph.values()].reduce((n, e) => n + e.length, 0);
    expect(edges).toBeGreaterThan(graph.size);
  });

  it('sees every kind of import', () => {
    const text = [
      "import a from './a.js';",
      "import type { B } from './b.js';",
      "import { type C } from './c.js';",
      "export { d } from './d.js';",
      "export * from './e.js';",
      "import './f.js';",
      "const g = await import('./g.js');",
      "let h: import('./h.js').H;",
      "// import x from './not-an-import.js';",
      "const s = \"import y from './not-an-import-either.js'\";",
    ].join('\n');
    expect(specifiers('x.ts', text).map((s) => `${s.spec}${s.typeOnly ? ' (type)' : ''}`)).toEqual([
      './a.js',
      './b.js (type)',
      './c.js (type)',
      './d.js',
      './e.js',
      './f.js',
      './g.js',
      './h.js (type)',
    ]);
  });

  for (const rule of rules) {
    it(rule.name, () => {
      const broken: string[] = [];
      for (const [from, edges] of graph) {
        for (const { to, line } of edges) if (rule.forbids(from, to)) broken.push(`${from}:${line} imports ${to}`);
      }
      expect(broken.sort(), broken.join('\n')).toEqual([]);
    });
  }

  it('has no import circle', () => {
    const found = circles(graph).map((c) => c.join(' → '));
    expect(found, found.join('\n')).toEqual([]);
  });
});
