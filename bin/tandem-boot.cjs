// bin/tandem-node's entry: loads the TypeScript entry point given after it through tsx's CommonJS
// hook (required before this file). A .ts main entry would be loaded by Node's ESM loader
// whenever NODE_OPTIONS holds an --import (a test runner's, a profiler's), which has no tsx hook.
'use strict';
const Module = require('node:module');
const { resolve } = require('node:path');
const entry = process.argv[2];
if (!entry) {
  process.stderr.write('usage: bin/tandem-node <entry.ts> [args]\n');
  process.exit(2);
}
// The entry sees itself as argv[1], its own arguments after it, and itself as require.main, as if
// node had started it (Module._load's third argument: the main module).
process.argv.splice(1, 1);
Module._load(resolve(entry), null, true);
