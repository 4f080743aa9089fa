/**
 * Charts drawn from series (docs/protocol.md §13) as SVG, on the server and in the browser.
 */
export { TimeSeriesChart, CHART_PALETTE, type ChartSeries, type ChartThreshold, type TimeSeriesChartProps } from './TimeSeriesChart';
export { seriesChange, formatWindow, valueAt, bucketIndexAt, type SeriesChange } from './geometry';
export { formatWindowChange, type ChangeFormatOptions } from './change';
