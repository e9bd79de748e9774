"""The HTTP/1.1 client the pushes go through: one POST at a time on kept-alive connections per push
service origin, written straight to the socket and answered by a small parser of the status line,
the headers and a Content-Length or chunked body (issue 20: urllib3 and http.client — its request
building, its email-module header parser — were 45 % of our CPU per push; docs/performance.md).

What it keeps of urllib3's behaviour, and what the outbox relies on:
- https with the certificate and host name checked (the CA bundle requests would use), ALPN
  http/1.1; http only for the origins PUSH_INSECURE_ORIGINS allows (checked when subscribing);
- a kept-alive connection is checked before it is used again (the service may have closed it
  while idle: readable means closed) and is never reused after an error, a `Connection: close`,
  an HTTP/1.0 answer or a body read to the end of the connection;
- no retries, no redirects: an error raises, and says whether the request can have reached the
  service: `ConnectError` (refused, unknown host, TLS refused: nothing was sent; a time-out is
  `ConnectTimeout`), `ReadTimeout` and `Broken` (sent, or partly sent, and no usable answer).
A proxy in the environment is not spoken here: push.py posts through requests then."""
from __future__ import annotations

import os
import select
import socket
import ssl
import threading
from typing import NamedTuple, Optional
from urllib.parse import urlsplit

MAX_IDLE = 4  # kept-alive connections per origin (a dispatcher sends one push at a time)
MAX_ORIGINS = 16
MAX_LINE = 65536
MAX_HEADERS = 100
MAX_BODY = 65536  # a push service's answer is a status and a short JSON at most; more is read no further
KEPT_TEXT = 1000


class Answer(NamedTuple):
    """A push service's answer, as much of a requests.Response as pywebpush and push.py read."""
    status_code: int
    reason: str
    text: str
    headers: dict


class PushHTTPError(Exception):
    """The request got no usable answer."""


class ConnectError(PushHTTPError):
    """No connection (refused, unknown host, TLS handshake refused): the request was not sent."""


class ConnectTimeout(ConnectError):
    """The connection was not made in time: the request was not sent."""


class ReadTimeout(PushHTTPError):
    """The request was sent and the answer did not come in time."""


class Broken(PushHTTPError):
    """The connection broke while sending or reading, or the answer was not HTTP."""


