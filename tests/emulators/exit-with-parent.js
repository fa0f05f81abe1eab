#!/usr/bin/env node
// Runs a Node program (a module path, resolved from the repository's node_modules or relative to this folder) in
// this process and exits when stdin closes. Test fixtures start emulators through it with stdin on a pipe: when the
// test process ends, even killed, the pipe closes and the emulator goes with it instead of lingering on its port.
//
// Usage: node tests/emulators/exit-with-parent.js <module> [arguments for the module...]
//   e.g. node tests/emulators/exit-with-parent.js azurite/dist/src/azurite.js --silent --inMemoryPersistence
'use strict';

const path = require('path');

const [moduleName, ...args] = process.argv.slice(2);
if (!moduleName) {
  process.stderr.write('Usage: exit-with-parent.js <module> [arguments...]\n');
  process.exit(2);
}

const resolved = moduleName.startsWith('.') ? path.resolve(__dirname, moduleName) : require.resolve(moduleName);
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();

// The program sees the command line it would have had if started directly.
process.argv = [process.argv[0], resolved, ...args];
require(resolved);
