"""`python -m local`: the messaging API on this machine, no AWS account needed.

Start-up order matters: moto first and the AWS environment pointing at it, then the resources, then
the handler environment, and only then the handler modules (they read their settings at import).
Settings: LOCAL_PORT (default 4000, 0 = any free port), LOCAL_API_KEY (default local.startup.DEFAULT_API_KEY),
LOCAL_AT_REPORT_DELAY (seconds between a stand-in send and each delivery report, default 0.3),
LOCAL_AT_HANG_SECONDS (how long HANG_NUMBER holds a request, default 30), LOCAL_RECEIPT_DELAY (seconds
between an SES/SNS send and each of its receipts, default 0.3), LOCAL_SCHEDULE_SECONDS (the period of every
scheduled function, default the wiring's), LOCAL_SCHEDULER_POLL_SECONDS (how often due one-time schedules,
e.g. sendAt, are looked for and fired, default 0.5), LOCAL_LOG_LEVEL,
LOCAL_CONFIG (JSON of cdk.json `messaging` keys that override it, e.g. '{"defaultSmsProvider": "AFRICASTALKING"}').
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import signal
import sys
import threading
import warnings

from local.startup import EXIT_BAD_SETTING, LocalSettings, StartupError

log = logging.getLogger("local")


def main() -> int:
    """0 after a clean stop; EXIT_BAD_SETTING, with one line on stderr, when a setting or the port is wrong."""
    try:
        return _run()
    except StartupError as error:
        print(f"local mode not started: {error}", file=sys.stderr, flush=True)
        return EXIT_BAD_SETTING


def _run() -> int:
    from local.startup import bind_check, read_settings

    settings = read_settings()
    bind_check(settings.port)
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("botocore").setLevel(logging.WARNING)
    # Powertools warns on every handler without metrics; with metrics disabled here it is noise.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    from moto.server import ThreadedMotoServer

    from local.http import LOOPBACK

    with contextlib.ExitStack() as cleanup:  # unwinds in reverse: the last registered runs first
        from local.in_process_aws import serialise_dynamodb_over_http
        from local.moto_dynamodb import journal_transactions
        from local.moto_queries import by_key
        from local.moto_sqs import in_proportion

        serialise_dynamodb_over_http()
        journal_transactions()
        by_key()
        in_proportion()
        moto = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
        moto.start()
        cleanup.callback(moto.stop)
        host, port = moto.get_host_and_port()
        _point_aws_at(f"http://{host}:{port}")
        _serve(cleanup, settings)
        while not stop.wait(0.5):
            pass
        log.info("stopping")
    return 0


def _point_aws_at(endpoint: str) -> None:
    from local.resources import REGION

    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        # Drawn per run (moto accepts any): only the handlers, in this process, can sign the IAM-only
        # publish mutation that the local endpoint checks (local/iam.py).
        AWS_SECRET_ACCESS_KEY=secrets.token_urlsafe(24),
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
    )


def _serve(cleanup: contextlib.ExitStack, settings: LocalSettings) -> None:
    # Imported here: boto3 clients and handler settings must see the environment set above.
    from local.africastalking_standin import AfricasTalkingStandIn, StandInSettings
    from local.api_keys import LocalApiKeys
    from local.appsync import MAX_REQUEST_BYTES, AppSyncApi
    from local.aws_calls import AwsCallCounter
    from local.console import Console
    from local.function_url import function_url_path, mount_function_urls
    from local.graphql_server import GRAPHQL_PATH, GraphqlEndpoint
    from local.http import LocalHttpServer
    from local.in_process_aws import answer_in_process
    from local.lambda_runtime import load_functions
    from local.loopback import route_handlers_in_process
    from local.outbox import Outbox
    from local.realtime import RealtimeEndpoint
    from local.resources import (
        REGION,
        add_table_route,
        create_resources,
        handler_environment,
    )
    from local.one_time_schedules import OneTimeSchedules
    from local.schedules import Schedules
    from local.webhooks import add_webhooks_route
    from local.sqs_poller import SqsPoller, add_dead_letter_route, peek_dead_letters
    from local.startup import port_error
    from local.subscriptions import SubscriptionHub
    from stacks.config import PROJECT_ROOT
    from stacks.wiring import build_wiring

    # LOCAL_CONFIG: JSON with cdk.json `messaging` keys to try other settings without editing cdk.json.
    config = settings.config
    wiring = build_wiring(config)
    api_key = settings.api_key
    resources = create_resources(config, wiring, api_key)
    outbox = Outbox()

    try:
        server = LocalHttpServer(settings.port, MAX_REQUEST_BYTES)
    except OSError as error:  # taken since bind_check looked
        raise port_error(settings.port, error) from None
    cleanup.callback(server.stop)
    reports_url = server.base_url + function_url_path("delivery_reports")
    standin = AfricasTalkingStandIn(
        StandInSettings(
            secret_name=resources.at_secret_name,
            callback_url=f"{reports_url}/reports/{resources.report_token}",
            report_delay_seconds=settings.at_report_delay,
            hang_seconds=settings.at_hang_seconds,
        ),
        outbox,
        REGION,
    )

    os.environ.update(handler_environment(wiring, resources, graphql_url=f"{server.base_url}{GRAPHQL_PATH}"))
    os.environ.update(
        AT_BASE_URL=json.dumps(standin.url),  # settings travel as JSON (messenger.core.settings)
        RETRY_BASE_SECONDS="1",  # the worker backs off 1, 2, 4 s instead of 10, 20, 40 s
        POWERTOOLS_TRACE_DISABLED="true",  # no X-Ray daemon here
        POWERTOOLS_METRICS_DISABLED="true",  # no EMF lines on stdout
    )
    functions = load_functions(wiring.functions, REGION, after_invoke=outbox.refresh)
    calls = AwsCallCounter()
    emitter = _receipt_emitter(wiring, resources, functions, settings.receipt_delay)
    # The handlers' clients reach moto in-process (local/in_process_aws.py), each still counted and watched.
    calls.instrument_handlers(answer_in_process, *([emitter.watch] if emitter else []))
    schedules = Schedules(wiring.schedules, functions, REGION, settings.schedule_seconds)
    schedules.add_routes(server)
    keys = LocalApiKeys(REGION, resources.api_id)
    one_time = OneTimeSchedules(list(resources.schedule_groups.values()), REGION, settings.scheduler_poll_seconds)
    appsync = AppSyncApi(PROJECT_ROOT / "schema.graphql", wiring, functions)
    hub = SubscriptionHub(appsync.schema)
    appsync.on_publish = hub.publish
    endpoint = GraphqlEndpoint(
        api_key, appsync, (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]),
        RealtimeEndpoint(api_key, hub, accepts=keys.accepts), accepts=keys.accepts,
    )
    endpoint.add_routes(server)
    # The handlers' signed publishes to this endpoint skip the socket (same request, same check).
    route_handlers_in_process(f"{server.base_url}{GRAPHQL_PATH}", endpoint._handle)
    mount_function_urls(server, wiring.functions, functions)
    outbox.add_routes(server)
    standin.add_routes(server)
    _inbound_injector(wiring, resources, reports_url, config).add_routes(server)
    calls.add_routes(server)
    add_dead_letter_route(server, list(resources.queues.values()), REGION)
    Console(api_key, outbox, resources.table_name,
            lambda: peek_dead_letters(list(resources.queues.values()), REGION)).add_routes(server)
    add_table_route(server, resources.table_name)
    add_webhooks_route(server, resources.table_name)
    pollers = [
        SqsPoller(spec, resources.queues[spec.name], functions[spec.worker], REGION,
                  watch=lambda client: answer_in_process(calls.watch(client, "event source")))
        for spec in wiring.queues
    ]

    # Shutdown runs these in reverse: stop polling, release the stand-in (a hung request returns),
    # wait for the pollers' last invocations, then the API server, then moto.
    cleanup.callback(_join, pollers)
    cleanup.callback(schedules.stop)
    cleanup.callback(one_time.stop)
    if emitter:
        cleanup.callback(emitter.stop)
    cleanup.callback(standin.stop)
    for poller in pollers:
        cleanup.callback(poller.stop)

    standin.start()
    if emitter:
        emitter.start()
    schedules.start()
    one_time.start()
    for poller in pollers:
        poller.start()
    server.start()
    base = server.base_url
    print(f"Console (explorer, outbox, history, DLQ): {base}/", flush=True)
    print(f"Local messaging API: {base}/graphql  x-api-key: {api_key}", flush=True)
    print(f"Subscriptions (AppSync real-time): ws://{base.removeprefix('http://')}/graphql", flush=True)
    print(f"Outbox: {base}/local/outbox  Health: {base}/local/health  DLQ: {base}/local/dlq", flush=True)
    print(f"AWS (moto) endpoint: {os.environ['AWS_ENDPOINT_URL']}  (aws --endpoint-url ...)", flush=True)
    print(f"Africa's Talking stand-in: {standin.url}/version1/messaging", flush=True)


def _receipt_emitter(wiring, resources, functions, delay: float):
    """SES events into the queue the SES topic feeds; SMS logs to the function their subscription names."""
    from local.provider_receipts import ReceiptEmitter
    from local.resources import REGION

    topic = next((t for t in wiring.topics if t.publisher_service == "ses"), None)
    logs = next((s for s in wiring.log_subscriptions), None)
    if topic is None or logs is None:
        return None
    return ReceiptEmitter(REGION, resources.queues[topic.queue].url, functions[logs.function], delay)


def _inbound_injector(wiring, resources, reports_url: str, config):
    """POST /local/inbound: an SMS to our number, through the callback path of the provider it names."""
    from local.inbound import InboundInjector
    from local.lambda_runtime import ACCOUNT_ID
    from local.resources import REGION
    from stacks.wiring import resource_names

    topic = next(t for t in wiring.topics if t.publisher_service == "sms-voice")
    topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{resource_names(config).topic(topic)}"
    return InboundInjector(f"{reports_url}/inbound/{resources.report_token}", resources.queues[topic.queue].url,
                           resources.table_name, REGION, topic_arn)


def _join(pollers: list) -> None:
    for poller in pollers:
        poller.join(10)


if __name__ == "__main__":
    sys.exit(main())
