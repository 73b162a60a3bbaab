/**
 * A tenant's usage from the usage API (`GET /admin/tenants/{id}/usage?granularity=day`): units per day by model, and
 * cached vs computed units per day, as stacked bar charts (uPlot), with the same numbers in a table for screen
 * readers, and the month's position against the quota. Refreshes on demand, and every 10 s while asked to.
 */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { ApiClient } from "../shared/api";
import { fill, h } from "../shared/dom";
import { count } from "../shared/format";
import { Notice } from "./notice";

interface UsageRow {
  start: string;
  model: string;
  units: number;
  cachedUnits: number;
  requests: number;
}

interface UsageReport {
  rows: UsageRow[];
  totals: { requests: number; units: number; cachedUnits: number };
  month: { month: string; committedUnits: number; reservedUnits: number; limit: number };
}

const DAYS = 14;
const DAY_MS = 86_400_000;
const REFRESH_MS = 10_000;
const COLORS = [
  "#1f5fa8",
  "#c2410c",
  "#15803d",
  "#7e22ce",
  "#b91c1c",
  "#0e7490",
  "#a16207",
  "#be185d",
  "#4d7c0f",
  "#334155",
];

export class UsagePanel {
  readonly element: HTMLElement;
  private readonly charts = h("div", { class: "charts" });
  private readonly summary = h("p", { class: "usage-summary", attrs: { "aria-live": "polite" } });
  private readonly notice = new Notice();
  private plots: uPlot[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly api: ApiClient,
    private readonly tenantId: string,
  ) {
    const auto = h("input", { type: "checkbox", checked: true });
    auto.addEventListener("change", () => this.autoRefresh(auto.checked));
    this.element = h(
      "section",
      { class: "usage", attrs: { "aria-labelledby": `usage-${tenantId}` } },
      h("h3", { id: `usage-${tenantId}` }, `Usage, last ${DAYS} days`),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", on: { click: () => void this.load() } }, "Refresh"),
        h("label", { class: "inline" }, auto, " Refresh every 10 s"),
      ),
      this.notice.element,
      this.summary,
      this.charts,
    );
    this.autoRefresh(true);
  }

  /** Stops refreshing (the tenant is no longer shown). */
  close(): void {
    this.autoRefresh(false);
    for (const plot of this.plots) plot.destroy();
  }

  async load(): Promise<void> {
    const from = new Date(startOfDay(Date.now()) - (DAYS - 1) * DAY_MS).toISOString();
    const answer = await this.api.get<UsageReport>(
      `/admin/tenants/${this.tenantId}/usage?granularity=day&from=${from}`,
    );
    if (this.notice.failed(answer)) return;
    const report = answer.data!;
    const { month, totals } = report;
    fill(
      this.summary,
      `This month (${month.month}): ${count(month.committedUnits)} of ${count(month.limit)} units charged`,
      month.reservedUnits ? `, ${count(month.reservedUnits)} reserved` : "",
      `. Last ${DAYS} days: ${count(totals.requests)} requests, ${count(totals.units)} units (${count(totals.cachedUnits)} from the cache).`,
    );
    this.draw(report.rows, Date.parse(from));
  }

  private autoRefresh(on: boolean): void {
    clearInterval(this.timer);
    this.timer = on
      ? setInterval(() => {
          if (this.element.isConnected && document.visibilityState === "visible") void this.load();
          else if (!this.element.isConnected) this.close();
        }, REFRESH_MS)
      : undefined;
  }

  private draw(rows: UsageRow[], from: number): void {
    for (const plot of this.plots) plot.destroy();
    this.plots = [];
    const days = Array.from({ length: DAYS }, (_, i) => from + i * DAY_MS);
    const index = new Map(days.map((d, i) => [d, i]));
    const models = [...new Set(rows.map((r) => r.model))].sort();
    const byModel = models.map(() => new Array<number>(DAYS).fill(0));
    const cached = new Array<number>(DAYS).fill(0);
    const computed = new Array<number>(DAYS).fill(0);
    for (const row of rows) {
      const i = index.get(startOfDay(Date.parse(row.start)));
      if (i === undefined) continue;
      byModel[models.indexOf(row.model)]![i]! += row.units;
      cached[i]! += row.cachedUnits;
      computed[i]! += row.units - row.cachedUnits;
    }
    const width = Math.max(280, Math.min(720, this.charts.clientWidth || 720));
    const charts = [
      {
        title: "Units per day, by model",
        names: models.length ? models : ["no usage"],
        series: models.length ? byModel : [computed],
      },
      { title: "Units per day: computed and cached", names: ["computed", "cached"], series: [computed, cached] },
    ];
    fill(
      this.charts,
      charts.map((chart) => {
        const box = h("figure", { class: "chart", attrs: { "aria-label": chart.title } });
        this.plots.push(stackedBars(box, chart.title, days, chart.names, chart.series, width));
        box.append(numbers(chart.title, days, chart.names, chart.series));
        return box;
      }),
    );
  }
}

function startOfDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/**
 * uPlot draws bars, not stacks: each series is drawn as its running total, tallest first, so every segment shows
 * its own part; the legend reads the series' own values.
 */
function stackedBars(
  target: HTMLElement,
  title: string,
  days: number[],
  names: string[],
  series: number[][],
  width: number,
): uPlot {
  const stacked = series.map((_, s) =>
    days.map((_, i) => series.slice(0, s + 1).reduce((n, values) => n + values[i]!, 0)),
  );
  const order = names.map((_, s) => s).reverse();
  const bars = uPlot.paths.bars!({ size: [0.7, 48], align: 0 });
  return new uPlot(
    {
      title,
      width,
      height: 220,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [{}, { label: "units" }],
      legend: { live: true },
      series: [
        { label: "day", value: (_u, v) => (v == null ? "" : new Date(v * 1000).toISOString().slice(0, 10)) },
        ...order.map((s) => ({
          label: names[s],
          fill: COLORS[s % COLORS.length],
          stroke: COLORS[s % COLORS.length],
          paths: bars,
          points: { show: false },
          value: (_u: uPlot, _v: number | null, _si: number, i: number | null) =>
            i == null ? "" : count(series[s]![i]!),
        })),
      ],
    },
    [days.map((d) => d / 1000), ...order.map((s) => stacked[s]!)],
    target,
  );
}

/** The chart's numbers as a table, for screen readers and for reading exact values. */
function numbers(title: string, days: number[], names: string[], series: number[][]): HTMLElement {
  return h(
    "details",
    {},
    h("summary", {}, "The numbers"),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        {},
        h("caption", { class: "visually-hidden" }, title),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Day"),
            names.map((n) => h("th", { scope: "col" }, n)),
          ),
        ),
        h(
          "tbody",
          {},
          days.map((day, i) =>
            h(
              "tr",
              {},
              h("th", { scope: "row" }, new Date(day).toISOString().slice(0, 10)),
              series.map((values) => h("td", {}, count(values[i]!))),
            ),
          ),
        ),
      ),
    ),
  );
}
