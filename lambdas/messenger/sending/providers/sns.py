"""Amazon SNS: SMS, one message per request, sent in the API request."""

from __future__ import annotations

from messenger.messages.models import DeliveryMethod, Provider
from messenger.sending.providers.base import ProviderSpec


def _channel(settings):
    from messenger.adapters.aws import client
    from messenger.adapters.sns import SnsSmsChannel

    return SnsSmsChannel(client("sns", settings.sns_region, retries=1), settings.sms_type)


PROVIDER = ProviderSpec(Provider.SNS, DeliveryMethod.SMS, queued=False, build_channel=_channel,
                        rate_setting="sns_max_sms_rate")  # fmt: skip
