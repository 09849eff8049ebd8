// Subscription.onMessageUpdated, on a NONE data source: runs when a client subscribes. A subscription
// with no argument would receive every message of every client: it is refused. The arguments given
// filter by equality on the published message (AppSync's argument filtering).
// The local mode mirrors it (local/subscriptions.py, NO_ARGUMENT).
import { util } from '@aws-appsync/utils';

export function request(ctx) {
  const args = ctx.arguments;
  if (!args.id && !args.to && !args.senderId && !args.reference) {
    util.error(
      'onMessageUpdated needs at least one argument: id, to, senderId or reference',
      'BadRequest',
    );
  }
  return { payload: null };
}

export function response(ctx) {
  return ctx.result;
}
