// Checkers that measure rather than judge. Their `valid` only says that nothing they saw was
// impossible (stats and perf cannot fail at all), so a report shows their figure with a neutral
// "measured" badge, never a green "valid" that would read as a pass: 59 % stale reads is a
// finding, not a success. Keyed by checker name (the last part of a nested name).

const MEASUREMENTS: Record<string, string> = {
  stats: 'Counts of what happened: always valid, a count cannot show an anomaly.',
  perf: 'Latency and throughput: always valid, figures cannot show an anomaly.',
  staleness:
    'How stale reads were: a measurement. Its checks passed — no read returned a value never written, and the final reads agree — which says nothing about whether reads were fresh.',
};

/** What a passing result of checker `name` means, when the checker measures; else undefined. */
export function measurementOf(name: string): string | undefined {
  const last = name.split(' / ').at(-1)!;
  return Object.hasOwn(MEASUREMENTS, last) ? MEASUREMENTS[last] : undefined;
}
