"""Unit tests of labroom.mlflow.package_cache_fetch, with the HTTP layer mocked at open_url."""

from __future__ import annotations

import io
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

    def fake_open_url(url, method="GET", timeout=None, http_agent=None, headers=None):
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
