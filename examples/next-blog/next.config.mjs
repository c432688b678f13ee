/** @type {import('next').NextConfig} */
const nextConfig = {
  // The collector and its DuckDB driver (a native addon) run as plain Node modules, not bundled.
  serverExternalPackages: ['@waymark/collector', '@waymark/sinks', '@duckdb/node-api'],
  // This app lives in a monorepo whose dependencies are installed at its root.
  outputFileTracingRoot: new URL('../..', import.meta.url).pathname,
};

export default nextConfig;
