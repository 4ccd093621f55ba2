"""Unit tests of labroom.mlflow.package_cache_fetch, with the HTTP layer mocked at open_url."""

from __future__ import annotations

import hashlib
import io
import os
from urllib.error import HTTPError

import pytest

from ansible_collections.labroom.mlflow.plugins.modules import package_cache_fetch as module
from ansible_collections.labroom.mlflow.tests.unit.plugins.modules.utils import run_module

INDEX = "http://127.0.0.1:3141/root/pypi/+simple/"
NUMPY = "numpy-2.4.6-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"
PAGES = {
    INDEX + "numpy/": '<html><body><a href="../../+f/02a/b1/%s#sha256=00">%s</a>'
                      '<a href="../../+f/0ff/ee/numpy-2.4.6.tar.gz#sha256=11">numpy-2.4.6.tar.gz</a></body></html>'
                      % (NUMPY, NUMPY),
    INDEX + "azure-core/": '<a href="../../+f/1/2/azure-core-1.0.tar.gz">azure-core-1.0.tar.gz</a>'
                           '<a href="../../+f/3/4/azure_core-1.1-py3-none-any.whl">azure_core-1.1-py3-none-any.whl</a>',
}
FILES = {
    "http://127.0.0.1:3141/root/pypi/+f/02a/b1/" + NUMPY: b"n" * (3 * module.CHUNK + 5),
    "http://127.0.0.1:3141/root/pypi/+f/1/2/azure-core-1.0.tar.gz": b"a" * 10,
    "http://127.0.0.1:3141/root/pypi/+f/3/4/azure_core-1.1-py3-none-any.whl": b"w" * 7,
}


class Response(io.BytesIO):
    pass


@pytest.fixture
def requests(monkeypatch):
    seen = []

    def fake_open_url(url, method="GET", timeout=None, http_agent=None, headers=None, ca_path=None):
        seen.append((method, url))
        if url in PAGES:
            return Response(PAGES[url].encode())
        if url in FILES:
            return Response(FILES[url])
        raise HTTPError(url, 502, "Bad Gateway", {}, None)

    monkeypatch.setattr(module, "open_url", fake_open_url)
    return seen


@pytest.mark.parametrize(("filename", "project"), [
    (NUMPY, "numpy"),
    ("azure_core-1.1-py3-none-any.whl", "azure-core"),
    ("azure-core-1.0.tar.gz", "azure-core"),
    ("Flask_Cors-4.0.0-py2.py3-none-any.whl", "flask-cors"),
    ("zope.interface-6.0.zip", "zope-interface"),
    ("pkg-1.0-1-py3-none-any.whl", "pkg"),          # with a build tag
    ("not a distribution", None),
])
def test_project_name_from_the_file_name(filename, project):
    assert module.project_of(filename) == project


def test_every_file_is_read_to_its_end_with_plain_gets(requests):
    result = module.fetch(INDEX, [NUMPY, "azure-core-1.0.tar.gz", "azure_core-1.1-py3-none-any.whl", NUMPY], 4, 30)
    assert result == {"requested": 3, "fetched": 3, "bytes": 3 * module.CHUNK + 5 + 10 + 7, "missing": [], "errors": []}
    assert all(method == "GET" for method, _url in requests)
    # One page per project, one request per distinct file.
    assert sorted(url for _m, url in requests if url in PAGES) == sorted(PAGES)
    assert sorted(url for _m, url in requests if url in FILES) == sorted(FILES)


def test_files_the_index_does_not_list_or_serve_are_returned_not_raised(requests):
    result = module.fetch(INDEX, ["numpy-2.4.6.tar.gz", "numpy-9.9-py3-none-any.whl", "six-1.17.0-py2.py3-none-any.whl",
                                  "README"], 2, 30)
    assert result["fetched"] == 0 and result["bytes"] == 0
    assert sorted(result["missing"]) == ["README", "numpy-9.9-py3-none-any.whl"]
    assert sorted(result["errors"]) == ["numpy-2.4.6.tar.gz: HTTP Error 502: Bad Gateway",
                                        "six-1.17.0-py2.py3-none-any.whl: HTTP Error 502: Bad Gateway"]


def test_module_reports_a_change_when_it_fetched(requests):
    out = run_module(module, {"index_url": INDEX, "files": [NUMPY]}).result
    assert out["changed"] is True and out["fetched"] == 1


def test_a_file_not_served_does_not_fail_the_task(requests):
    # Ansible reads a result's "failed" key as the task's own failure: the files that were not
    # served are returned under another name.
    out = run_module(module, {"index_url": INDEX, "files": [NUMPY, "numpy-2.4.6.tar.gz"]}).result
    assert not out.get("failed") and out["fetched"] == 1
    assert out["errors"] == ["numpy-2.4.6.tar.gz: HTTP Error 502: Bad Gateway"]


def test_check_mode_fetches_nothing(requests):
    out = run_module(module, {"index_url": INDEX, "files": [NUMPY]}, check_mode=True).result
    assert out["changed"] is True and out["fetched"] == 0 and requests == []


@pytest.mark.parametrize(("args", "message"), [
    ({"index_url": "127.0.0.1:3141/root/pypi/+simple/", "files": []}, "index_url '127.0.0.1:3141"),
    ({"index_url": INDEX, "files": [], "parallel": 0}, "parallel is 0"),
])
def test_bad_settings_are_refused(requests, args, message):
    out = run_module(module, args).result
    assert out["failed"] is True and message in out["msg"] and requests == []


