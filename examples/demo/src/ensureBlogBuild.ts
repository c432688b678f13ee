import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

/** Where the demo's build of the React example blog goes. */
export const blogBuildDir = here('../dist/blog');

/** What the build reads: the React blog's sources, the synthetic blog's content and the module that adapts it. */
const buildInputs = [here('../../react-blog/src'), here('../../react-blog/index.html'), here('./blogContent.ts'), here('./blogBuild.config.ts'), here('../../../scripts/synthetic/siteContent.ts')];

function newestChange(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestChange(join(path, name))));
}

/** Why the blog must be built, or undefined when its build is there and newer than what it is built from. */
export function blogBuildNeeded(): string | undefined {
  const index = join(blogBuildDir, 'index.html');
  if (!existsSync(index)) return 'the example blog has not been built yet';
  return Math.max(...buildInputs.map(newestChange)) > statSync(index).mtimeMs ? 'the example blog changed since its last build' : undefined;
}

/**
 * Builds the React example blog with Vite into `dist/blog/`, with the synthetic blog's posts as its content, in a child
 * process; `onChild` gets the process so an interrupted demo can stop it. Rejects with the exit code on failure.
 */
export function buildBlog(onChild: (child: ChildProcess | undefined) => void): Promise<void> {
  const vite = join(createRequire(import.meta.url).resolve('vite/package.json'), '../bin/vite.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vite, 'build', '--config', here('./blogBuild.config.ts')], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    onChild(child);
    child.once('error', (error) => {
      onChild(undefined);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      onChild(undefined);
      if (code === 0) resolve();
      else reject(new Error(`building the example blog failed (${signal ?? `exit code ${code}`}); the output above says why`));
    });
  });
}
