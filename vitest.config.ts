import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

const source = '@waymark/source';
/** Packages whose code runs in the browser: their unit tests run under jsdom. */
const browserPackages = '{core,react,vue,next}';

export default defineConfig({
  resolve: { conditions: [source, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [source, ...defaultServerConditions], externalConditions: [source] } },
  test: {
    reporters: ['default', './scripts/vitest/summaryReporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit-browser',
          environment: 'jsdom',
          include: [`packages/${browserPackages}/src/**/*.test.{ts,tsx}`],
          exclude: ['**/*.production.test.*', '**/node_modules/**'],
        },
      },
      {
        // @waymark/react's unit and SSR tests again on React 18, the oldest major in its peer range, from the npm
        // aliases react-18 and react-dom-18: Vite's aliases for what Vite resolves, the setup file for Node's require().
        extends: true,
        resolve: {
          alias: [
            { find: /^react(\/.*)?$/, replacement: 'react-18$1' },
            { find: /^react-dom(\/.*)?$/, replacement: 'react-dom-18$1' },
          ],
        },
        test: {
          name: 'unit-react18',
          environment: 'jsdom',
          include: ['packages/react/src/**/*.test.{ts,tsx}'],
          exclude: ['**/*.production.test.*', '**/node_modules/**'],
          setupFiles: ['./scripts/vitest/react18Setup.ts'],
          // The setup file changes Node's resolver for its whole worker: never hand that worker to another project.
          isolate: true,
          env: { WAYMARK_REACT_MAJOR: '18' },
        },
      },
      {
        extends: true,
        test: {
          name: 'unit-node',
          environment: 'node',
          include: ['packages/*/src/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: [`packages/${browserPackages}/**`, '**/*.production.test.*', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'production',
          environment: 'jsdom',
          include: ['packages/*/src/**/*.production.test.{ts,tsx}'],
          env: { NODE_ENV: 'production' },
        },
      },
      {
        extends: true,
        test: {
          name: 'types',
          include: [],
          typecheck: {
            enabled: true,
            only: true,
            include: ['packages/*/src/**/*.test-d.{ts,tsx}'],
            tsconfig: './tsconfig.json',
          },
        },
      },
      {
        extends: true,
        test: {
          name: 'chromium',
          environment: 'node',
          include: ['packages/*/e2e/**/*.spec.ts', 'examples/*/e2e/**/*.spec.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
