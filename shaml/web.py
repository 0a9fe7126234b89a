"""The web service: ``create_app(settings)`` builds the FastAPI app with the gateway's routes.

Other parts (the operators' console) add their routers to the app this returns; the gateway
objects are on ``app.state`` (``settings``, ``factory``, ``gateway``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import redis
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from bot.channels.base import Ignored, InboundMessage, Ping, WebhookItem, WebRequest, headers_of
from bot.channels.sim import SimChannel
from bot.channels.smsgate import SmsGateChannel
from bot.channels.telegram import TelegramChannel
from bot.channels.twilio import TwilioChannel
from bot.gateway.context import Gateway, GatewayConfig
from bot.gateway.dialogue import Dialogue, RasaRestClient
from bot.gateway.errors import WebhookError
from bot.gateway.inbound import accept
from bot.gateway.phones import record_ping
from bot.gateway.routes import RouteTable
from bot.gateway.status import apply_status
from shaml import bodylimit
from shaml.db import make_engine, session_factory
from shaml.settings import Settings

log = logging.getLogger(__name__)

#: Twilio wants an answer; an empty TwiML response sends nothing back on the webhook itself.
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def gateway_config(settings: Settings) -> GatewayConfig:
    """The gateway's plain configuration from the settings."""
    return GatewayConfig(
        redis_prefix=settings.redis_prefix,
        rate_limit_per_minute=settings.rate_limit_per_minute,
        dedupe_ttl_seconds=settings.dedupe_ttl_seconds,
        lock_seconds=settings.gateway_lock_seconds,
        max_attempts=settings.send_max_attempts,
        retry_base_ms=settings.retry_base_ms,
        retry_max_ms=settings.retry_max_ms,
        sweep_seconds=settings.sweep_seconds,
        template_sid=settings.twilio_template_sid,
        template_variables=settings.twilio_template_variables,
        status_callback_url=f"{settings.public_url}/twilio/status",
    )


def build_gateway(settings: Settings, *, dialogue: Dialogue | None = None, factory: Any = None) -> Gateway:
    """The gateway wired from settings: database, Redis, Rasa's REST channel, Twilio and the simulator."""
    twilio = TwilioChannel(
        account_sid=settings.twilio_account_sid,
        auth_token=settings.twilio_auth_token,
        public_url=settings.public_url,
        api_url=settings.twilio_api_url,
        sms_from=settings.twilio_sms_from,
        whatsapp_from=settings.twilio_whatsapp_from,
    )
    redis_client = redis.Redis.from_url(settings.redis_url)
    telegram = TelegramChannel(
        token=settings.telegram_bot_token, webhook_secret=settings.telegram_webhook_secret, api_url=settings.telegram_api_url
    )
    smsgate = SmsGateChannel(
        api_url=settings.smsgate_api_url,
        username=settings.smsgate_username,
        password=settings.smsgate_password,
        signing_key=settings.smsgate_signing_key,
        devices=tuple(d.strip() for d in settings.smsgate_devices.split(",") if d.strip()),
        per_minute=settings.smsgate_per_minute,
        redis=redis_client,
        redis_prefix=settings.redis_prefix,
    )
    sim = SimChannel()
    return Gateway(
        factory=factory or session_factory(make_engine(settings.database_url)),
        redis=redis_client,
        dialogue=dialogue
        or RasaRestClient(settings.rasa_url, token=settings.rasa_token, timeout=settings.rasa_timeout_seconds),
        channels={"whatsapp": twilio, "sms": twilio, "telegram": telegram, "sim": sim},
        config=gateway_config(settings),
        providers={"twilio": twilio, "smsgate": smsgate, "telegram": telegram, "sim": sim},
        routes=RouteTable.parse(settings.sms_routes),
    )


async def _web_request(request: Request) -> WebRequest:
    return WebRequest(
        path=request.url.path,
        headers=headers_of(request.headers),
        body=await request.body(),
        query=request.url.query,
    )


