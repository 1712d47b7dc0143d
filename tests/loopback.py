"""Real HTTP servers on loopback for the tests: a stand-in for the GOV.UK Notify API, and a webhook receiver.

Both are ``ThreadingHTTPServer``s in a thread of the test process, on a port of their own (8160-8169: the ports
this suite's servers use). Nothing in them is a mock of a client: the code under test makes real HTTP requests.

The Notify stand-in answers as the API documentation shows (docs.notifications.service.gov.uk/rest-api): it
checks the bearer JWT (HS256, signed with the API key's secret, ``iss`` the service id, ``iat`` within 30
seconds), answers 201 with the notification's id for a known template, and 400 or 403 with Notify's error body
otherwise.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt

PORTS = range(8160, 8170)
SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"councillor_safety_test-{SERVICE_ID}-{SECRET}"


def free_port() -> int:
    for port in PORTS:
        with contextlib.closing(socket.socket()) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8160-8169")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler], port: int | None = None, **attrs: Any) -> Iterator[_Server]:
    server = _Server(("127.0.0.1", port or free_port()), handler)
    for name, value in attrs.items():
        setattr(server, name, value)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# GOV.UK Notify ---------------------------------------------------------------------------------------
@dataclass
class NotifyState:
    templates: dict[str, str]  # template id -> "email" or "sms"
    sent: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)


class NotifyHandler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, error: str, message: str) -> None:
        self.server.state.refused.append({"status": status, "message": message})
        self._answer(status, {"status_code": status, "errors": [{"error": error, "message": message}]})

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        state: NotifyState = self.server.state
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            return self._error(401, "AuthError", "Unauthorized: authentication token must be provided")
        try:
            claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["iss", "iat"]})
        except jwt.PyJWTError as exc:
            return self._error(403, "AuthError", f"Invalid token: {exc}")
        if claims["iss"] != SERVICE_ID or abs(time.time() - int(claims["iat"])) > 30:
            return self._error(403, "AuthError", "Invalid token: service not found or token expired")
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self._error(400, "BadRequestError", "Invalid JSON")
        kind = {"/v2/notifications/email": "email", "/v2/notifications/sms": "sms"}.get(self.path)
        if kind is None:
            return self._error(404, "NotFound", "Not found")
        to_field = "email_address" if kind == "email" else "phone_number"
        if not body.get(to_field):
            return self._error(400, "ValidationError", f"{to_field} is a required property")
        if state.templates.get(body.get("template_id")) != kind:
            return self._error(400, "BadRequestError", "Template not found")
        notification_id = str(uuid.uuid4())
        personalisation = body.get("personalisation") or {}
        state.sent.append({"id": notification_id, "type": kind, "to": body[to_field], **body,
                           "at": time.monotonic()})
        content: dict[str, Any] = {"body": personalisation.get("message", "")}
        if kind == "email":
            content.update(subject=personalisation.get("subject", ""), from_email="council@notifications.example")
        else:
            content.update(from_number="COUNCIL")
        self._answer(201, {
            "id": notification_id, "reference": body.get("reference"), "content": content,
            "uri": f"http://127.0.0.1:{self.server.server_port}/v2/notifications/{notification_id}",
            "template": {"id": body["template_id"], "version": 1,
                         "uri": f"http://127.0.0.1:{self.server.server_port}/v2/template/{body['template_id']}"},
        })


@contextlib.contextmanager
def notify_standin(templates: dict[str, str]) -> Iterator[Any]:
    state = NotifyState(templates=templates)
    with serving(NotifyHandler, state=state) as server:
        server.base_url = f"http://127.0.0.1:{server.server_port}"
        yield server


# A webhook receiver ------------------------------------------------------------------------------------
class ReceiverHandler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.server.received.append({"headers": dict(self.headers.items()), "body": body, "at": time.monotonic()})
        status = self.server.answer
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextlib.contextmanager
def receiver(port: int | None = None, answer: int = 204) -> Iterator[Any]:
    with serving(ReceiverHandler, port=port, received=[], answer=answer) as server:
        server.url = f"http://127.0.0.1:{server.server_port}/hooks/safety"
        yield server
