"""The registry: every domain of the service, in the order their functions are created.

A domain is a module here with `contribute(config) -> Domain`; adding one is that module and one line.
"""

from stacks.domains import (
    clients,
    batches,
    delivery_reports,
    erasure,
    limits,
    inbound,
    proxy,
    messages,
    receipts,
    scheduling,
    sending,
    suppressions,
    sweeper,
    templates,
    webhooks,
    verification,
)

DOMAINS = (
    messages.contribute,
    sending.contribute,
    delivery_reports.contribute,
    receipts.contribute,
    sweeper.contribute,
    suppressions.contribute,
    templates.contribute,
    clients.contribute,
    erasure.contribute,
    scheduling.contribute,
    limits.contribute,
    batches.contribute,
    webhooks.contribute,
    inbound.contribute,
    verification.contribute,
    proxy.contribute,
)