UPSTREAM = "https://files.example/packages/"
WHEEL = "azure_core-1.1-py3-none-any.whl"


def item(name, url=None, content=None):
    content = FILES["http://127.0.0.1:3141/root/pypi/+f/3/4/" + WHEEL] if content is None else content
    return {"file": name, "url": url or UPSTREAM + name, "sha256": hashlib.sha256(content).hexdigest()}


@pytest.fixture
def upstream(monkeypatch):
    """Files served from an upstream URL (the lock's), with the CA each request trusted."""
    seen = []
    served = {UPSTREAM + WHEEL: FILES["http://127.0.0.1:3141/root/pypi/+f/3/4/" + WHEEL],
              UPSTREAM + NUMPY: FILES["http://127.0.0.1:3141/root/pypi/+f/02a/b1/" + NUMPY]}

    def fake_open_url(url, method="GET", timeout=None, http_agent=None, headers=None, ca_path=None):
        seen.append((method, url, ca_path))
        if url in served:
            return Response(served[url])
        raise HTTPError(url, 404, "Not Found", {}, None)

    monkeypatch.setattr(module, "open_url", fake_open_url)
    return seen


def test_downloads_land_in_the_folder_whole_and_checked(upstream, tmp_path):
    numpy = item(NUMPY, content=FILES["http://127.0.0.1:3141/root/pypi/+f/02a/b1/" + NUMPY])
    out = run_module(module, {"dest": str(tmp_path), "downloads": [item(WHEEL), numpy, item(WHEEL)],
                              "ca_path": "/etc/extra-ca.pem"}).result
    assert out["changed"] is True and (out["requested"], out["fetched"], out["present"]) == (2, 2, 0)
    assert out["bytes"] == 7 + 3 * module.CHUNK + 5 and out["errors"] == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([WHEEL, NUMPY])   # no partial file left
    assert (tmp_path / WHEEL).read_bytes() == b"w" * 7
    assert oct((tmp_path / WHEEL).stat().st_mode & 0o777) == "0o644"
    assert {ca for _method, _url, ca in upstream} == {"/etc/extra-ca.pem"}


def test_files_already_there_with_their_hash_are_not_fetched_again(upstream, tmp_path):
    (tmp_path / WHEEL).write_bytes(b"w" * 7)
    out = run_module(module, {"dest": str(tmp_path), "downloads": [item(WHEEL)]}).result
    assert out["changed"] is False and (out["fetched"], out["present"], out["bytes"]) == (0, 1, 0) and upstream == []


def test_a_file_with_another_hash_is_replaced(upstream, tmp_path):
    (tmp_path / WHEEL).write_bytes(b"stale")
    out = run_module(module, {"dest": str(tmp_path), "downloads": [item(WHEEL)]}).result
    assert out["changed"] is True and out["fetched"] == 1 and (tmp_path / WHEEL).read_bytes() == b"w" * 7


def test_a_download_with_the_wrong_hash_or_none_is_reported_and_leaves_nothing(upstream, tmp_path):
    wrong = dict(item(WHEEL), sha256="0" * 64)
    gone = item("gone-1.0-py3-none-any.whl")
    out = run_module(module, {"dest": str(tmp_path), "downloads": [wrong, gone]}).result
    assert not out.get("failed") and out["changed"] is False and out["fetched"] == 0
    assert out["errors"][0].startswith(WHEEL + ": sha256 ") and "not the lock's " + "0" * 64 in out["errors"][0]
    assert out["errors"][1] == "gone-1.0-py3-none-any.whl: HTTP Error 404: Not Found"
    assert os.listdir(tmp_path) == []


def test_check_mode_says_what_would_be_downloaded(upstream, tmp_path):
    out = run_module(module, {"dest": str(tmp_path), "downloads": [item(WHEEL)]}, check_mode=True).result
    assert out["changed"] is True and out["fetched"] == 0 and upstream == [] and os.listdir(tmp_path) == []


@pytest.mark.parametrize(("downloads", "message"), [
    ([dict(item(WHEEL), file="../evil.whl")], "is not a plain file name"),
    ([dict(item(WHEEL), file=".hidden.whl")], "is not a plain file name"),
    ([dict(item(WHEEL), url="file:///etc/passwd")], "is not an http:// or https:// URL"),
    ([dict(item(WHEEL), sha256="abc")], "is not 64 lowercase hexadecimal digits"),
])
def test_bad_downloads_are_refused_before_any_request(upstream, tmp_path, downloads, message):
    out = run_module(module, {"dest": str(tmp_path), "downloads": downloads}).result
    assert out["failed"] is True and message in out["msg"] and upstream == []


def test_dest_must_be_a_folder_and_one_way_at_a_time(upstream, tmp_path):
    out = run_module(module, {"dest": str(tmp_path / "none"), "downloads": [item(WHEEL)]}).result
    assert out["failed"] is True and "is not a folder" in out["msg"]
    out = run_module(module, {"dest": str(tmp_path), "downloads": [], "index_url": INDEX, "files": []}).result
    assert out["failed"] is True and "mutually exclusive" in out["msg"]
