// Builds the app shell into dist/ and writes dist/sw.js with the exact list of shell files, so
// the service worker caches the shell (and only the shell) of this very build.
import { defineConfig, type Plugin } from 'vite';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

function publicFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...publicFiles(full, base));
    else out.push(relative(base, full).split('\\').join('/'));
  }
  return out;
}

function serviceWorker(): Plugin {
  return {
    name: 'parley-service-worker',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = new Set<string>(['index.html']);
      for (const name of Object.keys(bundle)) if (!name.endsWith('.map')) files.add(name);
      for (const name of publicFiles('public')) files.add(name);
      const shell = [...files].sort().map((f) => '/' + f);
      const version = createHash('sha256').update(shell.join('\n')).digest('hex').slice(0, 16);
      const source = readFileSync('sw/sw.js', 'utf8')
        .replace('__SHELL_FILES__', JSON.stringify(shell))
        .replace('__SHELL_VERSION__', JSON.stringify(version));
      this.emitFile({ type: 'asset', fileName: 'sw.js', source });
    },
  };
}

export default defineConfig({
  plugins: [serviceWorker()],
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    target: 'es2020',
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
    modulePreload: { polyfill: false },
  },
});
