#!/usr/bin/env node
// Builds a JavaScript call script into a huashu component:
//
//   node sdk/js/build.mjs SCRIPT.js OUT.wasm
//
// 1. rolldown bundles the script with this SDK (`import … from 'huashu-sdk'`) into one ES
//    module; the contract's imports (`huashu:dialogue/…`) stay imports.
// 2. componentize-js (SpiderMonkey, pre-initialised with wizer) turns it into a component
//    for the `dialogue` world in wit/. Its `http` and `fetch-event` features are disabled:
//    huashu offers no wasi:http, so the component imports only what huashu provides
//    (huashu:dialogue/log and kv, and the locked-down WASI that stdio, clocks and random
//    need: console output goes to the call log, time and randomness are the call's own).
//
// Both tools come from sdk/js/node_modules (`./scripts/setup` installs them there).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const sdk = dirname(fileURLToPath(import.meta.url));
const root = resolve(sdk, '../..');

async function load(name) {
  try {
    return await import(name);
  } catch (error) {
    console.error(`${name} is not installed in ${sdk}/node_modules: run ./scripts/setup (${error.message})`);
    process.exit(127);
  }
}

const [source, out] = process.argv.slice(2);
if (!source || !out) {
  console.error('usage: node sdk/js/build.mjs SCRIPT.js OUT.wasm');
  process.exit(2);
}

const { rolldown } = await load('rolldown');
const { componentize } = await load('@bytecodealliance/componentize-js');

const work = await mkdtemp(join(tmpdir(), 'huashu-js-'));
try {
  const bundled = join(work, 'script.js');
  const bundle = await rolldown({
    input: resolve(source),
    external: [/^huashu:/, /^wasi:/],
    resolve: { alias: { 'huashu-sdk': join(sdk, 'src/index.js') } },
    logLevel: 'warn',
  });
  await bundle.write({ file: bundled, format: 'esm' });
  await bundle.close();

  const { component } = await componentize({
    sourcePath: bundled,
    witPath: join(root, 'wit'),
    worldName: 'dialogue',
    disableFeatures: ['http', 'fetch-event'],
  });
  await mkdir(dirname(resolve(out)), { recursive: true });
  await writeFile(out, component);
} finally {
  await rm(work, { recursive: true, force: true });
}
