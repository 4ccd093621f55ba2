# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection's modules that talk to an MLflow server over HTTP share: reading a
fetch_url answer, and saying in words why a connection failed."""

from __future__ import annotations


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
