// Bundles the gateway for its image (deploy/images.sh): node deploy/gateway-bundle.mjs <dir>
//
// <dir> holds the production install (npm ci --omit=dev) in node_modules/ and tsc's output, with its
// source maps, in gateway-ts/tsc/. This writes gateway-ts/dist/main.js (one CommonJS file, esbuild, not
// minified, names kept: Nest's logs and the OpenAPI schema names use class names) with main.js.map, then
// replaces node_modules/ by only what the bundle leaves to require() at run time, with their dependencies.
// tsc/ is removed.
//
// Left to require(), exactly as the unbundled gateway would resolve them from /app/node_modules:
//   - argon2: a native addon (prebuilds/linux-x64/*.node, found by node-gyp-build next to itself);
//   - swagger-ui-dist: @nestjs/swagger serves its folder (getAbsoluteFSPath()) at /api/docs;
//   - optional packages that Nest, terminus and pg require() lazily and that are not installed
//     (@nestjs/microservices, @nestjs/websockets, @fastify/view, class-transformer/storage, pg-native, ...):
//     they stay not found, so Nest takes the same fallback as before. If one of them gets installed, it is
//     copied into node_modules like argon2 (nothing else to change here).
//   - require(variable) (Nest's loadPackage, terminus' checkPackages): same folders, same answers.
// What reads files next to itself by __dirname was checked (deploy/README.md, "Images"): the gateway's own
// packageRoot() finds gateway-ts/package.json from dist/ as before; ioredis reads its package.json for
// CLIENT SETINFO (patched below to the installed version); pino's and thread-stream's workers are only
// for transports, which the gateway does not configure; @grpc/grpc-js loads .proto files only for
// channelz and ORCA (weighted_round_robin's out-of-band load reports), neither of which is configured.
//
// The source map keeps mappings but not the sources' text (sourcesContent, another 8 MB): with Node's
// --enable-source-maps a stack frame reads e.g. /app/gateway-ts/src/services/auth.service.ts:42 (the
// TypeScript, through tsc's maps) or /app/node_modules/fastify/lib/route.js:123 (the dependency's
// JavaScript at the version of package-lock.json).
import { cpSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const esbuild = createRequire(join(root, 'gateway-ts', 'package.json'))('esbuild');
const dir = resolve(process.argv[2] ?? '');
const modules = join(dir, 'node_modules');
const tsc = join(dir, 'gateway-ts', 'tsc');
const out = join(dir, 'gateway-ts', 'dist', 'main.js');
const fail = (msg) => {
  console.error(`[gateway-bundle] error: ${msg}`);
  process.exit(1);
};
if (!existsSync(join(tsc, 'main.js')) || !existsSync(modules)) fail(`${dir} needs gateway-ts/tsc/main.js and node_modules/`);
// The image ships <dir>/node_modules only; npm puts a workspace's conflicting versions next to it.
if (existsSync(join(dir, 'gateway-ts', 'node_modules'))) fail('gateway-ts/node_modules exists; only the top node_modules is looked at');

// Required with a literal name inside Nest's and terminus' optional loaders (and pg's pg.native getter),
// and not dependencies of the gateway. esbuild would otherwise stop at them (those outside a try block) or
// keep them as require()s (those inside one); listing them says which ones are expected.
const optional = [
  '@nestjs/microservices', '@nestjs/websockets', '@nestjs/platform-express', '@fastify/view',
  '@nestjs/mongoose', '@nestjs/typeorm', '@nestjs/sequelize', '@mikro-orm/core', 'class-transformer/storage',
  'pg-native',
];
const external = ['argon2', 'swagger-ui-dist', ...optional];

// ioredis 5 reads ../../package.json from its own folder for CLIENT SETINFO LIB-VER; in the bundle that
// folder is dist/, so give it the installed version instead of "error-fetching-version".
const ioredisVersion = JSON.parse(readFileSync(join(modules, 'ioredis', 'package.json'), 'utf8')).version;
const patches = {
  name: 'infidraw-patches',
  setup(build) {
    build.onLoad({ filter: /[\\/]ioredis[\\/]built[\\/]utils[\\/]index\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const read = 'const data = await fs_1.promises.readFile(filePath, "utf8");';
      if (!text.includes(read)) return { errors: [{ text: `ioredis ${ioredisVersion}: its package.json read changed; check getPackageMeta()` }] };
      return { contents: text.replace(read, `const data = ${JSON.stringify(JSON.stringify({ version: ioredisVersion }))};`), loader: 'js' };
    });
  },
};

const result = await esbuild.build({
  entryPoints: [join(tsc, 'main.js')],
  outfile: out,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  // esbuild renames clashing top-level names (InstanceLoader would become _InstanceLoader); Nest's log
  // contexts, error messages and the OpenAPI schema names read .name, so keep every function's and class's.
  keepNames: true,
  external,
  sourcemap: 'linked',
  sourcesContent: false,
  metafile: true,
  logLevel: 'warning',
  plugins: [patches],
  absWorkingDir: dir,
});
if (result.warnings.length > 0) fail(`${result.warnings.length} esbuild warning(s); a bundle with warnings is not shipped`);

// What the bundle still require()s (or require.resolve()s) at run time, Node's own modules aside. Each
// one is looked up as the unbundled gateway would: if it resolves in the full install (or is an installed
// ES module package, which require.resolve() may refuse), its package ships; if not, it must be one of the
// optional ones, and it stays unresolvable in the smaller node_modules.
const { builtinModules } = await import('node:module');
const builtins = new Set(builtinModules);
const resolver = createRequire(out);
const packages = new Set();
for (const imp of Object.values(result.metafile.outputs).flatMap((o) => o.imports)) {
  if (!imp.external || imp.path.startsWith('node:') || builtins.has(imp.path)) continue;
  const name = imp.path.split('/').slice(0, imp.path.startsWith('@') ? 2 : 1).join('/');
  let resolves = true;
  try {
    resolver.resolve(imp.path);
  } catch {
    resolves = imp.path === name && existsSync(join(modules, name, 'package.json'));
  }
  if (resolves) packages.add(name);
  else if (!optional.includes(imp.path) && !optional.includes(name)) fail(`the bundle requires ${imp.path}, which is neither installed nor one of the optional packages`);
}

// Copy each installed one and its dependencies (Node's lookup: node_modules/ of the requiring package,
// then of each parent folder), keeping their places in the tree.
const slim = join(dir, 'node_modules.bundle');
rmSync(slim, { recursive: true, force: true });
const copied = new Set();
function find(name, from) {
  for (let d = from; ; d = dirname(d)) {
    const candidate = join(d, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (d === dir || dirname(d) === d) return null;
  }
}
function copy(pkgDir) {
  if (copied.has(pkgDir)) return;
  copied.add(pkgDir);
  cpSync(pkgDir, join(slim, relative(modules, pkgDir)), { recursive: true, filter: (src) => src === pkgDir || !src.startsWith(join(pkgDir, 'node_modules')) });
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  for (const [deps, required] of [[manifest.dependencies, true], [manifest.optionalDependencies, false], [manifest.peerDependencies, false]]) {
    for (const dep of Object.keys(deps ?? {})) {
      const found = find(dep, pkgDir);
      if (found) copy(found);
      else if (required) fail(`${manifest.name} needs ${dep}, which is not installed`);
    }
  }
}
for (const name of [...packages].sort()) {
  const found = find(name, dir);
  if (!found) fail(`${name} resolved but has no folder under node_modules`);
  copy(found);
}
rmSync(modules, { recursive: true });
renameSync(slim, modules);
rmSync(tsc, { recursive: true });
const size = (f) => (readFileSync(f).length / 1e6).toFixed(1);
console.error(`[gateway-bundle] ${relative(dir, out)} ${size(out)} MB (map ${size(`${out}.map`)} MB); node_modules: ${[...copied].map((p) => relative(modules, p)).sort().join(' ')}`);
