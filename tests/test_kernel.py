"""Sync geo_nb calls inside a real Jupyter kernel, as "Run All" sends them.

nbmake sends cells one at a time, which hides the hang the unmaintained
nest_asyncio 1.6 causes under ipykernel 7 when cells queue up behind a sync
call. This test queues five execute requests back to back and requires all
five to reply.
"""

from __future__ import annotations

import os
import queue
import time

import pytest

from geo_nb.testing import NCBIEmulator

jupyter_client = pytest.importorskip("jupyter_client.manager")
pytest.importorskip("ipykernel")

pytestmark = pytest.mark.kernel

CELLS = [
    "res = geo_nb.fetch('GSE146537'); print('cell0', len(res.samples))",
    "hits = geo_nb.search('ATAC-seq', organism='Homo sapiens'); print('cell1', len(hits) > 0)",
    "res = geo_nb.fetch(['GSE99709', 'GSM11805']);"
    " print('cell2', list(res.series.accession) + list(res.samples.accession))",
    "import asyncio; res = geo_nb.fetch('GSE150868'); print('cell3', len(res.samples))",
    "res = geo_nb.fetch('GSE146537', progress=False); print('cell4', len(res.files))",
]


def test_five_queued_sync_calls_all_reply(geo_env: NCBIEmulator) -> None:
    km, kc = jupyter_client.start_new_kernel(kernel_name="python3", env=dict(os.environ))
    try:
        kc.execute("import geo_nb")
        assert kc.get_shell_msg(timeout=60)["content"]["status"] == "ok"
        sent = [kc.execute(code) for code in CELLS]
        replies: dict[str, str] = {}
        deadline = time.monotonic() + 90
        while len(replies) < len(sent) and time.monotonic() < deadline:
            try:
                message = kc.get_shell_msg(timeout=1)
            except queue.Empty:
                continue
            replies[message["parent_header"]["msg_id"]] = message["content"]["status"]
        assert [replies.get(msg_id) for msg_id in sent] == ["ok"] * len(sent)
        printed = []
        widgets = []
        while True:
            try:
                message = kc.get_iopub_msg(timeout=0.5)
            except queue.Empty:
                break
            content = message["content"]
            if message["msg_type"] == "stream" and content["name"] == "stdout":
                printed.append(content["text"])
            elif message["msg_type"] == "display_data":
                widgets.append("application/vnd.jupyter.widget-view+json" in content["data"])
            elif message["msg_type"] == "comm_msg":
                printed.append(str(content["data"].get("state", {}).get("value", "")))
        output = "".join(printed)
        # progress=True (the default) shows tqdm's widget bar with count, rate and errors.
        assert widgets and all(widgets)
        assert "errors=0" in output.replace("\u2007", " ")
        assert (
            "cell0 6" in output
            and "cell1 True" in output
            and "cell2 ['GSE99709', 'GSM11805']" in output
        )
        assert "cell3 35" in output and "cell4 7" in output
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