class _Conn:
    __slots__ = ("sock", "file")

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.file = sock.makefile("rb")

    def dropped(self) -> bool:
        """Closed by the service while idle (readable with nothing asked: EOF, or stray bytes)."""
        try:
            return bool(select.select([self.sock], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    def close(self) -> None:
        for part in (self.file, self.sock):
            try:
                part.close()
            except OSError:
                pass


def _context(ca_file: Optional[str]) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file)
    context.set_alpn_protocols(["http/1.1"])
    return context


class Client:
    """Kept-alive connections per origin; `post` is what pywebpush's WebPusher calls."""

    def __init__(self, ca_file: Optional[str] = None):
        self.ca_file = ca_file
        self._tls: Optional[ssl.SSLContext] = None
        self._idle: dict[tuple, list[_Conn]] = {}
        self._lock = threading.Lock()

    # --- connections ---
    def _connect(self, scheme: str, host: str, port: int, timeout: float) -> _Conn:
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
        except socket.timeout as exc:
            raise ConnectTimeout(f"connect to {host}:{port} timed out") from exc
        except OSError as exc:
            raise ConnectError(f"cannot connect to {host}:{port}: {exc}") from exc
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == "https":
                if self._tls is None:
                    self._tls = _context(self.ca_file)
                sock = self._tls.wrap_socket(sock, server_hostname=host)
        except socket.timeout as exc:
            sock.close()
            raise ConnectTimeout(f"TLS handshake with {host}:{port} timed out") from exc
        except (OSError, ssl.SSLError) as exc:  # a certificate that does not verify, a refused handshake
            sock.close()
            raise ConnectError(f"TLS with {host}:{port}: {exc}") from exc
        return _Conn(sock)

    def _take(self, key: tuple) -> Optional[_Conn]:
        with self._lock:
            idle = self._idle.get(key)
            while idle:
                conn = idle.pop()
                if not conn.dropped():
                    return conn
                conn.close()
        return None

    def _give_back(self, key: tuple, conn: _Conn) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) >= MAX_IDLE:
                conn.close()
                return
            idle.append(conn)
            if len(self._idle) > MAX_ORIGINS:  # the oldest origin's connections go
                oldest = next(iter(self._idle))
                for old in self._idle.pop(oldest):
                    old.close()

    def close(self) -> None:
        with self._lock:
            for idle in self._idle.values():
                for conn in idle:
                    conn.close()
            self._idle.clear()

    # --- one request ---
    def post(self, url: str, data: bytes = b"", headers=None, timeout: float = 10.0) -> Answer:
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname or ""
        if scheme not in ("http", "https") or not host:
            raise ConnectError(f"not an http(s) URL: {url[:100]}")
        port = parts.port or (443 if scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        data = data or b""
        lines = [f"POST {target} HTTP/1.1", f"Host: {parts.netloc}", f"Content-Length: {len(data)}",
                 "User-Agent: tcn-push/1"]
        for name, value in (headers or {}).items():
            if name.lower() in ("host", "content-length", "connection", "transfer-encoding"):
                continue
            lines.append(f"{name}: {value}")
        if any("\n" in line or "\r" in line for line in lines):
            raise ConnectError("a header or the URL holds a line break: not sent")
        request = "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + data
        key = (scheme, host, port)
        conn = self._take(key) or self._connect(scheme, host, port, timeout)
        try:
            conn.sock.settimeout(timeout)
            conn.sock.sendall(request)
            answer, reusable = _read_answer(conn.file)
        except socket.timeout as exc:
            conn.close()
            raise ReadTimeout(f"no answer from {host}:{port} within {timeout:g} s") from exc
        except (OSError, ValueError) as exc:
            conn.close()
            raise Broken(f"{type(exc).__name__}: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        if reusable:
            self._give_back(key, conn)
        else:
            conn.close()
        return answer


def _line(file) -> bytes:
    line = file.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE:
        raise ValueError("a line of the answer is too long")
    return line


def _read_head(file) -> tuple[bytes, int, str, dict]:
    line = _line(file)
    if not line:
        raise ConnectionError("the connection closed without an answer")
    version, _sp, rest = line.rstrip(b"\r\n").partition(b" ")
    code, _sp, reason = rest.partition(b" ")
    if not version.startswith(b"HTTP/1.") or len(code) != 3 or not code.isdigit():
        raise ValueError(f"not an HTTP/1.x status line: {line[:60]!r}")
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADERS + 1):
        line = _line(file)
        if line in (b"\r\n", b"\n"):
            return version, int(code), reason.decode("latin-1"), headers
        if not line:
            raise ConnectionError("the connection closed inside the headers")
        name, colon, value = line.partition(b":")
        if not colon:
            raise ValueError(f"not a header: {line[:60]!r}")
        key = name.strip().decode("latin-1").lower()
        value_text = value.strip().decode("latin-1")
        headers[key] = f"{headers[key]}, {value_text}" if key in headers else value_text
    raise ValueError("too many headers")


def _read_exactly(file, n: int) -> bytes:
    data = file.read(n)
    if len(data) < n:
        raise ConnectionError("the connection closed inside the body")
    return data


def _read_chunked(file) -> tuple[bytes, bool]:
    body, total = [], 0
    while True:
        size_text = _line(file).split(b";", 1)[0].strip()
        if not size_text:
            raise ConnectionError("the connection closed inside a chunked body")
        size = int(size_text, 16)  # ValueError: not a chunk size
        if size == 0:
            while _line(file) not in (b"\r\n", b"\n", b""):  # trailers
                pass
            return b"".join(body), True
        if total + size > MAX_BODY:
            return b"".join(body), False  # not read to its end: the connection is not reused
        body.append(_read_exactly(file, size))
        total += size
        _read_exactly(file, 2)


def _read_answer(file) -> tuple[Answer, bool]:
    """The final answer (interim 1xx answers skipped) and whether the connection can be reused."""
    version, status, reason, headers = _read_head(file)
    while 100 <= status < 200:
        version, status, reason, headers = _read_head(file)
    connection = headers.get("connection", "").lower()
    reusable = "close" not in connection and (version != b"HTTP/1.0" or "keep-alive" in connection)
    if status in (204, 304):
        body = b""
    elif "chunked" in headers.get("transfer-encoding", "").lower():
        body, complete = _read_chunked(file)
        reusable = reusable and complete
    elif "content-length" in headers:
        length = int(headers["content-length"].split(",")[0])
        if length < 0:
            raise ValueError("a negative Content-Length")
        body = _read_exactly(file, min(length, MAX_BODY))
        reusable = reusable and length <= MAX_BODY
    else:  # the body ends with the connection
        body, reusable = file.read(MAX_BODY), False
    return Answer(status, reason, body[:KEPT_TEXT * 4].decode("utf-8", errors="replace")[:KEPT_TEXT], headers), reusable


_client: Optional[Client] = None


def client(ca_file: Optional[str]) -> Client:
    """The process's client (a forked child starts with none of its parent's connections)."""
    global _client
    if _client is None or _client.ca_file != ca_file:
        _client = Client(ca_file)
    return _client


def _forget_after_fork() -> None:
    global _client
    _client = None


os.register_at_fork(after_in_child=_forget_after_fork)
