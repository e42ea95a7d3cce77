// ApexCharts behind our ApexChart component (src/ControlPlane/Components/Charts/). The component sends a plain spec
// (kind, series as [epoch ms, value] pairs, stacking, limit, theme); this module turns it into ApexCharts options,
// adding what JSON cannot carry (the money formatters). One chart per element, kept in a WeakMap.

const charts = new WeakMap();
let library;

// apexcharts.min.js is a UMD bundle: imported as a module it sets globalThis.ApexCharts. Loaded once per page.
function loadApexCharts(libraryUrl) {
    library ??= import(libraryUrl).then(() => globalThis.ApexCharts);
    return library;
}

// No currency (latencies, rates): the same digits as plain numbers.
function money(spec, digits) {
    const format = spec.currency
        ? new Intl.NumberFormat(spec.locale, { style: 'currency', currency: spec.currency, minimumFractionDigits: 2, maximumFractionDigits: digits })
        : new Intl.NumberFormat(spec.locale, { maximumFractionDigits: digits });
    return value => (value === null || value === undefined ? '' : format.format(value));
}

// Small amounts keep their cents' fractions on the axis ($0.0035); tooltips show up to six digits, as the pages do.
function axisMoney(spec) {
    const fine = money(spec, 4), coarse = money(spec, 2);
    return value => (Math.abs(value) < 1 && value !== 0 ? fine(value) : coarse(value));
}

// Nothing moves for readers who asked their system for less motion.
function animated(spec) {
    return spec.animate && !globalThis.matchMedia?.('(prefers-reduced-motion: reduce)').matches;
}

function optionsOf(spec) {
    const annotations = spec.limit === null || spec.limit === undefined ? { yaxis: [] } : {
        yaxis: [{
            y: spec.limit,
            borderColor: spec.limitColor,
            strokeDashArray: 6,
            label: { text: spec.limitLabel, borderColor: spec.limitColor, style: { color: '#fff', background: spec.limitColor } },
        }],
    };
    return {
        chart: {
            type: spec.kind,
            height: spec.height,
            stacked: spec.stacked,
            background: 'transparent',
            foreColor: spec.foreColor,
            fontFamily: 'inherit',
            toolbar: { show: false },
            zoom: { enabled: false },
            animations: { enabled: animated(spec) },
        },
        theme: { mode: spec.dark ? 'dark' : 'light' },
        colors: spec.colors,
        series: spec.series,
        dataLabels: { enabled: false },
        stroke: { width: spec.kind === 'bar' ? 0 : 2, curve: 'straight' },
        fill: { opacity: spec.kind === 'area' ? 0.35 : 1 },
        plotOptions: { bar: { columnWidth: '70%' } },
        grid: { borderColor: spec.gridColor },
        legend: { position: 'bottom', showForSingleSeries: true },
        xaxis: { type: 'datetime', labels: { datetimeUTC: true, format: spec.axisTimeFormat ?? undefined } },
        yaxis: { min: 0, max: spec.limit ? max => Math.max(max, spec.limit * 1.05) : undefined, labels: { formatter: axisMoney(spec) } },
        tooltip: { shared: true, intersect: false, theme: spec.dark ? 'dark' : 'light', x: { format: spec.timeFormat }, y: { formatter: money(spec, 6) } },
        annotations,
        noData: { text: spec.noDataText },
    };
}

export async function create(element, spec, libraryUrl) {
    const ApexCharts = await loadApexCharts(libraryUrl);
    charts.get(element)?.destroy();
    const chart = new ApexCharts(element, optionsOf(spec));
    charts.set(element, chart);
    await chart.render();
}

// Everything but the data changed (theme, kind, limit...): redraw with the new options and series.
export async function update(element, spec) {
    await charts.get(element)?.updateOptions(optionsOf(spec), true, animated(spec));
}

// Only the data changed: ApexCharts animates the new values into the same svg.
export async function updateSeries(element, spec) {
    await charts.get(element)?.updateSeries(spec.series, animated(spec));
}

export function destroy(element) {
    charts.get(element)?.destroy();
    charts.delete(element);
}
