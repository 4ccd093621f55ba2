# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection's modules that talk to an MLflow server over HTTP share: the connection
options (documented by the doc fragment labroom.mlflow.mlflow_connection), the client that
sends the requests with them, reading a fetch_url answer, saying in words why a connection
failed or MLflow refused the Host header, reading an HTTPS server's certificate, and following
the pages of MLflow's searches."""

from __future__ import annotations

import base64
import calendar
import contextlib
import json
import socket
import ssl
import time
from urllib.parse import urlencode, urlsplit

from ansible.module_utils.urls import fetch_url


def mlflow_connection_argument_spec():
    """The connection options, a new copy for each module to add its own to (or to change, as
    mlflow_accounts does for its aliases). The doc fragment labroom.mlflow.mlflow_connection
    documents them."""
    return dict(
        url=dict(type="str", required=True),
        host_header=dict(type="str"),
        url_username=dict(type="str"),
        url_password=dict(type="str", no_log=True),
        force_basic_auth=dict(type="bool", default=True),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        use_proxy=dict(type="bool", default=True),
        request_timeout=dict(type="float", default=10.0),
        connect_address=dict(type="str"),
    )


# AnsibleModule(required_by=...) of the connection options.
MLFLOW_CONNECTION_REQUIRED_BY = {"url_password": "url_username"}


def read_answer(resp, info):
    """(status, text) of a fetch_url call: status -1 when no HTTP answer came. On an HTTP error
    fetch_url returns the error as `resp`, already read, and puts the answer's body in
    info["body"]."""
    status = int(info.get("status", -1))
    if "body" in info:
        text = info["body"] or b""
    elif resp is not None:
        text = resp.read()
    else:
        text = b""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return status, text


def server_message(body):
    """The readable part of an error answer: MLflow's JSON "message", without the SQL statement
    and parameters (a duplicate user's answer quotes the password hash)."""
    text = body.strip()
    try:
        answer = json.loads(text)
        if isinstance(answer, dict) and answer.get("message"):
            text = str(answer["message"])
    except ValueError:
        pass
    for marker in (" Error: (", "\n[SQL", "[parameters"):
        if marker in text:
            text = text.split(marker)[0]
    return text.strip()[:200]


def search_pages(post, path, body):
    """Yield each page of one of MLflow's paginated searches (experiments/search, runs/search,
    ...): `post(path, body)` sends the JSON `body` and returns the answer as a dict; each
    next_page_token is sent back until a page has none. A page token the server already gave
    raises MlflowError instead of looping for ever."""
    tokens = set()
    page = post(path, body)
    yield page
    while page.get("next_page_token"):
        token = page["next_page_token"]
        if token in tokens:
            raise MlflowError("POST %s: the server gave the page token %r twice" % (path, token))
        tokens.add(token)
        page = post(path, dict(body, page_token=token))
        yield page


def connection_cause(msg):
    """Why no HTTP answer came, for an instructor: fetch_url's message made readable."""
    lowered = (msg or "").lower()
    if "refused" in lowered:
        return "connection refused (is the server running and listening on this port?)"
    if "timed out" in lowered or "timeout" in lowered:
        return "no answer, timed out (is a firewall blocking the port?)"
    if "name or service not known" in lowered or "nodename nor servname" in lowered or "getaddrinfo" in lowered:
        return "host name not found (%s)" % msg
    return msg or "no HTTP answer"


def basic_auth(username, password):
    """The Authorization header's value that logs in as `username` with MLflow's basic auth."""
    token = base64.b64encode(("%s:%s" % (username, password)).encode("utf-8")).decode("ascii")
    return "Basic " + token


@contextlib.contextmanager
def connect_to(host, address):
    """While in the block, connections that http.client opens to `host` go to `address` instead
    (as curl's --resolve): the URL's host stays the Host header, the TLS server name (SNI) and
    the name the certificate must cover."""
    if not address:
        yield
        return
    original = socket.create_connection

    def create_connection(destination, *args, **kwargs):
        if destination[0] == host:
            destination = (address,) + tuple(destination[1:])
        return original(destination, *args, **kwargs)

    socket.create_connection = create_connection
    try:
        yield
    finally:
        socket.create_connection = original


def peer_certificate(host, port, address=None, ca_path=None, timeout=10.0, now=None):
    """Open a TLS connection to `host`:`port` (at `address` when given), verify the certificate
    chain with `ca_path` (else the system's trust store) and that the certificate covers `host`,
    and describe the certificate: not_after (ISO 8601, UTC), days_left, names (its DNS and IP
    subject alternative names), issuer (its common name). Raises MlflowError (final) saying why
    the certificate was refused (expired, another name, an unknown CA), and MlflowError when no
    TLS connection could be made."""
    context = ssl.create_default_context(cafile=ca_path) if ca_path else ssl.create_default_context()
    where = "TLS to %s:%s%s" % (host, port, " (at %s)" % address if address else "")
    try:
        with socket.create_connection((address or host, port), timeout=timeout) as sock:
            with context.wrap_socket(sock, server_hostname=host) as tls:
                cert = tls.getpeercert()
    except ssl.SSLCertVerificationError as exc:
        raise MlflowError(
            "%s: the server's certificate is refused: %s%s"
            % (where, exc.verify_message or exc, "" if not ca_path else " (trusting the CA in %s)" % ca_path),
            final=True,
        )
    except (OSError, ssl.SSLError) as exc:
        raise MlflowError("%s: %s" % (where, connection_cause(str(exc))))
    not_after = ssl.cert_time_to_seconds(cert["notAfter"])
    issuer = dict(pair[0] for pair in cert.get("issuer", ()) if pair)
    return dict(
        not_after=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(not_after)),
        days_left=int((not_after - (calendar.timegm(time.gmtime()) if now is None else now)) // 86400),
        names=[value for kind, value in cert.get("subjectAltName", ()) if kind in ("DNS", "IP Address")],
        issuer=issuer.get("commonName", ""),
    )


