import type { ChartConfiguration, ChartType, Scale, TooltipItem } from 'chart.js';

/** What the runtime needs to know about a chart's axes, carried in `options.plugins.apfbench`. */
export interface AxisFormats {
  /**
   * `percentile`: x is 1/(1 − p) on a log scale, labelled 0 %, 90 %, 99 %, …; `seconds`: time
   * since start; `load`: a sweep's load level, in the unit of the field it varies.
   */
  readonly x: 'percentile' | 'seconds' | 'load';
  /** The unit of y, used in tooltips (axis titles carry it too). */
  readonly y: 'ms' | 'per-second' | 'seats' | 'requests' | 'fraction' | 'index' | 'cpu-seconds';
  /** Faults to mark on a time axis (report/faults.ts draws them); absent: none. */
  readonly marks?: readonly {
    readonly from: number;
    readonly to: number;
    readonly label: string;
  }[];
}

declare module 'chart.js' {
  // Merging requires Chart.js's own type parameter, unused here.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface PluginOptionsByType<TType extends ChartType> {
    /** Not a Chart.js plugin: read by `hydrate`, ignored by Chart.js. */
    apfbench?: AxisFormats;
  }
}

export type LineChartConfig = ChartConfiguration<'line', { x: number; y: number }[]>;

/**
 * Number formatting and the Chart.js callbacks of every chart, shared by the HTML report and the
 * PNG renderer. Chart configurations are plain JSON (so that the HTML can embed them); `hydrate`
 * adds the functions Chart.js needs for ticks and tooltips.
 *
 * Contract: this function is self-contained. The HTML report inlines its source text
 * (`Function.prototype.toString`) and calls it in the page, so its body must not refer to
 * anything outside itself: no imports at run time, no module-level helpers. All formatting is
 * `en-US`, whatever the machine's locale, so that reports are deterministic.
 */
export function reportRuntime() {
  const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  const sig3 = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 });
  const compact = new Intl.NumberFormat('en-US', {
    notation: 'compact',
    maximumSignificantDigits: 3,
  });
  const percent = new Intl.NumberFormat('en-US', { maximumFractionDigits: 4 });

  /** A count with thousands separators: 12,345. */
  const formatCount = (n: number): string => integer.format(n);
  /** A duration given in ms, in the unit that reads best: 850 µs, 45.4 ms, 1.23 s. */
  const formatMs = (ms: number): string => {
    if (ms === 0) return '0 ms';
    if (Math.abs(ms) < 1) return `${sig3.format(ms * 1000)} µs`;
    if (Math.abs(ms) < 1000) return `${sig3.format(ms)} ms`;
    return `${sig3.format(ms / 1000)} s`;
  };
  const formatRate = (perSecond: number): string => `${sig3.format(perSecond)}/s`;
  /** A fraction in [0, 1] as a percentage: 0.232 → 23.2 %. */
  const formatPercent = (fraction: number): string => `${sig3.format(fraction * 100)}%`;
  /** The percentile axis value x = 1/(1 − p) as p: 1 → 0%, 1000 → 99.9%. */
  const formatPercentile = (x: number): string => `${percent.format((1 - 1 / x) * 100)}%`;
  const formatValue = (unit: AxisFormats['y'], v: number): string => {
    switch (unit) {
      case 'ms':
        return formatMs(v);
      case 'per-second':
        return formatRate(v);
      case 'fraction':
        return formatPercent(v);
      case 'index':
        return sig3.format(v);
      case 'cpu-seconds':
        return `${sig3.format(v)} s CPU`;
      default:
        return `${sig3.format(v)} ${unit}`;
    }
  };

  /** Adds tick and tooltip callbacks to a JSON chart configuration; returns the same object. */
  const hydrate = (config: LineChartConfig): LineChartConfig => {
    const options = config.options ?? (config.options = {});
    const formats = options.plugins?.apfbench;
    if (formats === undefined) return config;
    const { x: xFormat = 'seconds', y: yUnit = 'ms' } = formats;
    const scales = options.scales ?? (options.scales = {});
    const x = scales.x ?? (scales.x = {});
    const y = scales.y ?? (scales.y = {});
    if (xFormat === 'percentile') {
      // Like HdrHistogram plots: one labelled tick per decade of 1/(1 − p).
      x.afterBuildTicks = (scale: Scale) => {
        const ticks = [];
        for (let v = 1; v <= scale.max * 1.0001; v *= 10) ticks.push({ value: v });
        scale.ticks = ticks;
      };
      x.ticks = { ...x.ticks, callback: (v) => formatPercentile(Number(v)) };
    } else {
      x.ticks = { ...x.ticks, callback: (v) => compact.format(Number(v)) };
    }
    y.ticks = { ...y.ticks, callback: (v) => compact.format(Number(v)) };
    const plugins = options.plugins ?? (options.plugins = {});
    plugins.tooltip = {
      ...plugins.tooltip,
      callbacks: {
        title: (items: TooltipItem<'line'>[]) => {
          const first = items[0];
          if (first === undefined) return '';
          return xFormat === 'percentile'
            ? `p${formatPercentile(first.parsed.x ?? 1).replace('%', '')}`
            : xFormat === 'load'
              ? `at ${sig3.format(first.parsed.x ?? 0)}`
              : `t = ${sig3.format(first.parsed.x ?? 0)} s`;
        },
        label: (item: TooltipItem<'line'>) =>
          `${item.dataset.label ?? ''}: ${formatValue(yUnit, item.parsed.y ?? 0)}`,
      },
    };
    return config;
  };

  return {
    formatCount,
    formatMs,
    formatRate,
    formatPercent,
    formatPercentile,
    formatValue,
    hydrate,
  };
}

export type ReportRuntime = ReturnType<typeof reportRuntime>;

/** The runtime for Node-side rendering (tables, Markdown, PNG). */
export const runtime: ReportRuntime = reportRuntime();
