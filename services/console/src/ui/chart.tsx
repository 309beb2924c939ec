import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One series of a chart: its label, values and colour (patterns differ too, so colour is never the only cue). */
export interface ChartSeries {
  label: string;
  values: readonly (number | null)[];
  stroke: string;
  dash?: number[];
  bars?: boolean;
}

/**
 * A small uPlot chart (canvas). `x` are Unix seconds for a time axis, or 0..n-1 with `categories` naming them.
 * The canvas is described by `label` (role img); each page also shows the numbers as a table.
 */
export function Chart(props: {
  label: string;
  /** The x axis' name (legend). */
  xLabel: string;
  x: readonly number[];
  series: readonly ChartSeries[];
  categories?: readonly string[];
  yLabel: string;
  /** For a time axis: the locale and zone its days are written in. */
  locale?: string;
  timeZone?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (el === null) return;
    const categories = props.categories;
    const xs = props.x as number[];
    const bars = uPlot.paths.bars?.({ size: [0.6, 60] });
    const day = new Intl.DateTimeFormat(props.locale, {
      timeZone: props.timeZone,
      day: 'numeric',
      month: 'short',
    });
    // Categories sit on whole numbers with half a slot either side; days get a day either side, so that a
    // single day is a point in the middle and not a span of years.
    const xAxis: uPlot.Axis =
      categories === undefined
        ? { values: (_u, splits) => splits.map((s) => day.format(new Date(s * 1000))), space: 60 }
        : {
            splits: () => categories.map((_c, i) => i),
            values: (_u, splits) => splits.map((s) => categories[s] ?? ''),
          };
    const options: uPlot.Options = {
      width: Math.max(320, Math.min(el.clientWidth || 720, 960)),
      height: 260,
      scales: {
        x:
          categories === undefined
            ? {
                time: true,
                range: () =>
                  xs.length === 0
                    ? [Date.now() / 1000 - 7 * 86_400, Date.now() / 1000 + 86_400]
                    : [Math.min(...xs) - 86_400, Math.max(...xs) + 86_400],
              }
            : { time: false, range: () => [-0.5, Math.max(categories.length, 1) - 0.5] },
        y: { range: (_u, min, max) => [Math.min(0, min), max * 1.1 || 1] },
      },
      axes: [xAxis, { label: props.yLabel }],
      series: [
        {
          label: props.xLabel,
          ...(categories === undefined
            ? { value: (_u: uPlot, v: number) => day.format(new Date(v * 1000)) }
            : { value: (_u: uPlot, v: number) => categories[v] ?? '' }),
        },
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          width: 2,
          ...(s.dash === undefined ? {} : { dash: s.dash }),
          ...(s.bars === true && bars !== undefined ? { paths: bars, fill: `${s.stroke}55` } : {}),
        })),
      ],
    };
    const data = [xs, ...props.series.map((s) => s.values as (number | null)[])] as uPlot.AlignedData;
    const plot = new uPlot(options, data, el);
    return () => plot.destroy();
  }, [props.x, props.series, props.categories, props.yLabel, props.xLabel, props.locale, props.timeZone]);
  return <div class="chart" role="img" aria-label={props.label} ref={host} />;
}
