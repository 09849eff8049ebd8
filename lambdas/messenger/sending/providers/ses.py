"""Amazon SES: e-mail, one message per request, sent in the API request."""

from __future__ import annotations

from messenger.messages.models import DeliveryMethod, Provider
from messenger.sending.providers.base import ProviderSpec


def _channel(settings):
    from messenger.adapters.aws import client
    from messenger.adapters.ses import SesEmailChannel

    region = settings.ses_region
    return SesEmailChannel(client("sesv2", region, retries=1), settings.ses_event_configuration_set)


PROVIDER = ProviderSpec(Provider.SES, DeliveryMethod.EMAIL, queued=False, build_channel=_channel,
                        rate_setting="ses_max_send_rate")  # fmt: skip
