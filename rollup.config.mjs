// Builds every package in packages/ to ESM (+ CJS where the exports map asks for it) and bundled type declarations.
// Entry points come from each package.json: every export with a "@waymark/source" condition, plus each bin.
import { chmodSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, join } from 'node:path';
import typescript from '@rollup/plugin-typescript';
import nodeResolve from '@rollup/plugin-node-resolve';
import dts from 'rollup-plugin-dts';

const only = process.env.WAYMARK_PACKAGES?.split(',');
const packageDirs = readdirSync('packages')
  .map((name) => join('packages', name))
  .filter((dir) => existsSync(join(dir, 'package.json')) && (!only || only.includes(basename(dir))));

/** @param {string} dir */
function packageBuild(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  /** @type {Record<string, string>} */
  const inputs = {};
  let wantsCjs = false;
  for (const target of Object.values(pkg.exports ?? {})) {
    if (typeof target !== 'object' || !target['@waymark/source']) continue;
    const source = target['@waymark/source'];
    inputs[basename(source).replace(/\.tsx?$/, '')] = join(dir, source);
    if (target.require) wantsCjs = true;
  }
  const bins = [];
  for (const bin of Object.values(typeof pkg.bin === 'string' ? { bin: pkg.bin } : (pkg.bin ?? {}))) {
    const name = basename(bin).replace(/\.js$/, '');
    inputs[name] = join(dir, 'src', `${name}.ts`);
    bins.push(name);
  }
  const deps = [
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.peerDependencies ?? {}),
    ...Object.keys(pkg.optionalDependencies ?? {}),
  ];
  const external = (id) =>
    id.startsWith('node:') || builtinModules.includes(id) || deps.some((d) => id === d || id.startsWith(`${d}/`));
  // Executables get a shebang here, so their sources carry none (Rollup would keep both). A package may ask for a
  // banner such as 'use client': one string for every file, or one per entry name (`{ "index": "'use client';" }`).
  const banners = pkg.waymark?.banner;
  const banner = (chunk) =>
    chunk.isEntry && bins.includes(chunk.name)
      ? '#!/usr/bin/env node'
      : typeof banners === 'object'
        ? ((chunk.isEntry && banners[chunk.name]) || '')
        : (banners ?? '');
  const outputs = [{ dir: join(dir, 'dist'), format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js', banner }];
  if (wantsCjs) {
    outputs.push({ dir: join(dir, 'dist'), format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: '[name]-[hash].cjs', exports: 'named', banner });
  }
  return [
    {
      input: inputs,
      external,
      output: outputs,
      plugins: [
        nodeResolve({ extensions: ['.ts', '.tsx', '.js'] }),
        {
          name: 'executable-bins',
          writeBundle(output, bundle) {
            for (const file of Object.values(bundle)) {
              if (file.type === 'chunk' && file.isEntry && bins.includes(file.name)) chmodSync(join(output.dir, file.fileName), 0o755);
            }
          },
        },
        typescript({
          tsconfig: false,
          include: [`${dir}/src/**/*.ts`, `${dir}/src/**/*.tsx`],
          exclude: ['**/*.test.ts', '**/*.test.tsx', '**/*.test-d.ts'],
          compilerOptions: {
            target: 'ES2020',
            module: 'ESNext',
            moduleResolution: 'Bundler',
            customConditions: ['@waymark/source'],
            jsx: 'react-jsx',
            strict: true,
            skipLibCheck: true,
            declaration: false,
            noEmitOnError: true,
            lib: ['ES2022', 'DOM', 'DOM.Iterable'],
            types: ['node'],
          },
        }),
      ],
      onwarn(warning, warn) {
        // A module-level 'use client' is dropped on purpose; the Next entry re-adds it with a banner.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
    ...['d.ts', wantsCjs ? 'd.cts' : null].filter(Boolean).map((ext) => ({
      input: inputs,
      external,
      output: { dir: join(dir, 'dist'), format: 'es', entryFileNames: `[name].${ext}`, chunkFileNames: `[name]-[hash].${ext}` },
      plugins: [dts({ tsconfig: 'tsconfig.json' })],
    })),
  ];
}

export default packageDirs.flatMap(packageBuild);