class MlflowError(Exception):
    """A request to the server, or a check of its answer, failed. `status` is the HTTP status
    (-1 when no HTTP answer came); `final` means trying again cannot fix it."""

    def __init__(self, message, status=-1, final=False):
        super().__init__(message)
        self.status = status
        self.final = final


class Answer:
    """The server's answer to one request."""

    def __init__(self, method, url, status, text, info):
        self.method = method
        self.url = url
        self.status = status
        self.text = text
        self.info = info

    @property
    def where(self):
        """The request, as error messages name it: "GET http://lab-pc-07:8080/health"."""
        return "%s %s" % (self.method, self.url)


class _FetchModule:
    """The module as fetch_url sees it: without url_username and url_password. The client sends
    the credentials itself; fetch_url would otherwise replace the Authorization header of a
    request made as another account, or answer a 401 challenge with the module's account."""

    def __init__(self, module):
        self._module = module
        self.params = dict(module.params, url_username=None, url_password=None)

    def __getattr__(self, name):
        return getattr(self._module, name)


class MlflowClient:
    """Requests to one MLflow server, with the connection options of the module (see
    mlflow_connection_argument_spec). Fails the module at once when `url` is not an http(s) URL
    with a host name or `request_timeout` is not more than 0."""

    def __init__(self, module):
        params = module.params
        url = params["url"].rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            module.fail_json(
                msg="url %r is not an http:// or https:// URL with a host name, such as http://lab-pc-07:8080" % params["url"],
                url=url,
            )
        if params["request_timeout"] <= 0:
            module.fail_json(msg="request_timeout must be more than 0 seconds (is %s)" % params["request_timeout"], url=url)
        self.module = module
        self.url = url
        self.host_header = params["host_header"] or parts.netloc.rpartition("@")[2]
        self.credentials = (params["url_username"], params["url_password"] or "") if params["url_username"] else None
        self.last_status = -1
        self.requests_sent = 0
        self._fetch_module = _FetchModule(module)

    def certificate(self):
        """The HTTPS server's certificate, verified as the requests verify it (peer_certificate);
        None for an http:// URL or with validate_certs false."""
        parts = urlsplit(self.url)
        if parts.scheme != "https" or not self.module.params["validate_certs"]:
            return None
        params = self.module.params
        return peer_certificate(
            parts.hostname, parts.port or 443, params["connect_address"], params["ca_path"], params["request_timeout"]
        )

    def request(self, method, path, params=None, body=None, host_header=True, auth=None):
        """Send `method` to the server's `path`, with the query `params` or the JSON `body`, and
        return the Answer, whatever its HTTP status.

        The Host header is the option host_header (with `host_header=False`: the host of url, as
        for /health, which MLflow does not check). The credentials are `auth` (username,
        password) when given, else url_username and url_password: sent with the first request
        when force_basic_auth is true, else only when the server asks for them (a 401 with a
        Basic challenge). Raises MlflowError when no HTTP answer came, and (final) when MLflow
        refused the Host header.
        """
        url = self.url + path
        if params:
            url += "?" + urlencode(params)
        headers = {"Accept": "application/json"}
        if host_header:
            headers["Host"] = self.host_header
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        credentials = auth or self.credentials
        if credentials and (auth or self.module.params["force_basic_auth"]):
            headers["Authorization"] = basic_auth(*credentials)
        answer = self._send(method, url, data, headers, credentials)
        if (
            answer.status == 401 and credentials and "Authorization" not in headers
            and "basic" in str(answer.info.get("www-authenticate", "")).lower()
        ):
            headers["Authorization"] = basic_auth(*credentials)
            answer = self._send(method, url, data, headers, credentials)
        self.last_status = answer.status
        if answer.status == -1:
            raise MlflowError("%s: %s" % (answer.where, connection_cause(answer.info.get("msg", ""))))
        if answer.status == 403 and "host header" in answer.text.lower():
            raise MlflowError(
                "%s with Host: %s: refused by MLflow (%s). Add the name to the server's --allowed-hosts "
                "(mlflow_server_allowed_hosts_extra), or set host_header to a name in it."
                % (answer.where, self.host_header, answer.text.strip()[:200]),
                status=answer.status,
                final=True,
            )
        return answer

    def _send(self, method, url, data, headers, credentials):
        params = self.module.params
        self.requests_sent += 1
        # use_netrc only without credentials: a ~/.netrc entry for the host would replace the
        # Authorization header. With connect_address, no proxy: the connection goes there.
        with connect_to(urlsplit(url).hostname, params["connect_address"]):
            resp, info = fetch_url(
                self._fetch_module,
                url,
                data=data,
                headers=dict(headers),
                method=method,
                use_proxy=params["use_proxy"] and not params["connect_address"],
                timeout=params["request_timeout"],
                ca_path=params["ca_path"],
                use_netrc=not credentials,
            )
        status, text = read_answer(resp, info)
        return Answer(method, url, status, text, info)
