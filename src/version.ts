/** sqlgate's version, read once from package.json (which ships next to dist/). */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const manifest = (() => {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      return require(candidate) as { name: string; version: string };
    } catch {
      // try the next location: src/ and dist/ sit at the same depth, tests one deeper
    }
  }
  return { name: 'sqlgate', version: '0.0.0' };
})();

export const SQLGATE_VERSION: string = manifest.version;
