// Durations faultline takes, in seconds, become Node timers; a timer past 2^31-1 ms (about 24.8
// days) fires after 1 ms with a three-line TimeoutOverflowWarning: `--quiesce 3000000` quiesced
// 1 ms (issue 20 item 8). Every duration a flag, a config, a system description or a cluster
// file gives is held to MAX_SECONDS; timers built from sums of them are clamped to MAX_TIMER_MS.

/** Node's longest timer, in ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** The longest duration faultline takes, in seconds: 2147483 (24.8 days). */
export const MAX_SECONDS = Math.floor(MAX_TIMER_MS / 1000);
/** How an error says it. */
export const MAX_SECONDS_TEXT = `at most ${MAX_SECONDS} seconds (about 24.8 days, the longest timer Node keeps)`;

/** `ms` as a delay Node's timers take without warning: at most MAX_TIMER_MS. */
export const timerMs = (ms: number): number => Math.min(Math.max(0, ms), MAX_TIMER_MS);
