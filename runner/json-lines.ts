// Where a field sits in a JSON text: config errors name the line of the field they are about, so a
// person goes straight to it. A small scanner over the text (strings, numbers, literals, nesting)
// that records the line of every value by its path; it assumes the text already parsed.

/** The 1-based line of each value in `text`, by JSON pointer ('' is the whole document). */
export function jsonValueLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  let i = 0;
  let line = 1;

  const skipSpace = () => {
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) line++;
      else if (c !== 32 && c !== 9 && c !== 13) break;
    }
  };
  const readString = (): string => {
    const start = i;
    i++; // opening quote
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 92) i++; // backslash: skip the escaped char
      else if (c === 34) break;
    }
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (pointer: string): void => {
    skipSpace();
    lines.set(pointer, line);
    const c = text[i];
    if (c === '{') {
      i++;
      for (;;) {
        skipSpace();
        if (text[i] === '}') break;
        const key = readString();
        skipSpace();
        i++; // colon
        value(`${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
        skipSpace();
        if (text[i] === ',') i++;
        else break;
      }
      skipSpace();
      i++;
    } else if (c === '[') {
      i++;
      for (let k = 0; ; k++) {
        skipSpace();
        if (text[i] === ']') break;
        value(`${pointer}/${k}`);
        skipSpace();
        if (text[i] === ',') i++;
        else break;
      }
      skipSpace();
      i++;
    } else if (c === '"') readString();
    else while (i < text.length && !/[\s,\]}]/.test(text[i])) i++;
  };
  value('');
  return lines;
}

/** The line of the value at `pointer`, or of its nearest ancestor that has one. */
export function lineOfPointer(lines: Map<string, number>, pointer: string): number | undefined {
  for (let p = pointer; ; p = p.slice(0, p.lastIndexOf('/'))) {
    const l = lines.get(p);
    if (l !== undefined || p === '') return l;
  }
}
