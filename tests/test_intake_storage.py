"""Storing a comment over HTTP never replaces a file: a taken id is drawn again, and a honeypot post stores nothing.

A second route to rules the loader's own tests check: the real service in a
subprocess, its id generator made to hand out ids that already exist
(tests/support/taken_ids.py), and the moderation command as the moderator sees
the result.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest

from support.intake import FORM, INTAKE_FIXTURES, IntakeServer, Reply, launch, send

REPO = Path(__file__).resolve().parents[1]
WRAPPER = REPO / "tests" / "support" / "taken_ids.py"
ARTICLE = "dinner-guest"
TAKEN = ["20200101T000000000000-aaaaaa", "20200101T000000000000-bbbbbb", "20200101T000000000000-cccccc",
         "20200101T000000000000-dddddd", "20200101T000000000000-eeeeee"]
VALID = {"article": ARTICLE, "author": "Ann Reader", "body": "Thank you for this.", "homepage": ""}


def post(server: IntakeServer, **fields: str) -> Reply:
    """POST /comments as a script would (JSON answer)."""
    body = urlencode({**VALID, **fields})
    return send(server.port, "POST", "/comments", body, {"Content-Type": FORM, "Accept": "application/json"})


def occupy(server: IntakeServer, ids: list[str]) -> dict[Path, bytes]:
    """Write a pending comment file under each id; return their bytes, to check they are kept."""
    folder = server.content / ARTICLE
    folder.mkdir(exist_ok=True)
    kept = {}
    for cid in ids:
        path = folder / f"{cid}.yaml"
        path.write_text(f'author: "Earlier {cid[-6:]}"\ndate: "2020-01-01T00:00:00"\nstatus: pending\nbody: EARLIER\n')
        kept[path] = path.read_bytes()
    return kept


def taken_server(tmp_path: Path, ids: list[str]) -> IntakeServer:
    """The service, rate limiting off, whose first new ids are `ids`."""
    return launch(tmp_path, {"COMMENTS_RATE_LIMIT": "0", "TAKEN_IDS": ",".join(ids)},
                  prefix=(sys.executable, str(WRAPPER)))


def test_a_taken_id_is_drawn_again_and_the_earlier_file_is_kept(tmp_path: Path) -> None:
    server = taken_server(tmp_path, TAKEN[:2])
    try:
        kept = occupy(server, TAKEN[:2])
        reply = post(server)
        assert reply.status == 201, reply.body
        new = reply.json()["id"]
        assert new not in TAKEN
        assert {path: path.read_bytes() for path in kept} == kept
        written = (server.content / ARTICLE / f"{new}.yaml").read_text(encoding="utf-8")
        assert "Ann Reader" in written and "Thank you for this." in written
        log = server.log.read_text(encoding="utf-8")
        assert all(f"comment id {cid} is taken; drawing another" in log for cid in TAKEN[:2])
    finally:
        server.stop()


def test_when_every_id_drawn_is_taken_the_post_fails_and_nothing_is_replaced(tmp_path: Path) -> None:
    server = taken_server(tmp_path, TAKEN)
    try:
        kept = occupy(server, TAKEN)
        before = set((server.content / ARTICLE).iterdir())
        reply = post(server)
        assert reply.status == 503
        assert set((server.content / ARTICLE).iterdir()) == before
        assert {path: path.read_bytes() for path in kept} == kept
    finally:
        server.stop()


def queue(server: IntakeServer) -> str:
    """The moderation queue of the service's comments folder, as `make comments` prints it."""
    env = {**os.environ, "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "pelican.plugins.reader_comments.moderation", "--content", str(server.content.parent),
         "--settings", str(INTAKE_FIXTURES / "settings.py"), "queue"],
        cwd=server.content.parent, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_honeypot_post_never_reaches_the_moderation_queue(tmp_path: Path) -> None:
    server = launch(tmp_path, {"COMMENTS_RATE_LIMIT": "0"})
    try:
        before = queue(server)
        trapped = post(server, author="Spam Bot", body="BUY-NOW-HONEYPOT", homepage="http://spam.example/")
        assert trapped.status == 201 and trapped.json()["status"] == "pending"
        assert queue(server) == before
        real = post(server, author="Real Reader", body="REAL-READER-BODY")
        assert real.status == 201
        after = queue(server)
        assert "Real Reader" in after and "Spam Bot" not in after and "BUY-NOW-HONEYPOT" not in after
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def no_stray_temp_files(tmp_path: Path):
    """No test here leaves a temporary file behind in the comments folder."""
    yield
    assert not list(tmp_path.glob("comments/*/.tmp-*"))
