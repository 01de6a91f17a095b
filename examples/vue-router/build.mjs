// build.mjs puts the example together as a static directory for
// `sessionguard -static <out>`: the app (src/), the browser builds of Vue
// (the runtime: no template compiler, which would need eval) and Vue Router
// from node_modules, with the router's `import "vue"` pointed at the vendored
// file (sessionguard's Content-Security-Policy allows no inline import map),
// and sessionguard's own files from a built static directory. No bundler.
//
//   node build.mjs <sessionguard static dir> <out dir> [node_modules dir]
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [sgStatic, out, modules = join(here, 'node_modules')] = process.argv.slice(2);
if (!sgStatic || !out) {
  console.error('usage: node build.mjs <sessionguard static dir> <out dir> [node_modules dir]');
  process.exit(2);
}
mkdirSync(join(out, 'vendor'), { recursive: true });
for (const f of readdirSync(join(here, 'src'))) copyFileSync(join(here, 'src', f), join(out, f));
copyFileSync(join(modules, 'vue/dist/vue.runtime.esm-browser.prod.js'), join(out, 'vendor/vue.js'));
const routerSrc = readFileSync(join(modules, 'vue-router/dist/vue-router.esm-browser.prod.js'), 'utf8');
const routerOut = routerSrc.replace(/from\s*(["'])vue\1/g, 'from"/vendor/vue.js"');
if (routerOut === routerSrc || /from\s*["'](?![./])/.test(routerOut)) {
  console.error('build.mjs: vue-router imports something other than "vue"; update the rewrite');
  process.exit(1);
}
writeFileSync(join(out, 'vendor/vue-router.js'), routerOut);
// wasm_exec.js, the loader and the module (with its compressed forms, when
// the build made them), and the favicon.
for (const f of readdirSync(sgStatic)) {
  if (f === 'wasm_exec.js' || f === 'favicon.ico' || f.startsWith('sessionguard.')) copyFileSync(join(sgStatic, f), join(out, f));
}
console.log(`example built in ${out}`);
