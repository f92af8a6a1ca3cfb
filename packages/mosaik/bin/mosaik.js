#!/usr/bin/env node
// Launcher for the `mosaik` CLI: a committed file, so package managers can link the bin
// before the TypeScript build has produced dist/.
import '../dist/cli/main.js';
