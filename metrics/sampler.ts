// Samples a run's nodes every `sampleSeconds` while it runs and appends each round to
// `metrics.jsonl` in the run folder (one JSON line per round: the run's time, the wall clock, and
// every node's answer or why there was none). Rounds never overlap, each node has a deadline (a
// paused node costs a timeout, not a stall), and a failed round is recorded, not fatal.
import { closeSync, openSync, readFileSync, existsSync, writeSync } from 'node:fs';
import type { Capabilities, MetricSample, MetricsSource } from './types.js';

export const METRICS_FILE = 'metrics.jsonl';

export class MetricsSampler {
  private fd: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  rounds = 0;

  constructor(
    private readonly source: MetricsSource,
    path: string,
    /** Nanoseconds on the run's time axis (the driver's clock). */
    private readonly now: () => number,
    private readonly sampleSeconds: number,
    capabilities: Capabilities,
  ) {
    this.fd = openSync(path, 'a');
    // The first line says what the samples can show (so the run can be re-derived from the folder alone).
    writeSync(this.fd, JSON.stringify({ capabilities, sampleSeconds }) + '\n');
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.round().finally(() => {
        this.running = undefined;
        if (!this.stopped) this.timer = setTimeout(tick, this.sampleSeconds * 1000);
      });
    };
    tick();
  }

  /** Takes a last sample (what the run ended with) and stops. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.round();
    closeSync(this.fd);
    this.fd = -1;
    await this.source.closeMetrics?.();
  }

  private async round(): Promise<void> {
    const t = this.now();
    const wallMs = Date.now();
    let nodes: MetricSample['nodes'];
    try {
      nodes = await this.source.sampleMetrics(Math.max(200, Math.min(1000, this.sampleSeconds * 500)));
    } catch (e) {
      nodes = { '*': { error: (e as Error).message } };
    }
    if (this.fd < 0) return;
    const sample: MetricSample = { t, wallMs, nodes };
    writeSync(this.fd, JSON.stringify(sample) + '\n');
    this.rounds++;
  }
}

/** A run folder's metrics.jsonl: what it can show and its samples (undefined without the file); a torn last line is skipped. */
export function readMetricsFile(path: string): { capabilities: Capabilities; samples: MetricSample[] } | undefined {
  if (!existsSync(path)) return undefined;
  const samples: MetricSample[] = [];
  let capabilities: Capabilities = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const s = JSON.parse(line) as MetricSample & { capabilities?: Capabilities };
      if (s.capabilities !== undefined) capabilities = s.capabilities;
      else if (typeof s.t === 'number' && s.nodes !== null && typeof s.nodes === 'object') samples.push(s);
    } catch {
      // A line cut off by a killed run.
    }
  }
  return { capabilities, samples };
}
