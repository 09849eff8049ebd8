// One resolver for every GraphQL field served by a Lambda function (APPSYNC_JS runtime).
//
// Envelope contract: the function returns either {"data": <field value>} or
// {"error": {"type": "BadRequest" | "Conflict" | "InternalError", "message": "...", "info": {...} | null}}.
// A typed error becomes an entry in the response's errors[] with that errorType; anything else
// (a crash, a timeout, a malformed answer) becomes "InternalError" without leaking its text.
// local/appsync.py mirrors this file; both are held to tests/resolvers/envelope_cases.json.
import { util } from '@aws-appsync/utils';

export function request(ctx) {
  // The same event shape as a direct Lambda resolver, with two of the caller's headers: the trace id
  // and the x-api-key, from which the function identifies the calling client (it keeps only the
  // key's SHA-256 and never logs it). No other header is forwarded.
  return {
    operation: 'Invoke',
    payload: {
      arguments: ctx.arguments,
      identity: null,
      source: null,
      request: {
        headers: {
          'x-amzn-trace-id': ctx.request.headers['x-amzn-trace-id'],
          'x-api-key': ctx.request.headers['x-api-key'],
        },
      },
      info: {
        fieldName: ctx.info.fieldName,
        parentTypeName: ctx.info.parentTypeName,
        variables: ctx.info.variables,
        selectionSetList: ctx.info.selectionSetList,
      },
      prev: null,
      stash: {},
    },
  };
}

export function response(ctx) {
  if (ctx.error) {
    console.error('Lambda invocation failed', ctx.error.type);
    util.error('Internal error', 'InternalError');
  }
  const result = ctx.result;
  if (!result) {
    util.error('Internal error', 'InternalError');
  }
  const error = result.error;
  if (error) {
    if (typeof error.type !== 'string') {
      // not {type, message, info}: a string, a number, a list, an object without a type
      util.error('Internal error', 'InternalError');
    }
    util.error(error.message, error.type, null, error.info);
  }
  return result.data;
}
