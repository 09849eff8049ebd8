// Stand-in for '@aws-appsync/utils' (only what the resolvers use), for running them under Node.
//
// util.error(message, errorType?, data?, errorInfo?) ends the handler, as in the APPSYNC_JS runtime,
// by throwing an object that carries the four arguments as given (undefined stays undefined).
export class UtilError extends Error {
  constructor(message, type, data, info) {
    super(String(message));
    this.appsync = { message, type, data, info };
  }
}

export const util = {
  error(message, type, data, info) {
    throw new UtilError(message, type, data, info);
  },
};
