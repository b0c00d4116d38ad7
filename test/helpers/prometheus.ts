// Reads a /metrics answer with a real exposition-format parser (parse-prometheus-text-format, a
// port of the Prometheus Python client's), and checks it with promtool where Debian's prometheus
// package is installed.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

export interface Sample {
  labels?: Record<string, string>;
  value?: string;
  /** Histograms: cumulative counts by upper bound, and the total count and sum. */
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Sample[];
}

const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => MetricFamily[];

export class Exposition {
  readonly families: Map<string, MetricFamily>;
  /**
   * The parser folds the series of a histogram with labels into one; read with its TYPE line left
   * out, each of a histogram's _bucket, _count and _sum is a family of its own, series by series.
   */
  private readonly series: Map<string, MetricFamily>;

  constructor(readonly text: string) {
    this.families = new Map(parse(text).map((family) => [family.name, family]));
    const untyped = text.replace(/^# TYPE \S+ histogram\n/gm, '');
    this.series = new Map();
    // A histogram's series come one label set after another: _bucket, _sum, _count, then again.
    for (const family of parse(untyped)) {
      const known = this.series.get(family.name);
      if (known) known.metrics.push(...family.metrics);
      else this.series.set(family.name, family);
    }
  }

  family(name: string): MetricFamily {
    const family = this.families.get(name);
    if (!family) throw new Error(`no metric ${name} in the exposition`);
    return family;
  }

  /** The sample of `name` whose labels include `labels`. */
  sample(name: string, labels: Record<string, string> = {}): Sample | undefined {
    return this.family(name).metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  }

  /** A counter's or gauge's value (0 when the labelled series does not exist yet); a histogram's count. */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.seriesValue(this.family(name).type === 'HISTOGRAM' ? `${name}_count` : name, labels);
  }

  /** A histogram's sum of observations (0 when the labelled series does not exist yet). */
  sum(name: string, labels: Record<string, string> = {}): number {
    if (this.family(name).type !== 'HISTOGRAM') throw new Error(`${name} is not a histogram`);
    return this.seriesValue(`${name}_sum`, labels);
  }

  private seriesValue(series: string, labels: Record<string, string>): number {
    const sample = this.series.get(series)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
    return Number(sample?.value ?? 0);
  }
}

/** promtool's verdict on the text, or undefined where promtool is not installed. */
export function promtoolCheck(text: string): { status: number; output: string } | undefined {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}
