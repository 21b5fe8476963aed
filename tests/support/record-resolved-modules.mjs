/**
 * Preloaded into a sqlgate process under test (`node --import` through NODE_OPTIONS): appends the URL of every
 * module the process resolves, once each, to the file named by SQLGATE_TEST_RESOLVED_MODULES, so that a test can
 * say which packages a start loaded. ESM has no require.cache to look into afterwards; a synchronous resolve hook
 * (module.registerHooks, Node 22.15+) sees static and dynamic imports and require() alike.
 */
import fs from 'node:fs';
import { registerHooks } from 'node:module';

const file = process.env.SQLGATE_TEST_RESOLVED_MODULES;
const seen = new Set();

if (file) {
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      if (!seen.has(resolved.url)) {
        seen.add(resolved.url);
        fs.appendFileSync(file, `${resolved.url}\n`);
      }
      return resolved;
    },
  });
}
