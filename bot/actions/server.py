"""The action server as ``shaml actions`` runs it: rasa_sdk's app, answering only Rasa.

rasa_sdk 3.6 has no authentication of its own: anyone who reaches ``/webhook`` could run any action
with a tracker they wrote (any sender id, any slots). Here every route but ``/health`` needs the
token header Rasa sends (``action_endpoint.headers`` in the endpoints file ``shaml rasa`` writes);
anything else gets 401 before an action runs.
"""

from __future__ import annotations

import logging

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.internal_auth import ACTIONS_HEADER, token_ok

log = logging.getLogger(__name__)

#: Routes open without the token: the liveness probe only.
OPEN_PATHS = frozenset({"/health"})


def create_guarded_app(token: str, package: str = "bot.actions") -> Sanic:
    """rasa_sdk's Sanic app for ``package`` with the token check in front of every route but /health."""
    if not token:
        raise ValueError("the action server needs a token (SHAML_ACTIONS_TOKEN or SHAML_RASA_TOKEN)")
    app = create_app(package, cors_origins=None)

    @app.middleware("request")
    async def only_rasa(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        if token_ok(token, request.headers.get(ACTIONS_HEADER)):
            return None
        log.warning("action server: %s %s refused (401): no valid token", request.method, request.path)
        return response.json({"error": "unauthorized"}, status=401)

    return app


def serve(token: str, host: str, port: int) -> None:
    """Run the guarded action server in this process (one Sanic worker: the deps live here)."""
    app = create_guarded_app(token)
    log.info("action server listening on %s:%d (token required)", host, port)
    app.run(host, port, workers=1, access_log=False)
