#!/usr/bin/env node
/** The `sqlgate` binary: hands argv to the command line, nothing else. */
import { runCli } from './cli/run-cli.js';

const code = await runCli({
  argv: process.argv,
  env: process.env,
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdin: process.stdin,
});
process.exitCode = code;