def _refused(exc: WebhookError, what: str) -> Response:
    log.warning("%s refused (%d): %s", what, exc.http_status, exc.reason)
    if exc.http_status == 403:
        return PlainTextResponse("forbidden: invalid or missing signature", status_code=403)
    return PlainTextResponse(f"bad request: {exc.reason}", status_code=exc.http_status)


def _gateway(request: Request) -> Gateway:
    return request.app.state.gateway  # type: ignore[no-any-return]


def handle(gateway: Gateway, item: WebhookItem, what: str) -> None:
    """Act on what a channel read from a verified webhook, once however often the provider sends it.

    A person's message is stored (deduped on its provider id) and queued; a delivery report or a
    phone's ping that carries the provider's event id is applied once per id; an :class:`Ignored`
    update is only logged. The provider is then acknowledged, so it stops re-sending.
    """
    if isinstance(item, InboundMessage):
        accept(gateway, item)
        return
    if isinstance(item, Ignored):
        log.info("%s acknowledged and ignored: %s", what, item.reason)
        return
    once = gateway.key("dedupe", item.event_id) if item.event_id else None
    if once and not gateway.redis.set(once, "1", nx=True, ex=gateway.config.dedupe_ttl_seconds):
        log.info("repeat delivery of %s event ignored", what)
        return
    if isinstance(item, Ping):
        with gateway.transaction() as session:
            record_ping(session, item.device_id, item.health)
    else:
        apply_status(gateway, item)


async def webhook(
    request: Request,
    what: str,
    read: Callable[[Gateway, WebRequest], WebhookItem],
    ack: Callable[[], Response],
    *,
    check_headers: Callable[[Gateway, Mapping[str, str]], None] | None = None,
) -> Response:
    """Every provider's webhook: verify, read, dedupe and persist (:func:`handle`), then acknowledge.

    ``check_headers`` refuses a request on its headers alone, before the body is read (Telegram's
    secret); ``read`` is the channel's own check and parse, which raises a ``WebhookError`` to refuse.
    """
    gateway = _gateway(request)
    try:
        if check_headers is not None:
            check_headers(gateway, headers_of(request.headers))
    except WebhookError as exc:
        return _refused(exc, what)
    web = await _web_request(request)
    try:
        await run_in_threadpool(lambda: handle(gateway, read(gateway, web), what))
    except WebhookError as exc:
        return _refused(exc, what)
    return ack()


def _twiml() -> Response:
    return Response(EMPTY_TWIML, media_type="application/xml")


def _ok() -> Response:
    return JSONResponse({"ok": True})


def twilio_router() -> APIRouter:
    """``POST /twilio/inbound`` (SMS and WhatsApp) and ``POST /twilio/status``."""
    router = APIRouter()

    @router.post("/twilio/inbound")
    async def twilio_inbound(request: Request) -> Response:
        return await webhook(request, "inbound webhook", lambda gw, web: gw.channel("sms").receive(web), _twiml)

    @router.post("/twilio/status")
    async def twilio_status(request: Request) -> Response:
        return await webhook(request, "status callback", lambda gw, web: gw.channel("sms").status(web), _twiml)

    return router


def telegram_router() -> APIRouter:
    """``POST /telegram/webhook``: the secret header is checked before the body is read."""
    router = APIRouter()

    @router.post("/telegram/webhook")
    async def telegram_webhook(request: Request) -> Response:
        return await webhook(request, "Telegram webhook", lambda gw, web: gw.provider("telegram").receive(web), _ok,
                             check_headers=lambda gw, headers: gw.provider("telegram").check_secret(headers))

    return router


def smsgate_router() -> APIRouter:
    """``POST /smsgate/webhook``: the gateway phone's five events, each signed, each handled once."""
    router = APIRouter()

    @router.post("/smsgate/webhook")
    async def smsgate_webhook(request: Request) -> Response:
        return await webhook(request, "gateway webhook", lambda gw, web: gw.provider("smsgate").event(web), _ok)

    return router


