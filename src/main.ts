#!/usr/bin/env node
/**
 * The `sqlgate` binary: makes sure a supported Node runs it, then hands argv to the command line, nothing else.
 * The command line is imported only after the check: a static import would load the native addons first, and on
 * an older Node they crash the process (a segmentation fault) before any check could run (issue 8).
 */
import { ensureSupportedNode } from './cli/ensure-supported-node.js';

if (ensureSupportedNode() === 'run') {
  const { applyServerV8Settings } = await import('./cli/v8-settings.js');
  applyServerV8Settings(); // before anything compiles WebAssembly
  const { runCli } = await import('./cli/run-cli.js');
  const code = await runCli({
    argv: process.argv,
    env: process.env,
    cwd: process.cwd(),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stdin: process.stdin,
  });
  process.exitCode = code;
}
