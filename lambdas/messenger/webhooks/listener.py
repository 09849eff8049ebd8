"""The webhooks listener of the status writer: every status a message reaches becomes one MESSAGE_STATUS
event on the webhooks queue, in the step that changed the status, when some enabled webhook takes
MESSAGE_STATUS (subscriptions.py: a cached answer, so a service without webhooks sends nothing). The
worker fans the event out to the webhooks (delivery.py), so a status writer never reads their secrets.

An enqueue that fails never fails or repeats the status change (nor a send): events.Emitter logs it
without the recipient or body and counts it (`WebhookEnqueueFailed`); that event is then not delivered.
"""

from __future__ import annotations

from messenger.messages.metrics import channel_of
from messenger.messages.models import Message
from messenger.webhooks.events import Emitter, EventQueue, Subscribed, status_event

__all__ = ["WebhookListener", "status_event"]


class WebhookListener:
    def __init__(self, queue: EventQueue | None, subscriptions: Subscribed) -> None:
        self._emitter = Emitter(queue, subscriptions)

    def recorded(self, message: Message) -> None:
        self.enqueue(message)

    def moved(self, message: Message) -> None:
        self.enqueue(message)

    def enqueue(self, message: Message) -> bool:
        """True when an event was enqueued; False when no webhook takes it or the enqueue failed."""
        return self._emitter.emit(status_event(message), channel_of(message))
