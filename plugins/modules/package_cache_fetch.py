#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, labroom.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: package_cache_fetch
short_description: Fill a room's package cache with distribution files, many at a time
version_added: "0.3.0"
description:
  - Two ways, one per call. With O(dest) and O(downloads), downloads each file from its own URL
    into the folder O(dest) (the room's wheelhouse), checking its sha256 hash; a file already
    there with that hash is left as it is. With O(index_url) and O(files), has a caching index
    fetch the files, as below.
  - Asks a caching package index (devpi-server's mirror of PyPI, as run by the
    C(labroom.mlflow.package_cache) role) for the given distribution files, each with one plain
    C(GET) read to its end, several at a time, so that the cache fetches each from upstream and
    stores it. The downloaded bytes are counted and thrown away; nothing is installed.
  - Each file is found on its project's page of the index (PEP 503 "simple" HTML), whose project
    name is read from the file name.
  - A file the index does not list, or that cannot be fetched, does not fail the task; it is
    returned in RV(missing) or RV(errors) for the caller to decide.
  - Used by the C(package_cache) role to fill the cache with the files the lab PCs will install,
    before they install all at once. Plain C(GET)s matter here; an installer that probes wheels
    with C(HEAD) and range requests makes devpi start, and drop, a fetch from upstream for each
    probe.
author:
  - labroom.mlflow contributors (@labroom)
options:
  index_url:
    description:
      - The index's "simple" URL, for example V(http://127.0.0.1:3141/root/pypi/+simple/).
      - With O(files); not with O(dest).
    type: str
  files:
    description:
      - Distribution file names, for example V(numpy-2.4.6-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl)
        or V(example-1.0.tar.gz). Duplicates are fetched once.
      - With O(index_url).
    type: list
    elements: str
  dest:
    description:
      - An existing folder the files of O(downloads) are written to, each under its own file name,
        mode C(0644), by a rename once its hash is checked (a reader never sees half a file).
      - With O(downloads); not with O(index_url).
    type: path
  downloads:
    description:
      - The files to download into O(dest). Duplicates (the same O(downloads[].file)) are fetched once.
    type: list
    elements: dict
    suboptions:
      file:
        description: The file's name in O(dest); a plain name, without C(/).
        type: str
        required: true
      url:
        description: Where to download it from (C(http://) or C(https://)).
        type: str
        required: true
      sha256:
        description:
          - Its sha256 hash, 64 hexadecimal digits.
          - A download with another hash is thrown away and reported in RV(errors).
        type: str
        required: true
  ca_path:
    description:
      - A PEM file of the certificate authorities to trust for HTTPS. Default, the host's own trust store.
    type: path
  parallel:
    description:
      - How many files are fetched at the same time, 1 or more.
    type: int
    default: 8
  request_timeout:
    description:
      - Seconds one request may wait for data (the cache may wait on upstream for a large file).
    type: float
    default: 300
notes:
  - Supports check mode; nothing is fetched then, and C(changed) says whether files would be.
  - O(dest) mode runs as the account that owns O(dest) (the cache's own), which then owns the files.
  - HTTP goes through C(ansible.module_utils.urls), so proxies are honoured as in M(ansible.builtin.uri).
seealso:
  - name: devpi-server
    description: The caching package index the collection runs for a room.
    link: https://devpi.net/docs/devpi/devpi/stable/+doc/index.html
"""

EXAMPLES = r"""
- name: Download the pinned files into the room's wheelhouse
  labroom.mlflow.package_cache_fetch:
    dest: /opt/labroom-package-cache/wheelhouse
    downloads:
      - file: six-1.17.0-py2.py3-none-any.whl
        url: https://files.pythonhosted.org/packages/b7/ce/149a00dd41f10bc29e5921b496af8b574d8413afcd5e30dfa0ed46c2cc5e/six-1.17.0-py2.py3-none-any.whl
        sha256: 4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274

- name: Fill the room's cache with what the lab PCs will install
  labroom.mlflow.package_cache_fetch:
    index_url: http://127.0.0.1:3141/root/pypi/+simple/
    files:
      - mlflow-3.17.2-py3-none-any.whl
      - six-1.17.0-py2.py3-none-any.whl
  register: fetched
"""

RETURN = r"""
requested:
  description: Number of distinct files asked for.
  returned: always
  type: int
  sample: 164
fetched:
  description: Number of files the index served in full, or downloaded into O(dest) by this call.
  returned: always
  type: int
  sample: 162
present:
  description: Number of files of O(downloads) already in O(dest) with the right hash (0 with O(index_url)).
  returned: always
  type: int
  sample: 0
bytes:
  description:
    - Bytes the index served, or downloaded into O(dest) (what the lab PCs will fetch from the
      cache instead of upstream).
  returned: always
  type: int
  sample: 276348101
missing:
  description: Files that no page of the index lists (always empty with O(dest)).
  returned: always
  type: list
  elements: str
  sample: []
errors:
  description:
    - Files the index listed but did not serve, or that could not be downloaded or had another
      hash, each with the reason.
  returned: always
  type: list
  elements: str
  sample: ["example-1.0.tar.gz: HTTP Error 502: Bad Gateway"]
"""

import hashlib
import os
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

ARGUMENT_SPEC = {
    "index_url": {"type": "str"},
    "files": {"type": "list", "elements": "str"},
    "dest": {"type": "path"},
    "downloads": {"type": "list", "elements": "dict", "options": {
        "file": {"type": "str", "required": True},
        "url": {"type": "str", "required": True},
        "sha256": {"type": "str", "required": True},
    }},
    "ca_path": {"type": "path"},
    "parallel": {"type": "int", "default": 8},
    "request_timeout": {"type": "float", "default": 300},
}

# name-version(-build)?-python-abi-platform.whl: the name never holds "-" (PEP 427 escapes it).
WHEEL = re.compile(r"^(?P<name>[^-]+)-[^-]+(-[^-]+)?-[^-]+-[^-]+-[^-]+\.whl$")
# name-version.tar.gz and the like: the version starts at the first "-" followed by a digit.
SDIST = re.compile(r"^(?P<name>.+?)-\d[^-]*\.(tar\.gz|tar\.bz2|tar\.xz|tgz|zip|tar)$")
CHUNK = 1 << 20


def project_of(filename):
    """The PEP 503 normalised project name of a distribution file, or None."""
    found = WHEEL.match(filename) or SDIST.match(filename)
    if not found:
        return None
    return re.sub(r"[-_.]+", "-", found.group("name")).lower()


class _Links(HTMLParser):
    """The href of every anchor of a simple page, by the file name it points to."""

    def __init__(self):
        super().__init__()
        self.links = {}

    def handle_starttag(self, tag, attrs):
        if tag != "a":
            return
        href = dict(attrs).get("href")
        if href:
            name = unquote(urlsplit(href).path.rsplit("/", 1)[-1])
            self.links.setdefault(name, href)


def page_links(html, page_url):
    """{file name: absolute URL} of a PEP 503 project page."""
    parser = _Links()
    parser.feed(html)
    return {name: urljoin(page_url, href).split("#", 1)[0] for name, href in parser.links.items()}


def _open(url, timeout, ca_path=None):
    return open_url(url, method="GET", timeout=timeout, http_agent="labroom.mlflow.package_cache_fetch",
                    headers={"Accept": "text/html"}, ca_path=ca_path)


def read_page(url, timeout):
    """The text of an index page."""
    response = _open(url, timeout)
    try:
        return response.read().decode("utf-8", "replace")
    finally:
        response.close()


def read_all(url, timeout):
    """GET a file and read it to its end; the number of bytes."""
    response = _open(url, timeout)
    total = 0
    try:
        while True:
            chunk = response.read(CHUNK)
            if not chunk:
                return total
            total += len(chunk)
    finally:
        response.close()


def fetch(index_url, files, parallel, timeout):
    """Fetch each file through the index; the module's result (without changed)."""
    wanted = list(dict.fromkeys(files))
    by_project = {}
    missing, errors = [], []
    for filename in wanted:
        project = project_of(filename)
        if project is None:
            missing.append(filename)
        else:
            by_project.setdefault(project, []).append(filename)

    def links_of(project):
        url = urljoin(index_url.rstrip("/") + "/", project + "/")
        return page_links(read_page(url, timeout), url)

    urls = {}
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        pages = dict(zip(by_project, pool.map(_catching(links_of), by_project)))
        for project, names in by_project.items():
            links, error = pages[project]
            for filename in names:
                if error is not None:
                    errors.append("%s: %s" % (filename, error))
                elif filename in links:
                    urls[filename] = links[filename]
                else:
                    missing.append(filename)
        results = dict(zip(urls, pool.map(_catching(lambda url: read_all(url, timeout)), urls.values())))
    fetched, total = 0, 0
    for filename, (size, error) in results.items():
        if error is not None:
            errors.append("%s: %s" % (filename, error))
        else:
            fetched += 1
            total += size
    return {"requested": len(wanted), "fetched": fetched, "bytes": total, "missing": missing, "errors": errors}


def file_sha256(path):
    """The sha256 of a file, or None when there is none."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


def download(item, dest, timeout, ca_path=None):
    """Download one file into dest through a temporary file beside it, checking its hash; the bytes."""
    response = _open(item["url"], timeout, ca_path)
    digest, total = hashlib.sha256(), 0
    handle, partial = tempfile.mkstemp(prefix=".%s." % item["file"], suffix=".part", dir=dest)
    try:
        with os.fdopen(handle, "wb") as stream:
            try:
                while True:
                    chunk = response.read(CHUNK)
                    if not chunk:
                        break
                    digest.update(chunk)
                    stream.write(chunk)
                    total += len(chunk)
            finally:
                response.close()
        if digest.hexdigest() != item["sha256"]:
            raise ValueError("sha256 %s, not the lock's %s" % (digest.hexdigest(), item["sha256"]))
        os.chmod(partial, 0o644)
        os.replace(partial, os.path.join(dest, item["file"]))
    except BaseException:
        os.unlink(partial)
        raise
    return total


def bad_download(item):
    """Why an item of downloads cannot be used, or None."""
    name = item["file"]
    if not name or "/" in name or name.startswith(".") or "\0" in name:
        return "file %r is not a plain file name" % name
    if urlsplit(item["url"]).scheme not in ("http", "https"):
        return "%s: url %r is not an http:// or https:// URL" % (name, item["url"])
    if not re.match(r"^[0-9a-f]{64}$", item["sha256"]):
        return "%s: sha256 %r is not 64 lowercase hexadecimal digits" % (name, item["sha256"])
    return None


def fill(dest, downloads, parallel, timeout, ca_path=None, check_mode=False):
    """Download what dest lacks; the module's result (without changed)."""
    wanted = list({item["file"]: item for item in downloads}.values())
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        hashes = list(pool.map(lambda item: file_sha256(os.path.join(dest, item["file"])), wanted))
        todo = [item for item, found in zip(wanted, hashes) if found != item["sha256"]]
        results = [] if check_mode else list(pool.map(_catching(lambda item: download(item, dest, timeout, ca_path)), todo))
    errors = ["%s: %s" % (item["file"], error) for item, (_size, error) in zip(todo, results) if error is not None]
    return {"requested": len(wanted), "fetched": len(results) - len(errors), "present": len(wanted) - len(todo),
            "bytes": sum(size for size, error in results if error is None), "missing": [], "errors": errors}


def _catching(function):
    """function(x) -> (result, None), or (None, the error as text)."""
    def call(*args):
        try:
            return function(*args), None
        except Exception as error:  # pylint: disable=broad-exception-caught
            return None, str(error) or error.__class__.__name__
    return call


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True,
                           required_one_of=[("index_url", "dest")], mutually_exclusive=[("index_url", "dest")],
                           required_together=[("index_url", "files"), ("dest", "downloads")])
    params = module.params
    if params["parallel"] < 1:
        module.fail_json(msg="parallel is %d; it must be 1 or more" % params["parallel"])
    if params["dest"] is not None:
        problems = [problem for problem in map(bad_download, params["downloads"]) if problem]
        if problems:
            module.fail_json(msg="downloads: " + "; ".join(problems))
        if not os.path.isdir(params["dest"]):
            module.fail_json(msg="dest %s is not a folder" % params["dest"])
        result = fill(params["dest"], params["downloads"], params["parallel"], params["request_timeout"],
                      params["ca_path"], module.check_mode)
        # Check mode: whether files would be downloaded.
        changed = result["requested"] > result["present"] if module.check_mode else result["fetched"] > 0
        module.exit_json(changed=changed, **result)
    parts = urlsplit(params["index_url"])
    if parts.scheme not in ("http", "https") or not parts.hostname:
        module.fail_json(msg="index_url %r is not an http:// or https:// URL, such as "
                             "http://127.0.0.1:3141/root/pypi/+simple/" % params["index_url"])
    if module.check_mode:
        wanted = list(dict.fromkeys(params["files"]))
        module.exit_json(changed=bool(wanted), requested=len(wanted), fetched=0, present=0, bytes=0, missing=[],
                         errors=[])
    result = fetch(params["index_url"], params["files"], params["parallel"], params["request_timeout"])
    module.exit_json(changed=result["fetched"] > 0, present=0, **result)


if __name__ == "__main__":
    main()
