"""Filling the intake's built pages, in process: every value escaped, every placeholder replaced once, the base added."""

from __future__ import annotations

from pelican.plugins.reader_comments import reader_pages

PAGE = ('<html><head><title>[[intake:heading]]</title></head><body>'
        '<input name="author" value="[[intake:author]]"><textarea>[[intake:body]]</textarea>'
        '<ul>[[intake:errors]]</ul><a href="[[intake:back]]">[[intake:title]]</a>[[intake:nothing]]</body></html>')


def test_every_value_is_escaped_where_it_stands() -> None:
    values = {"author": 'Ann "A" <b>', "body": "x </textarea><script>&amp;", "back": "https://s.example/?a=1&b='2'",
              "title": "Tea & <i>Toast</i>", "heading": "Not sent"}
    filled = reader_pages.fill(PAGE, values, ["Website <bad> & \"wrong\"", "Second"], "https://s.example/\"x")
    assert filled == (
        '<html><head>\n<base href="https://s.example/&quot;x/"><title>Not sent</title></head><body>'
        '<input name="author" value="Ann &quot;A&quot; &lt;b&gt;">'
        "<textarea>x &lt;/textarea&gt;&lt;script&gt;&amp;amp;</textarea>"
        "<ul><li>Website &lt;bad&gt; &amp; &quot;wrong&quot;</li><li>Second</li></ul>"
        '<a href="https://s.example/?a=1&amp;b=&#x27;2&#x27;">Tea &amp; &lt;i&gt;Toast&lt;/i&gt;</a></body></html>'
    )


def test_a_value_holding_a_placeholder_is_not_filled_again() -> None:
    filled = reader_pages.fill("[[intake:author]]|[[intake:body]]", {"author": "[[intake:body]]", "body": "B"})
    assert filled == "[[intake:body]]|B"


def test_without_a_base_the_head_is_left_alone_and_only_the_first_head_gets_one() -> None:
    assert reader_pages.fill("<head></head>[[intake:title]]", {"title": "T"}) == "<head></head>T"
    assert reader_pages.fill("<head><head>", {}, (), "https://s.example") == '<head>\n<base href="https://s.example/"><head>'


def test_placeholders_name_every_field_and_the_errors() -> None:
    assert reader_pages.placeholders() == {
        name: f"[[intake:{name}]]"
        for name in ("article", "author", "website", "reply_to", "body", "back", "title", "heading", "advice",
                     "email", "published_checked", "replies_checked", "message", "comment_hidden", "action",
                     "form_hidden", "token", "button", "preview", "edit_link", "edit_hidden", "digest", "removal_hidden", "reason",
                     "errors")
    }


def test_a_quoted_title_turns_its_own_double_marks_into_single_ones() -> None:
    assert reader_pages.quoted_title("A \u201cQuick\u201d Guide") == "A \u2018Quick\u2019 Guide"
    assert reader_pages.quoted_title('A "plain" Guide') == 'A "plain" Guide'


def test_the_preview_is_put_in_as_the_renderer_s_markup_and_is_empty_when_absent() -> None:
    page = "<div>[[intake:preview]]</div><p>[[intake:body]]</p>"
    rendered = '<p>Thank <em>you</em> &amp; <a href="https://s.example/" rel="nofollow ugc">goodbye</a></p>'
    assert reader_pages.fill(page, {"preview": rendered, "body": "<em>"}) == (
        '<div><p>Thank <em>you</em> &amp; <a href="https://s.example/" rel="nofollow ugc">goodbye</a></p></div>'
        "<p>&lt;em&gt;</p>")
    assert reader_pages.fill(page, {"body": "B"}) == "<div></div><p>B</p>"
