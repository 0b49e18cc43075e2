// JUnit XML for CI systems: one testcase per checked file. Invalid is a failure, unknown is a
// failure of type "unknown" (a gate must not read it as a pass), a file that could not be checked
// is an error.
import type { FileOutcome } from '../checker/check-file.js';
import { reasonWords } from '../checker/types.js';

function xml(s: string): string {
  return s
    .replace(/[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd]/gu, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

export function junitXml(outcomes: FileOutcome[], suiteName = 'faultline check'): string {
  let failures = 0;
  let errors = 0;
  let total = 0;
  const cases: string[] = [];
  for (const o of outcomes) {
    total += o.elapsedMs;
    const head = `  <testcase classname="${xml(`faultline.${o.checker}`)}" name="${xml(o.file)}" time="${(o.elapsedMs / 1000).toFixed(3)}"`;
    if (o.error !== undefined) {
      errors++;
      cases.push(`${head}>\n    <error type="input" message="${xml(o.error)}"/>\n  </testcase>`);
    } else if (o.result?.valid === false || o.result?.valid === 'unknown') {
      failures++;
      const type = o.result.valid === false ? 'invalid' : 'unknown';
      const words = type === 'unknown' ? reasonWords(o.result.reason) : undefined;
      const msg = `${words ? `${words}: ` : ''}${o.result.explanation ?? type}`;
      cases.push(`${head}>\n    <failure type="${type}" message="${xml(msg)}">${xml(JSON.stringify(o.result, null, 2))}</failure>\n  </testcase>`);
    } else cases.push(`${head}/>`);
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xml(suiteName)}" tests="${outcomes.length}" failures="${failures}" errors="${errors}" time="${(total / 1000).toFixed(3)}">`,
    ` <testsuite name="${xml(suiteName)}" tests="${outcomes.length}" failures="${failures}" errors="${errors}" time="${(total / 1000).toFixed(3)}">`,
    ...cases,
    ' </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
