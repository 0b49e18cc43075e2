// The anchor of the whole-process JSONL benchmark (bench/cli.ts): node streaming a file through
// JSON.parse and nothing else, line by line, in chunks, keeping nothing. A check of the same file
// cannot be faster than this by much; issue 16 asks for at most 1.5x it.
//   node dist/bench/bare-jsonl.js FILE
import { createReadStream } from 'node:fs';

let carry = '';
let n = 0;
for await (const chunk of createReadStream(process.argv[2], { encoding: 'utf8', highWaterMark: 1 << 20 })) {
  const lines = (carry + (chunk as string)).split('\n');
  carry = lines.pop()!;
  for (const line of lines) {
    if (line.length) {
      JSON.parse(line);
      n++;
    }
  }
}
if (carry.length) {
  JSON.parse(carry);
  n++;
}
process.stdout.write(`${n} lines parsed\n`);
