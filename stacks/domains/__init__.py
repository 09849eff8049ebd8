"""The registry: every domain of the service, in the order their functions are created.

A domain is a module here with `contribute(config) -> Domain`; adding one is that module and one line.
"""

from stacks.domains import (
    delivery_reports,
    inbound,
    proxy,
    messages,
    receipts,
    sending,
    suppressions,
    sweeper,
    templates,
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
    inbound.contribute,
    verification.contribute,
    proxy.contribute,
)