def sim_router() -> APIRouter:
    """The phone simulator's inbound endpoint (demo mode): the same pipeline, without Twilio."""
    router = APIRouter()

    @router.post("/sim/inbound")
    async def sim_inbound(request: Request) -> Response:
        web = await _web_request(request)
        gateway = _gateway(request)
        sim = gateway.channel("sim")
        try:
            result = await run_in_threadpool(lambda: accept(gateway, sim.receive(web)))
        except WebhookError as exc:
            return _refused(exc, "simulator message")
        return JSONResponse(
            {"message_id": result.message_id, "contact_id": result.contact_id, "duplicate": result.duplicate}
        )

    return router


def health_router() -> APIRouter:
    """``/healthz`` (the process answers) and ``/readyz`` (the database and Redis answer too)."""
    router = APIRouter()

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    def readyz(request: Request) -> Response:
        gateway = _gateway(request)
        problems = []
        try:
            with gateway.factory() as session:
                session.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            problems.append(f"database: {type(exc).__name__}")
        try:
            gateway.redis.ping()
        except Exception as exc:  # noqa: BLE001
            problems.append(f"redis: {type(exc).__name__}")
        if problems:
            return JSONResponse({"status": "unavailable", "problems": problems}, status_code=503)
        return JSONResponse({"status": "ok"})

    return router


def create_app(settings: Settings, *, gateway: Gateway | None = None) -> FastAPI:
    """The web service. Pass ``gateway`` to reuse one (tests); otherwise it is built from ``settings``."""
    gateway = gateway or build_gateway(settings)
    app = FastAPI(title="Shaml", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.gateway = gateway
    app.state.factory = gateway.factory
    app.include_router(health_router())
    app.include_router(twilio_router())
    app.include_router(telegram_router())
    app.include_router(smsgate_router())
    if settings.demo:
        app.include_router(sim_router())
    mount_console(app, settings, gateway)
    app.add_middleware(bodylimit.BodyLimit, rules=body_rules(), default=bodylimit.MAX_FORM_BODY)
    return app


def body_rules() -> list[bodylimit.Rule]:
    """Body limits by path (see shaml.bodylimit): webhooks are small; the console's upload is the one
    large body. Any other path may send at most ``MAX_FORM_BODY``."""
    from console.app import body_limits

    webhook = bodylimit.MAX_WEBHOOK_BODY
    console = [bodylimit.Rule(prefix, limit, page) for prefix, limit, page in body_limits()]
    return [
        bodylimit.Rule("/twilio/", webhook), bodylimit.Rule("/telegram/", webhook), bodylimit.Rule("/smsgate/", webhook),
        bodylimit.Rule("/sim/", webhook), *console,
    ]


def mount_console(app: FastAPI, settings: Settings, gateway: Gateway) -> None:
    """The operators' console at ``/console`` (``/`` and ``/simulator`` point into it)."""
    from console.app import install
    from console.deps import ConsoleDeps

    install(app, ConsoleDeps(
        factory=gateway.factory,
        redis=gateway.redis,
        gateway=gateway,
        redis_prefix=settings.redis_prefix,
        secure_cookies=settings.public_url.startswith("https://"),
        demo=settings.demo,
        upload_dir=settings.var_dir / "uploads",
        import_batch_size=settings.import_batch_size,
        session_ttl=settings.session_idle_seconds,
        session_max=settings.session_max_seconds,
        trusted_proxies=settings.trusted_proxies,
        require_mfa=settings.console_require_mfa,
    ))


def app_from_env() -> FastAPI:
    """The app for ``uvicorn --factory``: settings from the environment, logging configured."""
    from shaml.keys import start_or_exit
    from shaml.settings import configure_logging, get_settings

    settings = get_settings()
    configure_logging(settings)
    engine = make_engine(settings.database_url)
    start_or_exit(settings, engine)  # a missing or wrong data key stops the service here, not mid-request
    engine.dispose()
    return create_app(settings)
