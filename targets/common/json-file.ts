// A JSON file a person wrote (a cluster file, a system description), read against its JSON Schema:
// the first mistake becomes one line, `FILE:LINE: "field" what is wrong`, with the line of that
// field, so the person goes straight to it.
import { readFileSync } from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { InputError, show } from '../../histories/errors.js';
import { jsonTooDeepAt, lineAt, NESTING_TEXT } from '../../histories/nesting.js';
import { notARegularFile } from '../../histories/input-file.js';
import { MAX_SECONDS, MAX_SECONDS_TEXT } from '../../runner/limits.js';
import { jsonValueLines, lineOfPointer } from '../../runner/json-lines.js';

/** A mistake at a JSON pointer; `located` adds the file and line. */
export class Mistake {
  constructor(
    readonly pointer: string,
    readonly text: string,
  ) {}
}

/** The dotted field name of a JSON pointer: /nodes/1/port → nodes.1.port. */
export const fieldOf = (pointer: string): string =>
  pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.') || '(top level)';

const escape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** ajv's first error as a Mistake, in words; `patternMeaning` explains a failed pattern by its field. */
export function describeAjvError(err: ErrorObject, data: unknown, patternMeaning: (pointer: string) => string = () => 'is not valid'): Mistake {
  const path = err.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let value: unknown = data;
  for (const p of path) value = (value as Record<string, unknown> | undefined)?.[p];
  const field = fieldOf(err.instancePath);
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'additionalProperties':
      return new Mistake(`${err.instancePath}/${escape(String(p.additionalProperty))}`, `unknown field "${[...path, p.additionalProperty].join('.')}"`);
    case 'required':
      return new Mistake(err.instancePath, `"${[...path, p.missingProperty].join('.')}" is missing`);
    case 'enum':
      return new Mistake(err.instancePath, `"${field}" must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${show(value)}`);
    case 'pattern':
      return new Mistake(err.instancePath, `"${field}" ${patternMeaning(err.instancePath)}, got ${show(value)}`);
    case 'maximum':
      if (p.limit !== MAX_SECONDS) break; // a duration's limit, said as such
      return new Mistake(err.instancePath, `"${field}" must be ${MAX_SECONDS_TEXT}, got ${show(value)}`);
    case 'propertyNames':
      return new Mistake(err.instancePath, `"${field}" has a key that ${patternMeaning(`${err.instancePath}/*`)}: ${show(p.propertyName)}`);
  }
  return new Mistake(err.instancePath, `"${field}" ${err.message ?? 'is not valid'}, got ${show(value)}`);
}

/**
 * The line where `text` stops being JSON: where V8's message says, else the first k such that its
 * first k lines fail to parse other than by ending too soon (at the end of input). A prefix cut at
 * a line's end never cuts a token (JSON strings hold no raw newline), so that is its only innocent
 * failure.
 */
export function brokenLine(text: string, message: string): number | undefined {
  const at = /at position (\d+)/.exec(message);
  if (at) return text.slice(0, Number(at[1])).split('\n').length;
  const lines = text.split('\n');
  for (let k = 1; k <= lines.length; k++) {
    const prefix = lines.slice(0, k).join('\n');
    try {
      JSON.parse(prefix);
    } catch (e) {
      const m = (e as Error).message;
      const position = /at position (\d+)/.exec(m);
      const atEnd = /Unexpected end of JSON input/.test(m) || (position !== null && Number(position[1]) >= prefix.length);
      if (!atEnd) return k;
    }
  }
  return undefined;
}

export interface JsonDocument {
  file: string;
  text: string;
  data: Record<string, unknown>;
  /** An InputError `FILE:LINE: text` for a mistake at a pointer of this document. */
  at(m: Mistake): InputError;
}

/** Parses `text` (the content of `file`) as a JSON object; errors name the file and line. `what` names the kind of file. */
export function parseJsonObject(text: string, file: string, what: string): JsonDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const line = brokenLine(text, (e as Error).message);
    throw new InputError(`${file}${line ? `:${line}` : ''}: not valid JSON (${(e as Error).message.replace(/\s+/g, ' ')})`);
  }
  const deep = jsonTooDeepAt(text);
  if (deep !== -1) throw new InputError(`${file}:${lineAt(text, deep)}: ${what} ${NESTING_TEXT}`);
  let lines: Map<string, number> | undefined;
  const at = (m: Mistake) => {
    lines ??= jsonValueLines(text);
    const line = lineOfPointer(lines, m.pointer);
    return new InputError(`${file}${line === undefined ? '' : `:${line}`}: ${m.text}`);
  };
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw at(new Mistake('', `${what} must be a JSON object`));
  return { file, text, data: parsed as Record<string, unknown>, at };
}

/** Validates (and, with useDefaults, fills) `doc.data` against `validate`; throws the first mistake located. */
export function validateDocument(doc: JsonDocument, validate: ValidateFunction, patternMeaning?: (pointer: string) => string): void {
  if (!validate(doc.data)) throw doc.at(describeAjvError(validate.errors![0], doc.data, patternMeaning));
}

/** The text of `path`, or an InputError naming it and why it cannot be read. */
export function readText(path: string, what: string): string {
  const special = notARegularFile(path);
  if (special !== undefined) throw new InputError(`${what} ${path}: ${special}`);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
