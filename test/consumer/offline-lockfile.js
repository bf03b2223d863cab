// Writes the consumer app's package-lock.json from this repository's own, so `npm ci --offline`
// installs it from the local npm cache alone: `npm ci` here cached every tarball of that lockfile,
// but resolving version ranges would need registry metadata the cache does not hold.
// Usage: node offline-lockfile.js <repo> <app> <tarball>
const { createHash } = require('node:crypto');
const { readFileSync, writeFileSync } = require('node:fs');
const { relative } = require('node:path');

const [repo, app, tarball] = process.argv.slice(2);
const own = JSON.parse(readFileSync(`${repo}/package.json`, 'utf8'));
const lock = JSON.parse(readFileSync(`${repo}/package-lock.json`, 'utf8'));
const manifest = JSON.parse(readFileSync(`${app}/package.json`, 'utf8'));

const packages = {
  '': { name: manifest.name, version: manifest.version, dependencies: manifest.dependencies, devDependencies: manifest.devDependencies },
  'node_modules/cdk-mlops': {
    version: own.version,
    resolved: `file:${relative(app, tarball)}`,
    integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
    license: own.license,
    dependencies: own.dependencies,
    peerDependencies: own.peerDependencies,
    bin: own.bin,
    engines: own.engines,
  },
};

/** Node's lookup: `name` as seen from the package at `path`, nearest node_modules first. */
function resolve(path, name) {
  for (let dir = path; ; dir = dir.slice(0, Math.max(dir.lastIndexOf('/node_modules/'), 0))) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!dir) return undefined;
  }
}

const pending = [
  ...Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).filter((name) => name !== 'cdk-mlops').map((name) => resolve('', name)),
  ...Object.keys({ ...own.dependencies, ...own.peerDependencies }).map((name) => resolve('', name)),
];
while (pending.length > 0) {
  const path = pending.pop();
  if (path === undefined || packages[path]) continue;
  const { dev, devOptional, ...entry } = lock.packages[path];
  packages[path] = entry;
  for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies })) pending.push(resolve(path, name));
}

writeFileSync(`${app}/package-lock.json`, `${JSON.stringify({ name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true, packages }, null, 2)}\n`);
console.log(`lockfile: ${Object.keys(packages).length - 1} packages, all from this repository's lockfile`);
