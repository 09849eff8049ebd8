// Runs an APPSYNC_JS resolver file under Node: `node run_resolver.mjs <resolver.js>`, calls on stdin.
//
// stdin:  [{"handler": "request" | "response", "ctx": {...}}, ...]
// stdout: one outcome per call, in order:
//   {"returned": value}          the handler returned (undefined becomes null, as AppSync reads it)
//   {"utilError": {message, type, data, info}}   the handler called util.error (undefined keys left out)
//   {"crashed": "TypeError: ..."}               anything else the handler threw
import { register } from 'node:module';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

if (typeof register !== 'function') {
  console.error(`run_resolver.mjs needs Node.js >= 20.6 (module.register); this is ${process.version}`);
  process.exit(2);
}
const resolverUrl = pathToFileURL(process.argv[2]).href;
register('./resolver_hooks.mjs', { parentURL: import.meta.url, data: { resolverUrl } });

const { UtilError } = await import('./appsync_utils_stub.mjs');
const resolver = await import(resolverUrl);

const calls = JSON.parse(readFileSync(0, 'utf8'));
const outcomes = calls.map(({ handler, ctx }) => {
  try {
    const value = resolver[handler](ctx);
    return { returned: value === undefined ? null : value };
  } catch (error) {
    if (error instanceof UtilError) {
      return { utilError: error.appsync };
    }
    return { crashed: String(error) };
  }
});
process.stdout.write(JSON.stringify(outcomes));
