// The npm registry reachable here serves only the linux-x64 build of rust-just, so `npm install`
// leaves the other platforms' optional packages out of package-lock.json, and `npm ci` then
// refuses the lock. This adds them as optional, platform-bound entries (npm skips them on other
// platforms without fetching). Run after changing dependencies: node scripts/lock-foreign-platforms.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const PLATFORMS = {
  'darwin-arm64': ['darwin', 'arm64'],
  'darwin-x64': ['darwin', 'x64'],
  'linux-arm': ['linux', 'arm'],
  'linux-arm64': ['linux', 'arm64'],
  'linux-armv7': ['linux', 'arm'],
  'linux-loong64': ['linux', 'loong64'],
  'linux-riscv64': ['linux', 'riscv64'],
  'linux-x64': ['linux', 'x64'],
  'windows-arm64': ['win32', 'arm64'],
  'windows-x64': ['win32', 'x64'],
};

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const justEntry = lock.packages['node_modules/rust-just'];
let added = 0;
for (const [name, version] of Object.entries(justEntry.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key] !== undefined) continue;
  const [os, cpu] = PLATFORMS[name.replace('rust-just-', '')] ?? [];
  if (os === undefined) throw new Error(`unknown platform package ${name}`);
  lock.packages[key] = { version, cpu: [cpu], dev: true, license: 'CC0-1.0', optional: true, os: [os] };
  added += 1;
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} platform entries`);
