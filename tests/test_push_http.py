"""The pushes' HTTP/1.1 client (coordination/messaging/push_http.py) against a scripted server on a
real socket: kept-alive connections and what ends them, the answer's body in each of its framings,
time-outs and broken connections (and what send_push_message makes of them), TLS with the
certificate checked. The Web Push side (VAPID, encryption) is tests/test_push.py's."""
from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from coordination.messaging import push_http

CREATED = b"HTTP/1.1 201 Created\r\nLocation: /m/1\r\nContent-Length: 0\r\n\r\n"


class Scripted:
    """Accepts connections; answers each request with the next scripted bytes (None: close the
    connection without answering; "hang": never answer; (bytes, "then close"): answer, then close). Counts connections and requests."""

    def __init__(self, answers, tls: ssl.SSLContext | None = None):
        self.answers, self.tls = list(answers), tls
        self.connections, self.requests = 0, []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}/push/abc"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn):
        self.connections += 1
        try:
            if self.tls:
                conn = self.tls.wrap_socket(conn, server_side=True)
            file = conn.makefile("rb")
            while True:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = file.readline()
                    if not line:
                        return
                    head += line
                length = int(next(h.split(b":")[1] for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")))
                self.requests.append((head, file.read(length)))
                answer = self.answers.pop(0) if self.answers else CREATED
                if answer == "hang":
                    time.sleep(5)
                    return
                if answer is None:
                    return
                if isinstance(answer, tuple):  # (bytes, "then close"): answered, then closed while idle
                    conn.sendall(answer[0])
                    time.sleep(0.05)
                    return
                conn.sendall(answer)
                if answer.startswith(b"HTTP/1.0") or b"Connection: close" in answer:
                    return
        except (OSError, ssl.SSLError):
            return
        finally:
            conn.close()

    def close(self):
        self.sock.close()


def test_pushes_share_one_kept_alive_connection_and_the_request_is_what_was_asked():
    server = Scripted([CREATED] * 3)
    client = push_http.Client()
    for i in range(3):
        answer = client.post(server.url, b"x" * (i + 1), {"TTL": "60", "Authorization": "vapid t=a, k=b"}, 2)
        assert (answer.status_code, answer.reason, answer.headers["location"]) == (201, "Created", "/m/1")
    assert server.connections == 1
    head, body = server.requests[2]
    assert head.startswith(b"POST /push/abc HTTP/1.1\r\n") and body == b"xxx"
    assert b"\r\nHost: 127.0.0.1:%d\r\n" % server.port in head and b"\r\nContent-Length: 3\r\n" in head
    assert b"\r\nTTL: 60\r\n" in head and b"\r\nAuthorization: vapid t=a, k=b\r\n" in head
    server.close()


def test_a_connection_the_service_closed_while_idle_is_not_used_again():
    server = Scripted([(CREATED, "then close"), CREATED])  # as a push service after its idle time-out
    client = push_http.Client()
    assert client.post(server.url, b"a", {}, 2).status_code == 201
    time.sleep(0.3)
    assert client.post(server.url, b"b", {}, 2).status_code == 201
    assert server.connections == 2  # a new connection, no error, the push sent once
    assert [body for _h, body in server.requests] == [b"a", b"b"]
    server.close()


@pytest.mark.parametrize("answer, text, reused", [
    (b"HTTP/1.1 410 Gone\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n3\r\n 1}\r\n0\r\n\r\n", '{"a": 1}', True),
    (b"HTTP/1.1 429 Too Many Requests\r\nContent-Length: 4\r\nConnection: close\r\n\r\nslow", "slow", False),
    (b"HTTP/1.0 500 Oops\r\n\r\nthe body ends with the connection", "the body ends with the connection", False),
    (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", "ok", True),
])
def test_each_framing_of_an_answer_is_read_and_ends_the_connection_when_it_must(answer, text, reused):
    server = Scripted([answer, CREATED])
    client = push_http.Client()
    first = client.post(server.url, b"a", {}, 2)
    assert first.text == text
    assert client.post(server.url, b"b", {}, 2).status_code == 201
    assert server.connections == (1 if reused else 2)
    server.close()


def test_no_answer_in_time_is_a_read_timeout_and_a_closed_connection_is_broken():
    server = Scripted(["hang", None, CREATED])
    client = push_http.Client()
    t = time.perf_counter()
    with pytest.raises(push_http.ReadTimeout):
        client.post(server.url, b"a", {}, 0.3)
    assert time.perf_counter() - t < 2
    with pytest.raises(push_http.Broken):
        client.post(server.url, b"b", {}, 2)
    assert client.post(server.url, b"c", {}, 2).status_code == 201  # never a broken connection again
    assert server.connections == 3
    server.close()


def test_a_refused_connection_and_a_line_break_in_a_header_are_never_sent():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/push/x"
    with pytest.raises(push_http.ConnectError):
        push_http.Client().post(closed, b"a", {}, 2)
    server = Scripted([CREATED])
    with pytest.raises(push_http.ConnectError):
        push_http.Client().post(server.url, b"a", {"TTL": "60\r\nX-Injected: 1"}, 2)
    assert not server.requests
    server.close()


def _certificate(folder):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)  # noqa: DTZ005 - a certificate is checked against real time
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def test_https_checks_the_certificate_against_the_bundle(tmp_path):
    import certifi

    cert_file, key_file = _certificate(tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file, key_file)
    server = Scripted([CREATED, CREATED], tls=tls)
    with pytest.raises(push_http.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        push_http.Client(certifi.where()).post(server.url, b"a", {}, 2)
    assert not server.requests  # nothing was sent to a service we could not verify
    client = push_http.Client(cert_file)
    assert [client.post(server.url, b"b", {}, 2).status_code for _ in range(2)] == [201, 201]
    assert [body for _h, body in server.requests] == [b"b", b"b"]
    server.close()
