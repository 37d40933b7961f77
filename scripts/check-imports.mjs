// Part of `npm run lint`: the module layout rules of docs/architecture.md, checked on every import.
//  - folders are layered; a module imports only its own folder or a folder below it in LAYERS;
//  - another folder is reached only through its index.ts (its public surface);
//  - nothing imports src/cli/;
//  - no import cycles between modules.
// Hand-written rather than a dependency-graph package: the rules are ours and the check is ~100 lines.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Lowest first: each folder may depend on the ones before it, never on the ones after it. */
export const LAYERS = [
  'common',
  'bus',
  'plan',
  'schedule',
  'resources',
  'workspace',
  'approvals',
  'records',
  'tmux',
  'harness',
  'mcp',
  'executor',
  'run',
  'agents',
  'control',
  'ui',
  'cli',
];

const root = resolve(new URL('..', import.meta.url).pathname);
const src = join(root, 'src');

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const SPEC = /(?:^|[^.\w])(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

/** Relative import specifiers of one file, comments removed so examples in prose do not count. */
function importsOf(file) {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specs = [];
  for (const m of text.matchAll(SPEC)) specs.push(m[1] ?? m[2]);
  return specs;
}

const folderOf = (file) => relative(src, file).split(sep)[0];
const show = (file) => relative(root, file);

const files = walk(src);
const known = new Set(files);
const problems = [];
const graph = new Map();

for (const file of files) {
  const from = folderOf(file);
  if (from.endsWith('.ts')) problems.push(`${show(file)}: modules live in a folder of src/ (one of ${LAYERS.join(', ')})`);
  else if (!LAYERS.includes(from)) problems.push(`${show(file)}: folder src/${from} is not in the layering; add it to LAYERS in scripts/check-imports.mjs and to docs/architecture.md`);
  const edges = [];
  for (const spec of importsOf(file)) {
    const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    if (!known.has(target)) {
      if (target.startsWith(src)) problems.push(`${show(file)}: imports ${spec}, which is not a module of src/`);
      continue;
    }
    edges.push(target);
    const to = folderOf(target);
    if (to === from) continue;
    if (to === 'cli') problems.push(`${show(file)}: imports ${spec}; nothing outside src/cli may import src/cli`);
    else if (LAYERS.indexOf(to) > LAYERS.indexOf(from)) {
      problems.push(`${show(file)}: imports ${spec}, but src/${to} is above src/${from} in the layering (${LAYERS.join(' < ')})`);
    } else if (relative(join(src, to), target) !== 'index.ts') {
      problems.push(`${show(file)}: imports ${spec}; other folders are used through their index.ts (src/${to}/index.ts)`);
    }
  }
  graph.set(file, edges);
}

// Cycles: Tarjan's strongly connected components; any component of two or more modules is a cycle.
let index = 0;
const stack = [];
const state = new Map();
function strongConnect(v) {
  state.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const w of graph.get(v) ?? []) {
    if (!state.has(w)) {
      strongConnect(w);
      state.get(v).low = Math.min(state.get(v).low, state.get(w).low);
    } else if (state.get(w).onStack) state.get(v).low = Math.min(state.get(v).low, state.get(w).index);
  }
  if (state.get(v).low === state.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      state.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1) problems.push(`import cycle: ${component.map(show).sort().join(' ↔ ')}`);
  }
}
for (const file of files) if (!state.has(file)) strongConnect(file);

if (problems.length > 0) {
  console.error(`check-imports: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`check-imports: ${files.length} modules, layering and cycles ok`);
