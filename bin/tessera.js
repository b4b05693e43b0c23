#!/usr/bin/env node
// The package's `bin`: runs the compiled CLI (built by `npm install` via the prepare script).
import { run } from '../dist/cli/main.js';

process.exitCode = await run(process.argv.slice(2));
