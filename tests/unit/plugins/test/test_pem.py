"""Unit tests of the test plugin labroom.mlflow.same_pem (plugins/test/pem.py)."""

from __future__ import annotations

import pytest

from ansible_collections.labroom.mlflow.plugins.test.pem import same_pem

CERT = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\nAbCd==\n-----END CERTIFICATE-----\n"
OTHER = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIV\nAbCd==\n-----END CERTIFICATE-----\n"


@pytest.mark.parametrize(("value", "other", "expected"), [
    (CERT, CERT, True),
    (CERT.replace("\n", "\r\n"), CERT, True),                   # certutil -a writes CRLF
    ("nickname: x\n" + CERT.replace("\nAbCd", "AbCd"), CERT, True),  # other line breaks, text around
    (CERT, OTHER, False),
    (CERT + OTHER, CERT, False),                                # a chain is not the CA alone
    ("certutil: Could not find cert: labroom.mlflow CA", CERT, False),
    ("", "", False),                                            # nothing is not the same as nothing
    (None, CERT, False),
    (CERT.replace("CERTIFICATE", "PUBLIC KEY"), CERT, False),
])
def test_same_pem(value, other, expected):
    assert same_pem(value, other) is expected
