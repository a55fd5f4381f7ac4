// Builds dist/ from src/: compiles TypeScript, then copies the non-TypeScript assets
// (SQL migrations, portal templates and static files) next to the compiled modules.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, statSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const assetExtensions = ['.sql', '.html', '.css', '.js', '.svg', '.txt'];

function copyAssets(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) copyAssets(path);
    else if (assetExtensions.some((ext) => name.endsWith(ext))) {
      const target = join(dist, relative(src, path));
      mkdirSync(dirname(target), { recursive: true });
      cpSync(path, target);
    }
  }
}
rmSync(dist, { recursive: true, force: true });
copyAssets(src);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
