export type { ReportEngine, ReportDialect, ReportRow } from './reportEngine';
export type { ReportResult, ReportSet, ReportColumn, ReportChart, ColumnFormat } from './reportResult';
export { sqlDialect, duckdbDialect, clickhouseDialect } from './sqlDialect';
export type { SqlDialect } from './sqlDialect';
