"""The export: every comment with its slug, id and fields in one JSON file, and an import of it giving them back."""

from __future__ import annotations

import json
import os
import shutil
import stat

from support.importing import IMPORT_FIXTURES, command, site


def test_export_then_import_into_an_empty_folder_gives_the_same_comments(tmp_path):
    content = site(tmp_path / "a")
    assert command(content, "import", "wordpress", str(IMPORT_FIXTURES / "wordpress.xml")).code == 0
    assert command(content, "import", "disqus", str(IMPORT_FIXTURES / "disqus.xml")).code == 0
    first = tmp_path / "first.json"
    run = command(content, "export", str(first))
    assert run.code == 0, run.err
    data = json.loads(first.read_text(encoding="utf-8"))
    by_key = {(c["slug"], c["id"]): c for c in data["comments"]}
    assert len(by_key) == 10 + 15  # the fixture site's ten files and fifteen imported
    assert by_key[("alpha", "a2")] == {
        "slug": "alpha", "id": "a2", "author": "Pat Example", "date": "2020-01-02T10:00:00-05:00", "status": "approved",
        "body": "Thanks, Ann.", "reply_to": "a1", "role": "author", "moderator": "Pat Example",
        "note": "MODNOTE-SECRET looked fine",
    }
    assert by_key[("alpha", "disqus-9103")]["reply_to"] == "disqus-9102"

    empty = site(tmp_path / "b")
    shutil.rmtree(empty / "comments")
    back = command(empty, "import", "json", str(first))
    assert back.code == 0, back.err
    assert "imported 25 comments" in back.out
    second = tmp_path / "second.json"
    assert command(empty, "export", str(second)).code == 0
    assert second.read_text(encoding="utf-8") == first.read_text(encoding="utf-8")


def test_export_refuses_while_a_file_is_invalid(tmp_path):
    content = site(tmp_path)
    (content / "comments/alpha/broken.yaml").write_text("author: x\nstatus: approved\n", encoding="utf-8")
    target = tmp_path / "out.json"
    run = command(content, "export", str(target))
    assert run.code == 1
    assert "broken.yaml" in run.err and "required field" in run.err
    assert not target.exists()


def test_the_export_is_readable_by_its_owner_only_new_or_replaced(tmp_path):
    """0600 whatever the umask, and also when it replaces an older, world-readable export."""
    content = site(tmp_path / "site")
    fresh = tmp_path / "fresh.json"
    old_umask = os.umask(0o022)
    try:
        assert command(content, "export", str(fresh)).code == 0
        replaced = tmp_path / "replaced.json"
        replaced.write_text("{}\n", encoding="utf-8")
        replaced.chmod(0o644)
        assert command(content, "export", str(replaced)).code == 0
    finally:
        os.umask(old_umask)
    for path in (fresh, replaced):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, oct(path.stat().st_mode)
        assert json.loads(path.read_text(encoding="utf-8"))["comments"]
