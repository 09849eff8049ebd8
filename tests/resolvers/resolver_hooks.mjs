// Module hooks for run_resolver.mjs: '@aws-appsync/utils' resolves to the stub, and the resolver file
// (plain .js outside any "type": "module" package) loads as an ES module, unchanged.
let resolverUrl;

export function initialize(data) {
  resolverUrl = data.resolverUrl;
}

export async function resolve(specifier, context, nextResolve) {
  if (specifier === '@aws-appsync/utils') {
    return { url: new URL('./appsync_utils_stub.mjs', import.meta.url).href, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (url === resolverUrl) {
    return nextLoad(url, { ...context, format: 'module' });
  }
  return nextLoad(url, context);
}
