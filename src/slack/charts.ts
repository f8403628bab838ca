/**
 * Charts as pictures for Slack: a Vega-Lite spec rendered to SVG by Vega (no canvas, no native build)
 * and to PNG by resvg (a prebuilt binary shipped in its npm package). The libraries load only when a
 * chart is drawn: the bot starts, and most commands run, without them.
 */

export interface BarChart {
  title: string;
  /** One bar group per label, left to right. */
  labels: string[];
  series: { name: string; values: number[] }[];
  yTitle: string;
  /** Counts: whole-number ticks only. */
  counts?: boolean;
}

/**
 * import() of a package, through the loader bin/rookery.mjs lends the compiled bundle: V8 runs the bundle as
 * a script, where import() has no module to resolve from (Node 20 would ask for an experimental flag).
 */
function importPackage<T>(specifier: string): Promise<T> {
  const lent = (globalThis as { __rookeryImport?: (specifier: string) => Promise<unknown> }).__rookeryImport;
  return (lent ? lent(specifier) : import(specifier)) as Promise<T>;
}

const WIDTH = 640;
const HEIGHT = 240;

/** PNG bytes of a (grouped) bar chart. */
export async function renderBarChart(chart: BarChart): Promise<Buffer> {
  const [vega, vegaLite, { Resvg }] = await Promise.all([
    importPackage<typeof import("vega")>("vega"),
    importPackage<typeof import("vega-lite")>("vega-lite"),
    importPackage<typeof import("@resvg/resvg-js")>("@resvg/resvg-js"),
  ]);
  const values = chart.series.flatMap((series) => series.values.map((value, index) => ({ label: chart.labels[index] ?? String(index), series: series.name, value })));
  const grouped = chart.series.length > 1;
  const spec = vegaLite.compile({
    width: WIDTH,
    height: HEIGHT,
    title: chart.title,
    background: "white",
    data: { values },
    mark: { type: "bar", tooltip: false },
    encoding: {
      x: { field: "label", type: "ordinal", sort: null, title: null, axis: { labelAngle: -45, labelOverlap: true } },
      y: { field: "value", type: "quantitative", title: chart.yTitle, ...(chart.counts ? { axis: { format: "d", tickMinStep: 1 } } : {}) },
      ...(grouped ? { xOffset: { field: "series", type: "nominal" }, color: { field: "series", type: "nominal", title: null } } : { color: { value: "#2f6fb0" } }),
    },
  } as Parameters<typeof vegaLite.compile>[0]).spec;
  const view = new vega.View(vega.parse(spec), { renderer: "none" });
  try {
    const svg = await view.toSVG();
    return Buffer.from(new Resvg(svg, { background: "white", font: { loadSystemFonts: true } }).render().asPng());
  } finally {
    view.finalize();
  }
}
