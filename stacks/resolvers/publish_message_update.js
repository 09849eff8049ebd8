// Mutation.publishMessageUpdate (IAM only), on a NONE data source: no Lambda runs. The status writers
// call it with the message as written; AppSync hands the result to the onMessageUpdated subscribers
// whose arguments match. The local mode mirrors it (local/subscriptions.py).
export function request(ctx) {
  return { payload: ctx.arguments.message };
}

export function response(ctx) {
  return ctx.result;
}
