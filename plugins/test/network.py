# Copyright: labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja2 tests that check the values of the roles' settings, not only their shape.

Each test answers False (never raises) for a value of the wrong type, so a rule can say in
its own words what to change. The documentation of each test is in the YAML file of the same
name next to this one (ansible-doc -t test labroom.mlflow.<name>).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from ansible_collections.labroom.mlflow.plugins.test.settings import count

# RFC 1123 section 2.1 host name labels: letters, digits and '-', not at either end.
_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
# A label of an allowed-hosts pattern: the same characters plus the fnmatch wildcards * and ?.
_PATTERN_LABEL = re.compile(r"^[A-Za-z0-9*?-]{1,63}$")


def ip_address(value):
    """An IPv4 or IPv6 address as Python's ipaddress reads it (IPv6 scope such as %eth0 included)."""
    if not isinstance(value, str) or value != value.strip():
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def host_name(value):
    """A DNS host name (RFC 1123): dot-separated labels of 1-63 letters, digits or '-' (not at
    either end), 253 characters at most, no trailing dot, and a last label that is not all
    digits, so that 999.1.1.1 or 1.2.3 (not addresses) are not names either."""
    if not isinstance(value, str) or not 0 < len(value) <= 253:
        return False
    labels = value.split(".")
    return all(_LABEL.match(label) for label in labels) and not labels[-1].isdigit()


def bind_address(value):
    """What a server can bind to: an IP address or a host name."""
    return ip_address(value) or host_name(value)


def tcp_port(value):
    """A TCP port from 1 to 65535, as an integer or a string of digits (not a boolean)."""
    return count(value, 1, 65535)


def allowed_host_pattern(value):
    """An entry of MLflow's --allowed-hosts: a host name, an IPv4 address or an fnmatch pattern
    of one (* and ? as wildcards, such as *.lab.school.example or 10.*), with an optional
    :port or :*. Refused: a pattern of wildcards alone (*, *:*, *.*), which accepts every name;
    IPv6 addresses (MLflow matches with fnmatch, where [ opens a character class, so an entry
    such as [fd00::5]:* never matches; the role always allows [::1]); anything else."""
    if not isinstance(value, str) or not value:
        return False
    host, sep, port = value.rpartition(":")
    if not sep:
        host, port = value, None
    if port is not None and port != "*" and not tcp_port(port):
        return False
    if not 0 < len(host) <= 253:
        return False
    if "*" not in host and "?" not in host:
        return host_name(host) or (ip_address(host) and ipaddress.ip_address(host).version == 4)
    labels = host.split(".")
    if not all(_PATTERN_LABEL.match(label) for label in labels):
        return False
    # At least one character that is not a wildcard: '*.*' or '?*' would accept any name.
    return any(char not in "*?" for char in "".join(labels))


def http_url(value):
    """An http:// or https:// URL as urllib parses it: its host is an IP address or a host
    name, its port (when given) is 1-65535, and it holds no white space."""
    if not isinstance(value, str) or re.search(r"[\s\x00-\x1f\x7f]", value):
        return False
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if port is not None and not 1 <= port <= 65535:
        return False
    # urlsplit drops the brackets of an IPv6 host; a bracketed host must be one.
    if "[" in parts.netloc:
        return ip_address(parts.hostname) and ipaddress.ip_address(parts.hostname).version == 6
    return host_name(parts.hostname) or (ip_address(parts.hostname) and ipaddress.ip_address(parts.hostname).version == 4)


class TestModule:
    """labroom.mlflow tests for network settings: addresses, names, ports, URLs."""

    def tests(self):
        return {
            "ip_address": ip_address,
            "host_name": host_name,
            "bind_address": bind_address,
            "tcp_port": tcp_port,
            "allowed_host_pattern": allowed_host_pattern,
            "http_url": http_url,
        }
