"""Issue 9, finding 1, through the service: a 1.5 KB workbook naming cell XFD1048576
(which made calamine abort the process, and the redelivered request abort it again) and
a 20 MiB CSV of newlines are refused with Invalid naming `file` and the limit, nothing
is recorded, and the service answers the next call.  The reading itself, in a process
with a low address-space limit, is tests/unit/customer/test_upload_limits.py."""
import base64
import time

import pytest

from services.common.errors import Invalid
from services.customer.contract import imports as limits
from tests.unit.customer.test_upload_limits import BOMB


@pytest.fixture
def importer(start, rpc):
    start("customer")
    return rpc("customer", roles=("supervisor",))


def upload(proxy, filename: str, data: bytes) -> dict:
    return proxy.import_customers({"filename": filename, "dry_run": True,
                                   "content": base64.b64encode(data).decode()})


def test_finding1_a_workbook_bomb_is_refused_and_the_service_lives(importer):
    started = time.monotonic()
    with pytest.raises(Invalid) as caught:
        upload(importer, "bomb.xlsx", BOMB)
    assert any(str(limits.MAX_COLUMNS) in r for r in caught.value.fields["file"])
    with pytest.raises(Invalid) as caught:
        upload(importer, "lines.csv", b"\n" * limits.MAX_FILE_BYTES)
    assert any(f"{limits.MAX_ROWS:,}" in r for r in caught.value.fields["file"])
    assert time.monotonic() - started < 30
    done = upload(importer, "ok.csv", "姓名,手机\n张三,13800138000\n".encode())
    assert (done["status"], done["total_rows"]) == ("dry_run", 1)
