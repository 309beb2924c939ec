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
  x: readonly number[];
  series: readonly ChartSeries[];
  categories?: readonly string[];
  yLabel: string;
  timeZone?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (el === null) return;
    const categories = props.categories;
    const bars = uPlot.paths.bars?.({ size: [0.6, 60] });
    const options: uPlot.Options = {
      width: Math.max(320, Math.min(el.clientWidth || 720, 960)),
      height: 260,
      scales: {
        x: { time: categories === undefined },
        y: { range: (_u, min, max) => [Math.min(0, min), max * 1.1 || 1] },
      },
      axes: [
        categories === undefined
          ? {}
          : { values: (_u, splits) => splits.map((s) => (Number.isInteger(s) ? (categories[s] ?? '') : '')) },
        { label: props.yLabel },
      ],
      series: [
        {},
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          width: 2,
          ...(s.dash === undefined ? {} : { dash: s.dash }),
          ...(s.bars === true && bars !== undefined ? { paths: bars, fill: `${s.stroke}55` } : {}),
        })),
      ],
      ...(props.timeZone === undefined
        ? {}
        : { tzDate: (ts: number) => uPlot.tzDate(new Date(ts * 1000), props.timeZone as string) }),
    };
    const data = [
      props.x as number[],
      ...props.series.map((s) => s.values as (number | null)[]),
    ] as uPlot.AlignedData;
    const plot = new uPlot(options, data, el);
    return () => plot.destroy();
  }, [props.x, props.series, props.categories, props.yLabel, props.timeZone]);
  return <div class="chart" role="img" aria-label={props.label} ref={host} />;
}
