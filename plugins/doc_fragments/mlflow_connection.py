# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # The connection options of the modules that talk to an MLflow server over HTTP
    # (plugins/module_utils/mlflow_http.py: mlflow_connection_argument_spec).
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base URL of the tracking server, for example V(http://lab-pc-07:8080) or
        V(http://127.0.0.1:8080).
      - A path prefix (as with C(mlflow server --static-prefix)) is kept.
    type: str
    required: true
  host_header:
    description:
      - Value of the C(Host) header of the requests, for example V(lab-pc-07:8080), to use the
        name students put in the URL (one of the server's C(--allowed-hosts)) while connecting
        to another address (such as V(127.0.0.1)).
      - MLflow answers a name it does not allow with C(403 Invalid Host header); the module
        then fails at once, naming the header.
      - Defaults to the host and port of O(url).
    type: str
  url_username:
    description:
      - User name for a server with MLflow's basic authentication enabled.
    type: str
  url_password:
    description:
      - Password for O(url_username). Never logged.
    type: str
  force_basic_auth:
    description:
      - Send the credentials with the first request instead of waiting for a 401 challenge.
    type: bool
    default: true
  validate_certs:
    description:
      - Verify the server's TLS certificate when O(url) is C(https).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA certificates to verify the server's TLS certificate with, when
        O(url) is C(https), for example the course server's own CA.
      - When set, only these certificates are trusted, not the system's.
    type: path
  use_proxy:
    description:
      - Use the proxy set in the environment (C(http_proxy), C(https_proxy), C(no_proxy)).
    type: bool
    default: true
  request_timeout:
    description:
      - Seconds one HTTP request may take; more than 0.
    type: float
    default: 10.0
  connect_address:
    description:
      - Connect to this address (such as V(127.0.0.1)) instead of the address the host of O(url)
        resolves to, as C(curl --resolve) does. The host of O(url) stays the C(Host) header, the
        TLS server name and the name the certificate must cover, so a course server checks its
        own HTTPS front by its public name without asking DNS.
      - No proxy is used then.
    type: str
"""
