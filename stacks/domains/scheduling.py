"""The scheduling domain: sendMessage's sendAt and cancelMessage (lambdas/messenger/scheduling/).

One schedule group, `sends`, whose one-time schedules hand a message's job to the outbound queue at its
sendAt (the worker then sends it as any queued message). The API function creates and deletes the
schedules; Scheduler itself sends to the queue with a role that may do nothing else.
Table calls of cancelMessage: Query (`byId`), GetItem (the record's current status), UpdateItem (the
conditional move to CANCELLED).
"""

from __future__ import annotations

from stacks import wiring as w
from stacks.config import ServiceConfig

ENV_SEND_SCHEDULES = "SEND_SCHEDULES"

SENDS = w.ScheduleGroupSpec(name="sends", queue="outbound", env_var=ENV_SEND_SCHEDULES)


def contribute(config: ServiceConfig) -> w.Domain:
    return w.Domain(
        name="scheduling",
        api=w.ApiPart(
            router="messenger.scheduling.api",
            fields=(("Mutation", "cancelMessage"),),
            scopes={"cancelMessage": w.SEND},
            capabilities=frozenset({w.TABLE_GET, w.TABLE_QUERY, w.TABLE_UPDATE, SENDS.manage_capability})
            | w.PUBLISHER_CAPABILITIES,
            resource_env=(w.ENV_TABLE_NAME, ENV_SEND_SCHEDULES, *w.PUBLISHER_ENV),
        ),
        schedule_groups=(SENDS,),
    )
