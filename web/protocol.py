"""uvicorn's HTTP/1.1 protocols with one more socket time-out: the request line and headers must
arrive within `header_timeout` seconds of the connection opening (or of the previous answer).

uvicorn closes idle keep-alive connections, but a client that opens a socket and then sends its
headers one byte at a time is never timed out; many such sockets would hold the server's memory.
The httptools parser (C) is used where installed, h11 (pure Python) elsewhere.
"""

from __future__ import annotations

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_S = 10.0


class TimedHeaders:
    """Mixin for a uvicorn HTTP protocol class (both keep `cycle`, `loop` and `transport`)."""

    header_timeout = HEADER_TIMEOUT_S
    _header_deadline = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm_header_deadline()

    def _arm_header_deadline(self) -> None:
        self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if self.cycle is None or self.cycle.response_complete:  # still waiting for a request's headers
            if not self.transport.is_closing():
                self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._header_deadline is not None and self.cycle is not None and not self.cycle.response_complete:
            self._disarm_header_deadline()  # a whole request line and headers were read

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._disarm_header_deadline()
            self._arm_header_deadline()

    def connection_lost(self, exc) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)


class TimedH11Protocol(TimedHeaders, H11Protocol):
    pass


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class TimedHttpToolsProtocol(TimedHeaders, HttpToolsProtocol):
        pass

    FASTEST = TimedHttpToolsProtocol
except ImportError:  # httptools is optional: h11 parses the same requests, slower
    FASTEST = TimedH11Protocol
