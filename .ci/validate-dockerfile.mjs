// node validate-dockerfile.mjs CONTEXT: CONTEXT/Dockerfile parses and validates, and what it takes from CONTEXT is there.
import { createRequire } from 'module';
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
const require = createRequire(import.meta.url);
const { validate } = require('dockerfile-utils');
const { DockerfileParser } = require('dockerfile-ast');

const context = process.argv[2];
const text = readFileSync(join(context, 'Dockerfile'), 'utf8');
const errors = [];
for (const p of validate(text)) {
  if (p.severity === 1) errors.push(`line ${p.range.start.line + 1}: ${p.message}`);
}
const ignored = readFileSync(join(context, '.dockerignore'), 'utf8').split('\n').map(l => l.trim())
  .filter(l => l && !l.startsWith('#')).map(l => l.replace(/^\*\*\//, '').replace(/\/$/, ''));
const fromContext = (line, path) => {
  const p = path.replace(/^\.\//, '').replace(/\/$/, '');
  if (p.includes('$') || p.includes('*')) return;
  if (!existsSync(join(context, p))) errors.push(`line ${line}: ${path} is not in the build context`);
  else if (ignored.some(i => p === i || p.startsWith(i + '/') || p.split('/').includes(i)))
    errors.push(`line ${line}: ${path} is excluded by .dockerignore`);
};
let checked = 0;
for (const i of DockerfileParser.parse(text).getInstructions()) {
  const line = i.getRange().start.line + 1;
  const flags = i.getFlags ? i.getFlags() : [];
  if (i.getKeyword() === 'COPY' && !flags.some(f => f.getName() === 'from')) {
    i.getArguments().slice(0, -1).forEach(a => { fromContext(line, a.getValue()); checked++; });
  }
  for (const f of flags.filter(f => f.getName() === 'mount')) {
    const opts = Object.fromEntries(f.getValue().split(',').map(kv => kv.split('=')));
    if (opts.type === 'bind' && !opts.from) { fromContext(line, opts.source ?? '.'); checked++; }
  }
}
if (errors.length) {
  console.error('Dockerfile:\n  ' + errors.join('\n  '));
  process.exit(1);
}
console.log(`Dockerfile: valid, its ${checked} paths from the build context present and not ignored`);
