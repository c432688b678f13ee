export type { ReportEngine, ReportDialect, ReportRow } from './reportEngine';
export type { ReportResult, ReportSet, ReportColumn, ReportChart, ColumnFormat } from './reportResult';
export { sqlDialect, duckdbDialect, clickhouseDialect } from './sqlDialect';
export type { SqlDialect } from './sqlDialect';

export { duckdbEngine } from './duckdbEngine';
export type { DuckdbEngine, DuckdbEngineOptions } from './duckdbEngine';
export { clickhouseEngine } from './clickhouseEngine';
export type { ClickhouseEngine, ClickhouseEngineOptions } from './clickhouseEngine';
export { refreshRollups, rollupColumns, rollupTables, rollupTableSql, rollupTablesSql, rollupInsertSql } from './refreshRollups';
export type { RefreshRollupsOptions, RefreshResult, RollupTable, RollupRow, RollupColumnKind } from './refreshRollups';
export { exportData } from './exportData';
export type { ExportTable, ExportOptions, ExportResult } from './exportData';

export { reportDefinitionSchema, reportKinds, chartTypes } from './reportDefinition';
export type { ReportDefinition, ReportDefinitionInput, ReportFilter, FunnelStep, ReportKind, ReportScope } from './reportDefinition';
export { parseDefinition, parseDefinitionText, loadDefinition, loadDefinitionSync, DefinitionError } from './loadDefinition';
export type { DefinitionIssue } from './loadDefinition';
export { metricCatalogue, metricKeys } from './metricCatalogue';
export type { MetricSpec, MetricKind } from './metricCatalogue';
export { dimensionCatalogue, dimensionKeys, segmentDimensionKeys, engagementTiers } from './dimensionCatalogue';
export type { DimensionSpec, DimensionSource } from './dimensionCatalogue';
export { compileReport, resolvePeriod } from './compileReport';
export type { CompileOptions, CompiledQuery, CompiledReport, Period, PeriodOptions } from './compileReport';
export { buildReport } from './buildReport';
export type { BuildOptions, QueryRows } from './buildReport';
export { runReports } from './runReports';
export type { RunReportsOptions, ReportProgress } from './runReports';
export { builtinDefinitions, builtinDefinition, builtinDefinitionsDirectory } from './builtinDefinitions';

export { renderHtml } from './renderHtml';
export type { RenderHtmlOptions } from './renderHtml';
export { renderMarkdown } from './renderMarkdown';
export { renderCsv, renderCsvFiles } from './renderCsv';
export type { RenderCsvOptions, CsvFile } from './renderCsv';
export { renderJson, REPORT_JSON_FORMAT } from './renderJson';
