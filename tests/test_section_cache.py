"""Each article's discussion section is kept between builds and reused while nothing it is made from changes.

Real Pelican builds into tmp_path. Reuse is seen in the output: after a build, a
marker is written into every kept section, so a page that shows the marker was
made from the kept section and one without it was rendered again.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from support.build import COMMENT_TEMPLATE, build_site, copy_fixture, override_comment_template
from support.comments import write_comment

ALPHA = "2020/alpha/index.html"
BETA = "2020/beta/index.html"
PAGES = (ALPHA, BETA, "2020/gamma/index.html", "2020/delta/index.html")
KEPT = "<!-- KEPT-SECTION -->"


def kept_sections(tmp_path: Path) -> list[Path]:
    """The section files the build in tmp_path/out keeps."""
    return sorted((tmp_path / "out-cache" / "reader_comments").glob("sections-*/*"))


def mark_kept(tmp_path: Path) -> int:
    """Put KEPT in front of every kept section; how many there are."""
    kept = kept_sections(tmp_path)
    for path in kept:
        path.write_text(KEPT + path.read_text(encoding="utf-8"), encoding="utf-8")
    return len(kept)


def test_an_unchanged_section_is_reused_and_is_what_a_build_without_cache_writes(tmp_path):
    content = copy_fixture(tmp_path / "content")
    cold = build_site(content, tmp_path / "out")
    first = {page: cold.page(page) for page in PAGES}
    warm = build_site(content, tmp_path / "out")
    assert {page: warm.page(page) for page in PAGES} == first
    uncached = build_site(content, tmp_path / "plain", COMMENTS_RENDER_CACHE=False)
    assert {page: uncached.page(page) for page in PAGES} == first
    assert not (tmp_path / "plain-cache" / "reader_comments").exists()
    assert mark_kept(tmp_path) == 4
    again = build_site(content, tmp_path / "out")
    for page in PAGES:
        assert again.page(page).count(KEPT) == 1, page
        assert again.page(page).replace(KEPT, "") == first[page]


def test_a_changed_comment_renders_its_section_again_and_only_that_one(tmp_path):
    content = copy_fixture(tmp_path / "content")
    build_site(content, tmp_path / "out")
    mark_kept(tmp_path)
    a1 = content / "comments/alpha/a1.yaml"
    a1.write_text(a1.read_text(encoding="utf-8").replace("First! A", "EDITED-BODY A"), encoding="utf-8")
    second = build_site(content, tmp_path / "out")
    assert KEPT not in second.page(ALPHA) and "EDITED-BODY A" in second.page(ALPHA)
    assert KEPT in second.page(BETA)
    # A new comment on beta: its section is rendered again too; the sections no longer used are gone.
    write_comment(content / "comments/beta", "late.yaml",
                  {"author": "Late", "date": "2020-02-01T09:00:00", "status": "approved", "body": "LATE-ARRIVAL"})  # fmt: skip
    third = build_site(content, tmp_path / "out")
    assert KEPT not in third.page(BETA) and "LATE-ARRIVAL" in third.page(BETA)
    assert KEPT in third.page("2020/gamma/index.html")
    assert len(kept_sections(tmp_path)) == 4


def test_a_changed_setting_renders_the_sections_again(tmp_path):
    content = copy_fixture(tmp_path / "content")
    build_site(content, tmp_path / "out")
    mark_kept(tmp_path)
    # A setting of Pelican's that the form reads: the address of the theme's static files.
    moved = build_site(content, tmp_path / "out", THEME_STATIC_DIR="static-two")
    assert KEPT not in moved.page(ALPHA)
    assert "/static-two/comments/reply.js" in moved.page(ALPHA)
    mark_kept(tmp_path)
    # A setting of the plugin's.
    dated = build_site(content, tmp_path / "out", THEME_STATIC_DIR="static-two", COMMENTS_DATE_FORMAT="%Y/%m/%d")
    assert KEPT not in dated.page(ALPHA) and ">2020/01/02</time>" in dated.page(ALPHA)
    assert len(kept_sections(tmp_path)) == 4


def test_a_changed_template_renders_the_sections_again(tmp_path):
    content = copy_fixture(tmp_path / "content")
    overrides = tmp_path / "overrides"
    override_comment_template(overrides, "one")
    first = build_site(content, tmp_path / "out", THEME_TEMPLATES_OVERRIDES=[str(overrides)])
    assert 'data-version="one"' in first.page(ALPHA)
    mark_kept(tmp_path)
    unchanged = build_site(content, tmp_path / "out", THEME_TEMPLATES_OVERRIDES=[str(overrides)])
    assert KEPT in unchanged.page(ALPHA)
    override_comment_template(overrides, "two")
    second = build_site(content, tmp_path / "out", THEME_TEMPLATES_OVERRIDES=[str(overrides)])
    assert KEPT not in second.page(ALPHA)
    assert 'data-version="two"' in second.page(ALPHA) and 'data-version="one"' not in second.page(ALPHA)


def test_a_template_that_reads_the_whole_article_is_rendered_every_time(tmp_path):
    content = copy_fixture(tmp_path / "content")
    overrides = tmp_path / "overrides"
    (overrides / "comments").mkdir(parents=True)
    source = COMMENT_TEMPLATE.read_text(encoding="utf-8")
    whole = "{% set post = article %}<span class=\"post-date\">{{ post.date.year }}</span>\n"
    (overrides / "comments" / "comment.html").write_text(whole + source)
    first = build_site(content, tmp_path / "out", THEME_TEMPLATES_OVERRIDES=[str(overrides)])
    assert '<span class="post-date">2020</span>' in first.page(ALPHA)
    assert kept_sections(tmp_path) == []


def test_a_damaged_cache_folder_is_rendered_again(tmp_path):
    content = copy_fixture(tmp_path / "content")
    first = build_site(content, tmp_path / "out").page(ALPHA)
    for path in kept_sections(tmp_path):
        path.write_bytes(b"\xff\xfe not text")
    assert build_site(content, tmp_path / "out").page(ALPHA) == first
    shutil.rmtree(tmp_path / "out-cache" / "reader_comments")
    assert build_site(content, tmp_path / "out").page(ALPHA) == first
