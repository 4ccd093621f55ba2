# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTPS front of a course server: where students reach it, which names its certificate
covers, and which programs already listen on the ports it needs.

The filters are documented in mlflow_endpoint.yml, tls_covers.yml and listeners.yml beside
this file.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

SETTINGS = ("mlflow_server_tls", "mlflow_server_auth", "mlflow_server_tls_port", "mlflow_server_port", "mlflow_server_public_url")


def mlflow_endpoint(settings, inventory_name):
    """Where students reach a tracking server: {tls, front, url, port} from its settings (the
    SETTINGS keys, as the server has them) and its inventory name."""
    if not isinstance(settings, Mapping) or any(name not in settings for name in SETTINGS):
        raise AnsibleFilterError("mlflow_endpoint: expects a mapping with %s, got %r" % (", ".join(SETTINGS), settings))
    tls = settings["mlflow_server_tls"]
    if tls == "auto":
        tls = "own_ca" if settings["mlflow_server_auth"] == "basic" else "none"
    front = tls != "none"
    port = int(settings["mlflow_server_tls_port"] if front else settings["mlflow_server_port"])
    if settings["mlflow_server_public_url"]:
        url = str(settings["mlflow_server_public_url"]).rstrip("/")
    elif front:
        url = "https://%s%s" % (inventory_name, "" if port == 443 else ":%d" % port)
    else:
        url = "http://%s:%d" % (inventory_name, port)
    return {"tls": tls, "front": front, "url": url, "port": port}


def _ip(text):
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def tls_covers(names, host):
    """Whether a certificate with these subject alternative names is valid for `host`, as a
    browser matches them: an IP address only by an equal address, a name by an equal name
    (case-insensitive) or by a wildcard (*.example.org) standing for its whole leftmost label."""
    if isinstance(names, (str, bytes)) or not isinstance(names, (list, tuple)):
        raise AnsibleFilterError("tls_covers: expects a list of names, got %r" % (names,))
    host = str(host).strip().rstrip(".").lower()
    address = _ip(host)
    for name in names:
        name = re.sub(r"^(DNS|IP|IP Address):", "", str(name)).strip().rstrip(".").lower()
        if address is not None:
            if _ip(name) == address:
                return True
        elif name == host:
            return True
        elif name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:] and host.split(".", 1)[0]:
            return True
    return False


def subject_alt_names(names):
    """Subject alternative names for a certificate covering `names`: "IP:<address>" for an IP
    address, "DNS:<name>" for a name; in order, each once."""
    if isinstance(names, (str, bytes)) or not isinstance(names, (list, tuple)):
        raise AnsibleFilterError("subject_alt_names: expects a list of names, got %r" % (names,))
    sans = []
    for name in names:
        name = str(name).strip().rstrip(".")
        if not name:
            continue
        address = _ip(name)
        entry = "IP:%s" % address if address is not None else "DNS:%s" % name.lower()
        if entry not in sans:
            sans.append(entry)
    return sans


# One line of `ss -ltnpH`: State Recv-Q Send-Q Local-Address:Port Peer-Address:Port [Process]
_SS_LINE = re.compile(r"^\S+\s+\d+\s+\d+\s+(?P<local>\S+):(?P<port>\d+|\*)\s+\S+(?:\s+(?P<process>.*))?$")
_SS_USER = re.compile(r'\("(?P<program>[^"]*)",pid=(?P<pid>\d+)')


def listeners(ss_output, ports):
    """The TCP listeners on `ports` in the output of `ss -ltnpH`: one {port, address, program,
    pid, sentence} per port and program (program "" and pid None when ss could not name it;
    sentence: "port 80 is held by apache2 (pid 77)")."""
    if not isinstance(ss_output, str):
        raise AnsibleFilterError("listeners: expects the text ss printed, got %r" % (ss_output,))
    wanted = {int(port) for port in ports}
    found = []
    for line in ss_output.splitlines():
        match = _SS_LINE.match(line.strip())
        if not match or match.group("port") == "*" or int(match.group("port")) not in wanted:
            continue
        users = _SS_USER.findall(match.group("process") or "") or [("", None)]
        for program, pid in users:
            entry = {"port": int(match.group("port")), "address": match.group("local"), "program": program,
                     "pid": int(pid) if pid else None,
                     "sentence": "port %s is held by %s" % (
                         match.group("port"), "%s (pid %s)" % (program, pid) if program else "a program ss could not name")}
            if not any(e["port"] == entry["port"] and e["program"] == program for e in found):
                found.append(entry)
    return found


class FilterModule:
    """labroom.mlflow filters of the HTTPS front."""

    def filters(self):
        return {"mlflow_endpoint": mlflow_endpoint, "tls_covers": tls_covers, "listeners": listeners,
                "subject_alt_names": subject_alt_names}
