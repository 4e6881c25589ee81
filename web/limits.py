"""What every request must respect before the application sees it: a body of bounded size that
arrives within a bounded time, and the API key when the server has one.

The body is read whole here (chunked or not) and replayed to the application, so no handler ever
waits on a slow client or holds a partial body; a client that never sends the body it announced
(`Expect: 100-continue` and silence) gets 408 when the time is up.
"""

from __future__ import annotations

import functools
import hmac
import json

import anyio


class RequestLimits:
    """ASGI middleware: body size and time limits, and the API key for /query and /api/."""

    def __init__(self, app, *, max_body: int, max_upload: int, body_timeout: float, api_key: str | None,
                 upload_paths: tuple[str, ...] = ("/api/v1/batch",),
                 protected: tuple[str, ...] = ("/query", "/update", "/api/")):
        self.app, self.max_body, self.max_upload = app, max_body, max_upload
        self.body_timeout, self.api_key = body_timeout, api_key
        self.upload_paths, self.protected = upload_paths, protected

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        reply = functools.partial(_reply, api=path.startswith("/api/"))  # the JSON API answers JSON, even here
        if self.api_key and scope["method"] != "OPTIONS" and path.startswith(self.protected) \
                and not self._authorised(scope):
            return await reply(send, 401, "this server needs its API key: send the header X-API-Key: KEY "
                                           "(or Authorization: Bearer KEY)", [(b"www-authenticate", b"Bearer")])
        limit = self.max_upload if path in self.upload_paths else self.max_body
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                return await reply(send, 400, f"bad Content-Length {declared!r}")
            if int(declared) > limit:
                return await reply(send, 413, f"request body too large ({int(declared):,} bytes; at most {limit:,})")
        chunks, size = [], 0
        try:
            with anyio.fail_after(self.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return
                    body = message.get("body", b"")
                    size += len(body)
                    if size > limit:
                        return await reply(send, 413, f"request body too large (more than {limit:,} bytes)")
                    chunks.append(body)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            return await reply(send, 408, f"the request body did not arrive within {self.body_timeout:g} s")
        whole = b"".join(chunks)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()  # after the body: only a disconnect can come

        await self.app(scope, replay, send)

    def _authorised(self, scope) -> bool:
        given = _header(scope, b"x-api-key")
        if given is None:
            auth = _header(scope, b"authorization") or ""
            given = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        return given is not None and hmac.compare_digest(given.encode(), self.api_key.encode())


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def _reply(send, status: int, text: str, headers=(), api: bool = False) -> None:
    body = (json.dumps({"error": text}, ensure_ascii=False) if api else text + "\n").encode()
    kind = b"application/json" if api else b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"), *headers]})
    await send({"type": "http.response.body", "body": body})
