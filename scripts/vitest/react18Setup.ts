import Module from 'node:module';

/** `react…` to `react-18…` and `react-dom…` to `react-dom-18…`, the npm aliases @waymark/react installs; else undefined. */
function toReact18(specifier: string): string | undefined {
  const match = /^(react|react-dom)(\/.*)?$/.exec(specifier);
  return match ? `${match[1]}-18${match[2] ?? ''}` : undefined;
}

// Setup file of the unit-react18 project. Packages that Vitest leaves to Node (@testing-library/react, react-dom
// itself) load React with require(), which Vite's aliases never see: without this, react-dom 18 would require
// React 19 from the root node_modules.
const loader = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
const resolveFilename = loader._resolveFilename;
loader._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, toReact18(request) ?? request, ...rest);
};
