#!/usr/bin/env -S node --max-semi-space-size=2
// --max-semi-space-size=2 (MB): V8's young generation otherwise grows to 16 MB semi-spaces under
// load, ~30 MB of RSS a gateway does not need; forward-auth throughput is the same either way
// (bench/README.md, issue 14). Running `node bin/gatehouse.js` directly skips this line: pass the
// flag yourself (or NODE_OPTIONS=--max-semi-space-size=2).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
