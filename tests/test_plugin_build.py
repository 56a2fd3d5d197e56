"""Real Pelican builds of the fixture site: what is published, nesting, feeds, strictness."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import feedparser

from support.build import REPO, build_site, copy_fixture
from support.comments import write_comment

ALPHA = "2020/alpha/index.html"


def comment_items(root):
    """Map each comment id to the id of the comment whose <li> encloses it (None at top level)."""
    result = {}
    stack = [(root, None)]
    while stack:
        element, parent_id = stack.pop()
        for child in element:
            if child.tag == "li" and "comment-item" in child.get("class", ""):
                cid = child.find("article").get("id").removeprefix("comment-")
                result[cid] = parent_id
                stack.append((child, cid))
            else:
                stack.append((child, parent_id))
    return result


def test_only_approved_comments_are_published(fixture_build):
    everything = fixture_build.all_text()
    for secret in ("PENDING-SECRET", "SPAM-SECRET", "REJECTED-SECRET", "MODNOTE-SECRET", "OFF-SECRET", "Waiting Walter", "Spammy", "Rejected Rex"):
        assert secret not in everything, secret
    page = fixture_build.page(ALPHA)
    assert "First! A" in page and "Thanks, Ann." in page and "A reply to a comment that is still pending." in page


def test_thread_nesting_follows_reply_to(fixture_build):
    parents = comment_items(fixture_build.tree(ALPHA))
    # a4 is pending: it stays as a placeholder so its reply a6 keeps its place
    assert parents == {"a1": None, "a2": "a1", "a3": "a2", "a4": None, "a6": "a4", "a7": None}
    page = fixture_build.page(ALPHA)
    assert "comment--placeholder" in page
    assert 'href="#comment-a4">in reply to a hidden comment' in page


def test_reply_lists_sit_inside_their_parent_item(fixture_build):
    tree = fixture_build.tree(ALPHA)
    for li in tree.iter("li"):
        for ol in li.findall("ol"):
            assert "comment-replies" in ol.get("class")
    thread = [ol for ol in tree.iter("ol") if "comment-thread" in ol.get("class", "")]
    assert len(thread) == 1


def test_siblings_run_oldest_first(fixture_build):
    page = fixture_build.page(ALPHA)
    assert page.index('id="comment-a1"') < page.index('id="comment-a4"') < page.index('id="comment-a7"')


def test_badge_only_for_role_author(fixture_build):
    tree = fixture_build.tree(ALPHA)
    badged = [a.get("id") for a in tree.iter("article") if "comment--author" in a.get("class", "")]
    assert badged == ["comment-a2"]
    assert fixture_build.page(ALPHA).count(">Post author<") == 1


def test_permalink_time_and_reply_links(fixture_build):
    page = fixture_build.page(ALPHA)
    assert '<a class="comment-permalink" href="#comment-a1"><time datetime="2020-01-02T09:00:00-05:00">' in page
    assert 'href="#comment-a1">in reply to <bdi>Ann Reader</bdi></a>' in page


def test_author_website_is_linked_with_rel(fixture_build):
    assert '<a href="https://ann.example/" rel="nofollow ugc noopener noreferrer">Ann Reader</a>' in fixture_build.page(ALPHA)


def test_hostile_fields_are_escaped_everywhere(fixture_build):
    page = fixture_build.page(ALPHA)
    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt; &amp; Co" in page
    assert 'href="https://evil.example/&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page
    assert "onerror" not in page.split('id="comment-a7"')[1].split("</article>")[0].replace("onerror=alert(1)&gt;", "")
    feed = fixture_build.page("feeds/comments/alpha.atom.xml")
    assert "<script>" not in feed


def test_json_ld_carries_published_comments(fixture_build):
    tree = fixture_build.tree(ALPHA)
    blocks = [json.loads(s.text) for s in tree.iter("script") if s.get("type") == "application/ld+json"]
    posting = next(b for b in blocks if b.get("@type") == "BlogPosting")
    assert posting["commentCount"] == 5
    by_id = {c["@id"].rsplit("#", 1)[1]: c for c in posting["comment"]}
    assert set(by_id) == {"comment-a1", "comment-a2", "comment-a3", "comment-a6", "comment-a7"}
    assert by_id["comment-a2"]["parentItem"] == {"@id": "https://blog.example/2020/alpha/#comment-a1"}
    assert "parentItem" not in by_id["comment-a6"]
    assert by_id["comment-a7"]["author"]["name"] == "<script>alert('name')</script> & Co"
    assert by_id["comment-a1"]["dateCreated"] == "2020-01-02T09:00:00-05:00"
    # The body's visible text: the link's words without its markup, a hostile body's tags as the text it showed.
    assert by_id["comment-a1"]["text"] == "First! A link."
    assert by_id["comment-a7"]["text"] == "<script>alert('body')</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    raw = fixture_build.page(ALPHA)
    assert "</script>alert" not in raw.split('application/ld+json">', 1)[1].split("</script>", 1)[0]


def test_counts_in_article_and_listings(fixture_build):
    assert ">5 comments</a>" in fixture_build.page(ALPHA)
    index = fixture_build.page("index.html")
    assert 'alpha/#comments">5 comments</a>' in index
    assert 'beta/#comments">1 comment</a>' in index
    assert 'delta/#comments">No comments</a>' in index
    assert "gamma/#comments" not in index
    for listing in ("category/work/index.html", "tag/one/index.html", "author/pat-example/index.html", "archives/index.html"):
        assert 'alpha/#comments">5 comments</a>' in fixture_build.page(listing), listing


def test_closed_and_off_articles(fixture_build):
    beta = fixture_build.page("2020/beta/index.html")
    assert "A comment on a closed post." in beta
    assert "Comments are closed." in beta
    assert "<form" not in beta
    gamma = fixture_build.page("2020/gamma/index.html")
    assert 'id="comments"' not in gamma
    assert "comments.atom.xml" in gamma  # the site-wide feed link only
    assert not (fixture_build.output / "feeds/comments/gamma.atom.xml").exists()


def test_open_article_has_the_form(fixture_build):
    page = fixture_build.page("2020/delta/index.html")
    assert 'method="post" action="http://127.0.0.1:8008/comments"' in page
    assert 'name="article" value="delta"' in page
    assert 'formaction="http://127.0.0.1:8008/comments/preview"' in page and ">Preview</button>" in page


def test_feeds_are_valid_atom(fixture_build):
    feed = feedparser.parse(fixture_build.page("feeds/comments/alpha.atom.xml"))
    assert not feed.bozo, feed.bozo_exception
    links = [e.link for e in feed.entries]
    assert sorted(links) == sorted(f"https://blog.example/2020/alpha/#comment-{c}" for c in ("a1", "a2", "a3", "a6", "a7"))
    recent = feedparser.parse(fixture_build.page("feeds/comments.atom.xml"))
    assert not recent.bozo, recent.bozo_exception
    assert len(recent.entries) == 6
    assert recent.entries[0].link.endswith("#comment-a7")
    authors = {e.author for e in recent.entries}
    assert "<script>alert('name')</script> & Co" in authors
    head = fixture_build.page(ALPHA)
    assert 'href="https://blog.example/feeds/comments/alpha.atom.xml"' in head


def test_manifest_lists_articles_and_published_ids(fixture_build):
    manifest = json.loads(fixture_build.page("comments-manifest.json"))
    articles = manifest["articles"]
    assert articles["alpha"]["mode"] == "open"
    assert articles["beta"]["mode"] == "closed"
    assert articles["gamma"]["mode"] == "off"
    assert set(articles["alpha"]["comments"]) == {"a1", "a2", "a3", "a6", "a7"}
    assert articles["alpha"]["title"] == "Alpha & Omega"


def test_comments_close_after_days(tmp_path):
    build = build_site(copy_fixture(tmp_path / "content"), tmp_path / "out", COMMENTS_CLOSE_AFTER_DAYS=30)
    page = build.page("2020/delta/index.html")
    assert "Comments are closed." in page and "<form" not in page


def test_no_submit_url_shows_contact_text(tmp_path):
    build = build_site(copy_fixture(tmp_path / "content"), tmp_path / "out", COMMENTS_SUBMIT_URL=None,
                       COMMENTS_CONTACT_EMAIL="letters@blog.example")
    page = build.page("2020/delta/index.html")
    assert "<form" not in page and ">Preview</button>" not in page and "preview.js" not in page
    assert "mailto:letters@blog.example" in page
    assert 'class="comment-reply"' not in build.page(ALPHA)


def add_bad_files(content):
    """Add one broken file, one orphan, one for an unknown article, and one good comment."""
    when = "2020-01-05T09:00:00"
    alpha = content / "comments/alpha"
    write_comment(alpha, "bad.yaml", {"author": "Bad", "date": when, "stauts": "approved", "body": "x"})
    write_comment(alpha, "orphan.yaml", {"author": "O", "date": when, "status": "approved", "reply_to": "nobody", "body": "ORPHAN-TEXT"})
    write_comment(content / "comments/nosuchpost", "x.yaml", {"author": "X", "date": when, "status": "approved", "body": "y"})
    write_comment(alpha, "good.yaml", {"author": "Goodie", "date": when, "status": "approved", "body": "GOOD-NEW-COMMENT"})


def test_lenient_build_skips_only_bad_files(tmp_path):
    content = copy_fixture(tmp_path / "content")
    add_bad_files(content)
    build = build_site(content, tmp_path / "out")
    warnings = "\n".join(build.messages())
    assert "bad.yaml:3: unknown field 'stauts'" in warnings
    assert "orphan.yaml: reply_to 'nobody'" in warnings
    assert "nosuchpost: no article has the slug 'nosuchpost'" in warnings
    page = build.page(ALPHA)
    assert "GOOD-NEW-COMMENT" in page and "First! A" in page
    assert "ORPHAN-TEXT" not in page


def run_pelican(content, output, *extra, conf="pelicanconf.py"):
    """The real `pelican` command, as `make html` and `make publish` run it, its cache beside `output`."""
    env = {**os.environ, "COLUMNS": "300"}
    cache = output.parent / (output.name + "-cache")
    return subprocess.run(
        [sys.executable, "-m", "pelican", str(content), "-o", str(output), "-s", str(REPO / conf),
         "--cache-path", str(cache), *extra],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )


def test_strict_build_fails_naming_path_and_line(tmp_path):
    # No `--fatal warnings`: that would fail on any warning, so only COMMENTS_STRICT can fail this build.
    content = copy_fixture(tmp_path / "content")
    add_bad_files(content)
    result = run_pelican(content, tmp_path / "out", conf="publishconf.py")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "strict mode (COMMENTS_STRICT) stops the build" in output
    assert "comments/alpha/bad.yaml:3: unknown field 'stauts'; did you mean 'status'?" in output
    assert "Traceback" not in output
    lenient = run_pelican(content, tmp_path / "out2")
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    assert "GOOD-NEW-COMMENT" in (tmp_path / "out2" / ALPHA).read_text()
    assert any((tmp_path / "out2-cache" / "reader_comments").iterdir()), "the build's cache is not where it was told"


def test_rebuild_in_one_process_sees_new_comments(tmp_path):
    content = copy_fixture(tmp_path / "content")
    first = build_site(content, tmp_path / "out", LOAD_CONTENT_CACHE=True, CACHE_CONTENT=True)
    assert "LATE-ARRIVAL" not in first.page(ALPHA)
    late = {"author": "Late", "date": "2020-02-01T09:00:00", "status": "approved", "body": "LATE-ARRIVAL"}
    write_comment(content / "comments/alpha", "late.yaml", late)
    second = build_site(content, tmp_path / "out", LOAD_CONTENT_CACHE=True, CACHE_CONTENT=True)
    assert "LATE-ARRIVAL" in second.page(ALPHA)
    assert ">6 comments</a>" in second.page("index.html")


def test_theme_can_override_thread_templates(tmp_path):
    overrides = tmp_path / "overrides" / "comments"
    overrides.mkdir(parents=True)
    (overrides / "count.html").write_text("<span class=\"custom-count\">{{ article.comment_count }}</span>")
    build = build_site(copy_fixture(tmp_path / "content"), tmp_path / "out", THEME_TEMPLATES_OVERRIDES=[str(overrides.parent)])
    assert '<span class="custom-count">5</span>' in build.page("index.html")


def test_deep_thread_builds(tmp_path):
    content = copy_fixture(tmp_path / "content")
    folder = content / "comments/delta"
    depth = 1000
    for i in range(depth):
        fields = {"author": f"N{i}", "date": "2020-02-01T09:00:00", "status": "approved", "reply_to": f"d{i - 1}" if i else None}
        write_comment(folder, f"d{i}.yaml", {**fields, "body": f"level {i}"})
    build = build_site(content, tmp_path / "out", COMMENTS_MAX_INDENT=5)
    page = build.page("2020/delta/index.html")
    assert page.count('class="comment-item"') == depth
    assert "level 999" in page
    # reply lists nest 32 levels deep (indenting for the first 5); deeper replies follow their parent
    assert page.count("comment-replies comment-replies--flat") == 32 - 5
    parents = comment_items(build.tree("2020/delta/index.html"))
    assert parents["d31"] == "d30" and parents["d999"] == "d30"
    assert 'href="#comment-d998">in reply to <bdi>N998</bdi>' in page


def test_render_cache_follows_edits_and_settings(tmp_path):
    content = copy_fixture(tmp_path / "content")
    first = build_site(content, tmp_path / "out")
    assert "First! A" in first.page(ALPHA)
    caches = sorted(p.name for p in (tmp_path / "out-cache" / "reader_comments").iterdir())
    assert any(name.startswith("bodies-") for name in caches)
    a1 = content / "comments/alpha/a1.yaml"
    a1.write_text(a1.read_text().replace("First! A", "EDITED-BODY A"))
    second = build_site(content, tmp_path / "out")
    assert "EDITED-BODY A" in second.page(ALPHA) and "First! A" not in second.page(ALPHA)
    third = build_site(content, tmp_path / "out", COMMENTS_DATE_FORMAT="%Y/%m/%d")
    assert ">2020/01/02</time>" in third.page(ALPHA)
    renamed = sorted(p.name for p in (tmp_path / "out-cache" / "reader_comments").iterdir())
    assert renamed != caches


def _posting(build, path):
    """The BlogPosting JSON-LD block of a built page."""
    blocks = [json.loads(s.text) for s in build.tree(path).iter("script") if s.get("type") == "application/ld+json"]
    return next(b for b in blocks if b.get("@type") == "BlogPosting")


def _add_many_comments(content, count):
    """`count` more approved comments on alpha, one a day from 2021-03-01 (after the fixture's own)."""
    for n in range(count):
        write_comment(content / "comments/alpha", f"m{n:02d}.yaml",
                      {"author": f"Many {n}", "date": f"2021-03-{n + 1:02d}T09:00:00", "status": "approved", "body": f"MANY-{n}"})


def test_json_ld_lists_the_first_ten_comments_and_counts_them_all(tmp_path):
    content = copy_fixture(tmp_path / "content")
    _add_many_comments(content, 12)
    build = build_site(content, tmp_path / "out", SITEURL="https://blog.example", RELATIVE_URLS=False)
    posting = _posting(build, ALPHA)
    assert posting["commentCount"] == 17
    listed = [c["@id"].rsplit("#comment-", 1)[1] for c in posting["comment"]]
    # Reading order: the fixture's threads first (a1, its replies a2 and a3, a6 under the hidden a4, a7), then the new ones.
    assert listed == ["a1", "a2", "a3", "a6", "a7", "m00", "m01", "m02", "m03", "m04"]
    # Every comment is still on the page.
    assert all(f'id="comment-m{n:02d}"' in build.page(ALPHA) for n in range(12))


def test_json_ld_lists_every_comment_when_asked(tmp_path):
    content = copy_fixture(tmp_path / "content")
    _add_many_comments(content, 12)
    build = build_site(content, tmp_path / "out", SITEURL="https://blog.example", RELATIVE_URLS=False, COMMENTS_JSONLD_MAX_COMMENTS=None)
    posting = _posting(build, ALPHA)
    assert posting["commentCount"] == 17
    assert len(posting["comment"]) == 17


def _synced_during(monkeypatch, run):
    """The paths os.fsync flushed while `run()` ran (read from /proc before the real fsync)."""
    synced = []
    real = os.fsync

    def spy(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    run()
    monkeypatch.setattr(os, "fsync", real)
    return synced


def test_feeds_are_rewritten_only_when_they_change_and_flushed_only_when_asked(tmp_path, monkeypatch):
    content = copy_fixture(tmp_path / "content")
    out = tmp_path / "out"
    synced = _synced_during(monkeypatch, lambda: build_site(content, out))
    feed = out / "feeds/comments/alpha.atom.xml"
    assert feed.is_file()
    assert not [p for p in synced if "/feeds" in p], synced
    before = {p: p.stat().st_ino for p in (out / "feeds").rglob("*.atom.xml")}
    assert feed in before and out / "feeds/comments.atom.xml" in before
    build_site(content, out)
    assert {p: p.stat().st_ino for p in before} == before
    late = {"author": "Late", "date": "2021-05-01T09:00:00", "status": "approved", "body": "LATE-ONE"}
    write_comment(content / "comments/alpha", "late.yaml", late)
    synced = _synced_during(monkeypatch, lambda: build_site(content, out, COMMENTS_SYNC_OUTPUT=True))
    assert "LATE-ONE" in feed.read_text(encoding="utf-8")
    assert feed.stat().st_ino != before[feed]
    # Flushed: the feed's data (through its temporary file) and its folder.
    assert str(feed.parent) in synced and any(p.startswith(f"{feed.parent}/.tmp-") for p in synced), synced


def test_a_feed_changed_in_the_output_is_written_again_and_the_cache_keeps_no_feed_text(tmp_path):
    content = copy_fixture(tmp_path / "content")
    out = tmp_path / "out"
    build_site(content, out)
    feed = out / "feeds/comments/alpha.atom.xml"
    written = feed.read_bytes()
    assert b"First! A" in written
    feed.write_bytes(written.replace(b"First! A", b"TAMPERED"))
    build_site(content, out)
    assert feed.read_bytes() == written
    feed.unlink()
    build_site(content, out)
    assert feed.read_bytes() == written
    kept = b"".join(p.read_bytes() for p in (tmp_path / "out-cache" / "reader_comments").glob("feeds-*.json"))
    assert kept and b"First! A" not in kept and b"<feed" not in kept
