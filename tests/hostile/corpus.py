"""The hostile-input corpus for reader comments, organised by class.

Every class says where its kind of attack is documented. Four groups:

- `ATTACKS`: hostile values for one field (body, author or website) of an
  otherwise ordinary approved comment. Each is written into a copy of the
  fixture site and built; the loader may refuse it (a pass, recorded as
  `refused=True`), otherwise it must come out inert.
- `BAD_FILES`: broken and hostile comment files, each with the words its
  error must contain and the line it must name (None when there is none).
- `ODD_NAMES`: names YAML 1.1 would have turned into booleans, numbers or
  dates; they must be published exactly as written.
- `PATHOLOGICAL`: Markdown built to make parsers slow or deep.

Script payloads call `alert`, `confirm`, `prompt`, `console.error("PWNED")` or
`window.__pwned()`; the browser check watches for all of them.
"""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass

MAX_BODY = 10_000


@dataclass(frozen=True)
class Klass:
    """A class of attack and where it is documented."""

    key: str
    title: str
    documented: str


@dataclass(frozen=True)
class Attack:
    """One hostile value for one field of an approved comment."""

    klass: str
    field: str
    value: str
    refused: bool = False
    note: str = ""


@dataclass(frozen=True)
class BadFile:
    """A broken or hostile comment file and the error it must give."""

    name: str
    data: bytes
    words: str
    line: int | None
    filename: str | None = None
    thread: bool = False


@dataclass(frozen=True)
class Pathological:
    """Markdown built to be slow or deep to parse."""

    name: str
    text: str


CLASSES = {
    k.key: k
    for k in (
        Klass(
            "link",
            "Script injection through Markdown links",
            "CommonMark 0.31 spec, sections 6.3 Links, 6.4 Images, 6.5 Autolinks and 2.5 Entity and "
            "numeric character references; OWASP XSS Filter Evasion Cheat Sheet (javascript: with "
            "embedded tab, newline and entities, mixed case, padded numeric references); WHATWG URL "
            "Standard (leading C0 controls and spaces stripped, tab and newline removed); CWE-79, "
            "CWE-83, CWE-84 (encoded URI schemes).",
        ),
        Klass(
            "html",
            "Raw HTML",
            "OWASP XSS Filter Evasion Cheat Sheet; OWASP XSS Prevention Cheat Sheet; CommonMark spec "
            "4.6 HTML blocks and 6.6 Raw HTML; HTML Living Standard (base, meta refresh, srcdoc, "
            "formaction); mutation-XSS papers (Heiderich et al., 'mXSS Attacks', CCS 2013); CWE-79, CWE-80.",
        ),
        Klass(
            "attr",
            "Attribute injection and title break-outs",
            "Python-Markdown extension docs for attr_list and md_in_html (part of 'extra', which the "
            "site's own pages use); CommonMark spec 6.3 (link titles) and 4.5 (fenced code info "
            "strings); OWASP XSS Prevention Cheat Sheet rule 2 (attribute values); CWE-83.",
        ),
        Klass(
            "unicode",
            "Unicode",
            "Unicode UAX #9 (Bidirectional Algorithm: overrides U+202A-U+202E, isolates "
            "U+2066-U+2069); Unicode TR #36 (Security Considerations: bidi spoofing, invisible and "
            "noncharacters) and UTS #39; CVE-2021-42574 ('Trojan Source'); Unicode Standard 3.9 D76 "
            "(scalar values exclude surrogates); YAML 1.2.2 section 5.7 (escaped characters); XML 1.0 "
            "section 2.2 (Char excludes U+FFFE and U+FFFF); CWE-176, CWE-451.",
        ),
        Klass(
            "field",
            "Every field: author and website",
            "OWASP XSS Prevention Cheat Sheet rules 1, 2 and 5 (HTML body, attribute and URL "
            "contexts); HTML Living Standard 13.1.2.3 (attribute values); Jinja template injection "
            "(PortSwigger, 'Server-side template injection'); RFC 3986 (URI syntax); CWE-79, CWE-83, "
            "CWE-1336.",
        ),
        Klass(
            "files",
            "Broken and hostile data files",
            "YAML 1.2.2 spec (aliases 3.2.2.2 and 7.1, tags 6.8.2, directives 6.8, documents 9.1, "
            "duplicate keys 3.2.1.1); 'billion laughs' (CWE-776); PyYAML unsafe tags "
            "(CVE-2017-18342, CVE-2020-1747); RFC 3629 (UTF-8: overlongs and surrogates invalid); "
            "Unicode 3.10 (BOM); CWE-22 (path traversal in reply_to and names), CWE-400, CWE-674 "
            "(uncontrolled recursion), CWE-20.",
        ),
        Klass(
            "markdown",
            "Pathological Markdown",
            "cmark test/pathological_tests.py and commonmark.js test/pathological-tests (nested "
            "emphasis, brackets, block quotes, lists, unclosed links, backticks); CWE-400, CWE-1333, "
            "CWE-674.",
        ),
    )
}


def _b64(text: str) -> str:
    """Base64 of UTF-8 text, for data: URLs."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


SCRIPT_B64 = _b64("<script>window.__pwned()</script>")
SVG_B64 = _b64('<svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned()"/>')

LINK = [
    # inline links
    "[a](javascript:window.__pwned())",
    "[a](JaVaScRiPt:alert(1))",
    "[a](JAVASCRIPT:confirm(1))",
    "[a](javascript:prompt(1))",
    "[a](vbscript:msgbox(1))",
    "[a](VbScRiPt:msgbox(1))",
    f"[a](data:text/html;base64,{SCRIPT_B64})",
    "[a](data:text/html,<script>alert(1)</script>)",
    "[a](DaTa:text/html,<svg/onload=alert(1)>)",
    f"[a](data:image/svg+xml;base64,{SVG_B64})",
    "[a](&#106;avascript:alert(1))",
    "[a](&#x6A;avascript&#x3A;alert(1))",
    "[a](&#X6a;&#X61;vascript:alert(1))",
    "[a](javascript&colon;alert(1))",
    "[a](javascript&#58;alert(1))",
    "[a](&#0000106;&#0000097;vascript:alert(1))",
    "[a](&#x6A&#x61&#x76&#x61script:alert(1))",
    "[a](vbscript&colon;msgbox(1))",
    "[a](java&#09;script:alert(1))",
    "[a](java&#x09;script:alert(1))",
    "[a](java&#10;script:alert(1))",
    "[a](java&#x0D;script:alert(1))",
    "[a](java&Tab;script:alert(1))",
    "[a](java&NewLine;script:alert(1))",
    "[a](<java\tscript:alert(1)>)",
    "[a](java\tscript:alert(1))",
    "[a]( javascript:alert(1))",
    "[a](<javascript:alert(1)>)",
    "[a](< javascript:alert(1)>)",
    "[a](javascript\\:alert(1))",
    "[a](javascript:alert%281%29)",
    "[a](%6A%61vascript:alert(1))",
    "[a](javascript://%0Aalert(1))",
    "[a](javascript:alert(1) \"title\")",
    "[a](https://example.com/) [b](javascript:alert(1)) [c](http://example.com/)",
    "[a](//evil.example/x)",
    "[a](file:///etc/passwd)",
    "[a](feed:javascript:alert(1))",
    "[a](jar:javascript:alert(1)!/)",
    "[a](\x01javascript:alert(1))",
    "[a](java\x00script:alert(1))",
    "[a](\x1fjavascript:alert(1))",
    # reference links
    "[a][r]\n\n[r]: javascript:window.__pwned()",
    "[r]\n\n[r]: JAVASCRIPT:alert(1)",
    "[r][]\n\n[r]: <javascript:alert(1)> \"title\"",
    "[a][r]\n\n[r]: &#106;avascript:alert(1)",
    "[a][r]\n\n[r]:\n  vbscript:msgbox(1)",
    f"[a][r]\n\n[r]: data:text/html;base64,{SCRIPT_B64}",
    "[a][r]\n\n[r]: java&#x09;script:alert(1)",
    # autolinks
    "<javascript:alert(1)>",
    "<JAVASCRIPT:window.__pwned()>",
    "<vbscript:msgbox(1)>",
    f"<data:text/html;base64,{SCRIPT_B64}>",
    "<java\tscript:alert(1)>",
    "<javascript&#58;alert(1)>",
    "https://example.com/x javascript:alert(1) www.example.com",
    # images
    "![a](javascript:alert(1))",
    "![a](https://example.com/x.png\" onerror=\"alert(1))",
    "![a][r]\n\n[r]: javascript:alert(1)",
    "[![a](https://example.com/i.png)](javascript:alert(1))",
    "![<img src=x onerror=alert(1)>](https://example.com/x.png)",
    f"![a](data:image/svg+xml;base64,{SVG_B64})",
    "![a](https://evil.example/track.gif)",
]

HTML = [
    "<script>window.__pwned()</script>",
    "<SCRIPT SRC=http://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<script>console.error('PWNED')</script>",
    "<img src=x onerror=alert(1)>",
    "<img src=x onerror=prompt(1)>",
    '<IMG SRC="javascript:alert(1)">',
    "<div>\n<img src=x onerror=\"window.__pwned()\">\n</div>",
    "<svg onload=alert(1)>",
    "<svg/onload=window.__pwned()>",
    "<svg><script>window.__pwned()</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="0" y="20">x</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    '<math><a xlink:href="javascript:alert(1)">x</a></math>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>parent.__pwned()</script>"></iframe>',
    "<style>@import 'http://evil.example/x.css';</style>",
    "<style>*{background:url(javascript:alert(1))}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<form><button formaction="javascript:alert(1)">x</button></form>',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=window.__pwned()>",
    '<base href="javascript:alert(1)//">',
    '<base href="http://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=http://evil.example/">',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<link rel=stylesheet href="http://evil.example/x.css">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href=" &#14; javascript:alert(1)">x</a>',
    '<a href="http://example.com/" onmouseover="alert(1)">x</a>',
    '<a href="https://example.com/" target="_blank">tab</a>',
    '<a href="https://example.com/" style="position:fixed;inset:0">overlay</a>',
    "<p onclick=alert(1)>x</p>",
    "<ol start=1 onclick=alert(1)><li>x</li></ol>",
    "<body onload=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<!--<img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<?xml-stylesheet href="javascript:alert(1)"?>',
    "<template><script>alert(1)</script></template>",
    "<isindex action=javascript:alert(1) type=image>",
    "<x-widget onclick=alert(1)>x</x-widget>",
    "<textarea></textarea><script>alert(1)</script>",
    "<title></title><script>alert(1)</script>",
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
    "    <script>alert(1)</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "\\<script>alert(1)\\</script>",
    "<scr\x00ipt>alert(1)</script>",
]

ATTR = [
    '[x](https://example.com/){: onclick="window.__pwned()"}',
    "*x*{: onmouseover=alert(1)}",
    "A paragraph\n{: onclick=alert(1) }",
    "# Heading {: #h onclick=alert(1) }",
    "# Heading {#h .c onclick=alert(1)}",
    '{: .c style="background:red" }\nx',
    '<div markdown="1" onclick="window.__pwned()">*x*</div>',
    "<div markdown=1>\n[x](javascript:alert(1))\n</div>",
    '<span markdown="span" onmouseover=alert(1)>x</span>',
    '[x](https://example.com/ "a\\" onmouseover=\\"alert(1)")',
    '[x](https://example.com/ "a" onmouseover="alert(1)")',
    "[x](https://example.com/ 'a' onmouseover='alert(1)')",
    "[x](https://example.com/ 'a\\' onfocus=\\'alert(1)')",
    '[x](https://example.com/ (a" onmouseover="alert(1)))',
    '[x](https://example.com/ "&quot; onmouseover=&quot;alert(1)")',
    '[x](https://example.com/ "&#34; autofocus onfocus=&#34;alert(1)")',
    '[x](https://example.com/ "`><img src=x onerror=alert(1)>")',
    '[x][r]\n\n[r]: https://example.com/ "a\\" onclick=\\"alert(1)"',
    '[x](https://example.com/" onmouseover="alert(1))',
    '[x](<https://example.com/" onmouseover="alert(1)>)',
    '[x](https://example.com/"onmouseover="alert(1))',
    "[x](https://example.com/'onmouseover='alert(1))",
    '[x](https://example.com/&quot;onmouseover=&quot;alert(1))',
    '<https://example.com/"onmouseover="alert(1)>',
    '![x" onerror="alert(1)](https://example.com/x.png)',
    '```js" onclick="alert(1)\ncode\n```',
    '```"><script>alert(1)</script>\ncode\n```',
    "~~~ {: onclick=alert(1)}\ncode\n~~~",
    "1. x\n{: start=1 onclick=alert(1) }",
]

RLO, RLI, LRE, PDF, PDI = "\u202e", "\u2067", "\u202a", "\u202c", "\u2069"
UNICODE = [
    Attack("unicode", "body", f"Harmless {RLO}txt.exe and more text", note="RTL override in the body"),
    Attack("unicode", "author", f"{RLO}nimda", note="RTL override makes 'admin'"),
    Attack("unicode", "author", f"Ann {RLI}unclosed isolate", note="unterminated isolate"),
    Attack("unicode", "author", f"Bob{RLO}", note="override left open at the end of the name"),
    Attack("unicode", "body", f"{LRE}{RLO}{PDF} mixed {RLI}{PDI} embeddings {RLO}", note="every bidi control"),
    Attack("unicode", "body", f"[{RLO}moc.elpmaxe](https://evil.example/)", note="spoofed link text"),
    Attack("unicode", "body", "Trojan `code /*\u202e } \u2066if (isAdmin)\u2069 \u2066 begin admins only */`"),
    Attack("unicode", "author", "Ad\u200bmin", note="zero-width space"),
    Attack("unicode", "author", "A\u200dd\u200cm\u2060in\ufeff", note="ZWJ, ZWNJ, word joiner, ZWNBSP"),
    Attack("unicode", "body", "[a](java\u200bscript:alert(1)) [b](\u200bjavascript:alert(1))"),
    Attack("unicode", "body", "<scr\u200bipt>alert(1)</scr\u200bipt>"),
    Attack("unicode", "body", "line\u2028separator and paragraph\u2029separator"),
    Attack("unicode", "author", "Ann\u2028Bob", refused=True, note="line separator in a name"),
    Attack("unicode", "body", "Z" + "\u0301" * 5_000, note="5,000 combining marks"),
    Attack("unicode", "body", "Z" + "\u0336\u0489" * 4_999, note="9,998 combining marks, at the cap"),
    Attack("unicode", "author", "Z" + "\u0336" * 79, note="80-character combining flood"),
    Attack("unicode", "author", "Z" + "\u0336" * 500, refused=True, note="over the name cap"),
    Attack("unicode", "body", "a\ud800b", refused=True, note="lone high surrogate as a YAML escape"),
    Attack("unicode", "author", "\udfffAnn", refused=True, note="lone low surrogate"),
    Attack("unicode", "body", "\ud83d\ude00 as two escapes", refused=True, note="surrogate pair escapes"),
    Attack("unicode", "website", "https://example.com/\ud800", refused=True),
    Attack("unicode", "body", "noncharacter \uffff here", refused=True, note="not an XML character"),
    Attack("unicode", "author", "Non\ufffechar", refused=True, note="not an XML character"),
    Attack("unicode", "body", "C1 controls \x85 \x9b in a body"),
    Attack("unicode", "author", "C1\x9b31m", refused=True),
    Attack("unicode", "body", "tag characters \U000e0041\U000e0042 smuggled", note="invisible TAG block"),
    Attack("unicode", "author", "\U0001f600 Smiley", note="outside the BMP"),
    Attack("unicode", "body", "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e", note="fullwidth brackets"),
    Attack("unicode", "body", "[a](\uff4aavascript:alert(1)) [b](java\u00a0script:alert(1))"),
    Attack("unicode", "body", "[a](\u3000javascript:alert(1)) <\u2028javascript:alert(1)>"),
    Attack("unicode", "website", f"https://example.com/{RLO}gpj.exe", note="bidi in a URL path"),
    Attack("unicode", "body", "\ufe0f" * 9_000 + "x", note="variation-selector flood"),
]

FIELD = [
    Attack("field", "author", "<script>window.__pwned()</script>"),
    Attack("field", "author", '"><img src=x onerror=alert(1)>', note="leaves data-reply-name"),
    Attack("field", "author", "' onmouseover='alert(1)"),
    Attack("field", "author", "</bdi></span><script>alert(1)</script>"),
    Attack("field", "author", "</script><script>window.__pwned()</script>", note="leaves the JSON-LD"),
    Attack("field", "author", "<!-- x", note="opens a comment"),
    Attack("field", "author", "]]><x>", note="CDATA end in the feed"),
    Attack("field", "author", "{{ 7*7 }} {% raw %}", note="template syntax stays text"),
    Attack("field", "author", "${alert(1)} #{alert(1)}"),
    Attack("field", "author", "&lt;b&gt;&amp;", note="pre-escaped text is not decoded"),
    Attack("field", "author", "javascript:alert(1)"),
    Attack("field", "author", "A" * 80),
    Attack("field", "author", "A" * 81, refused=True),
    Attack("field", "author", "   ", refused=True),
    Attack("field", "author", "Ann\nBcc: eve@example.com", refused=True),
    Attack("field", "author", "\tAnn", refused=True),
    Attack("field", "author", "Ann\x1b[31m", refused=True),
    Attack("field", "website", "javascript:alert(1)", refused=True),
    Attack("field", "website", "JavaScript:alert(1)", refused=True),
    Attack("field", "website", "vbscript:msgbox(1)", refused=True),
    Attack("field", "website", "data:text/html,<script>alert(1)</script>", refused=True),
    Attack("field", "website", 'https://x/" onmouseover="alert(1)', refused=True),
    Attack("field", "website", 'https://x/"onmouseover="alert(1)'),
    Attack("field", "website", "https://x/'onmouseover='alert(1)"),
    Attack("field", "website", "https://example.com/<script>"),
    Attack("field", "website", 'https://example.com/"><script>window.__pwned()</script>'),
    Attack("field", "website", "https://example.com/#\"><svg/onload=alert(1)>"),
    Attack("field", "website", "https://example.com/?q={{7*7}}&x=${1}"),
    Attack("field", "website", " https://example.com/", refused=True),
    Attack("field", "website", "https://example.com/\tx", refused=True),
    Attack("field", "website", "//evil.example/", refused=True),
    Attack("field", "website", "https:javascript:alert(1)", refused=True),
    Attack("field", "website", "https:///nohost", refused=True),
    Attack("field", "website", "http://javascript:alert(1)", note="an http URL whose host is 'javascript'"),
    Attack("field", "website", "HTTPS://EXAMPLE.COM/"),
    Attack("field", "website", "https://example.com/" + "a" * 234),
    Attack("field", "website", "https://example.com/" + "a" * 235, refused=True),
    Attack("field", "website", "https://ex ample.com/", refused=True),
    Attack("field", "website", "ftp://example.com/", refused=True),
]


def _body_attacks(klass: str, bodies: list[str]) -> list[Attack]:
    """Body attacks; those with characters the loader refuses are marked refused."""
    bad = {chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]}
    return [Attack(klass, "body", body, refused=any(ch in bad for ch in body)) for body in bodies]


ATTACKS: list[Attack] = [
    *_body_attacks("link", LINK),
    *_body_attacks("html", HTML),
    *_body_attacks("attr", ATTR),
    *UNICODE,
    *FIELD,
]


def attack_ids() -> list[tuple[str, Attack]]:
    """Every attack with its comment id, x-<class>-<n> (numbered from 1 within its class)."""
    seen: Counter[str] = Counter()
    result = []
    for attack in ATTACKS:
        seen[attack.klass] += 1
        result.append((f"x-{attack.klass}-{seen[attack.klass]}", attack))
    return result


# ---------------------------------------------------------------- broken and hostile files

GOOD = 'author: "Case"\ndate: "2020-02-01T09:00:00"\nstatus: approved\nbody: |\n  A good comment.\n'
"""A valid file: author on line 1, date 2, status 3, body 4-5."""


def _good(**changes: str) -> str:
    """GOOD with some lines replaced (`author='author: x'`) or, for new keys, appended."""
    lines = {"author": 'author: "Case"', "date": 'date: "2020-02-01T09:00:00"', "status": "status: approved",
             "body": "body: |\n  A good comment."}
    extra = []
    for key, line in changes.items():
        if key in lines:
            lines[key] = line
        else:
            extra.append(line)
    return "\n".join([*lines.values(), *extra]) + "\n"


BILLION_LAUGHS = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(f"{chr(98 + n)}: &{chr(98 + n)} [{','.join(['*' + chr(97 + n)] * 9)}]\n" for n in range(8))
    + GOOD
)

BAD_FILES: list[BadFile] = [
    # invalid YAML
    BadFile("yaml-unclosed-flow", _good(reply_to="reply_to: [unclosed").encode(), "invalid YAML", 7),
    BadFile("yaml-unclosed-quote", b'author: "Case\ndate: x\n', "never closed", 1),
    BadFile("yaml-tab-indent", _good(body="body:\n\t- x").encode(), "indented with a tab", 5),
    BadFile("yaml-bad-indent", b"author: Case\n  date: x\n", "invalid YAML", 2),
    BadFile("yaml-colon-in-plain", _good(author="author: a: b").encode(), "invalid YAML", 1),
    BadFile("yaml-stray-bracket", _good(author="author: ]x").encode(), "invalid YAML", 1),
    BadFile("yaml-deep-flow", ("author: " + "[" * 100_000).encode(), "nested more than", 1),
    BadFile("yaml-deep-closed", ("author: " + "[" * 50_000 + "]" * 50_000 + "\n").encode(), "nested more than", 1),
    BadFile("yaml-deep-block", ("author:\n" + "- " * 50_000 + "x\n").encode(), "nested more than", 2),
    BadFile("yaml-deep-flow-map", ("author: " + "{a: " * 30_000).encode(), "nested more than", 1),
    # aliases and tags
    BadFile("alias-billion-laughs", BILLION_LAUGHS.encode(), "anchors and aliases", 1),
    BadFile("alias-simple", _good(moderator="moderator: *a").replace('author: "Case"', "author: &a Case").encode(),
            "anchors and aliases", 1),
    BadFile("alias-merge-key", ("base: &b {author: x}\n<<: *b\n" + GOOD).encode(), "anchors and aliases", 1),
    BadFile("tag-python-object-apply", b'author: !!python/object/apply:os.system ["exit 3"]\n', "YAML tags", 1),
    BadFile("tag-python-name", _good(body="body: !!python/name:os.system").encode(), "YAML tags", 4),
    BadFile("tag-python-module", b"author: !!python/module:os\n", "YAML tags", 1),
    BadFile("tag-python-verbatim", b"author: !<tag:yaml.org,2002:python/object/new:os.system> [x]\n", "YAML tags", 1),
    BadFile("tag-directive", b"%TAG !p! tag:yaml.org,2002:python/\n---\nauthor: !p!object:os.system x\n", "YAML tags", 3),
    BadFile("tag-binary", _good(body="body: !!binary aGk=").encode(), "YAML tags", 4),
    BadFile("tag-set", _good(author="author: !!set {a, b}").encode(), "YAML tags", 1),
    BadFile("tag-local", _good(status="status: !approved approved").encode(), "YAML tags", 3),
    # duplicate keys
    BadFile("dup-status", _good(status="status: pending", dup="status: approved").encode(), "appears twice", 6),
    BadFile("dup-quoted-key", _good(dup='"author": Eve').encode(), "appears twice (first on line 1)", 6),
    BadFile("dup-body", _good(dup="body: second").encode(), "appears twice", 6),
    # encodings
    BadFile("bom-utf16", GOOD.encode("utf-16"), "not valid UTF-8", 1),
    BadFile("utf16-no-bom", GOOD.encode("utf-16-le"), "character #x0000", 1),
    BadFile("utf32", GOOD.encode("utf-32"), "not valid UTF-8", 1),
    BadFile("invalid-utf8", GOOD.encode().replace(b"A good", b"A \xff good"), "not valid UTF-8", 5),
    BadFile("overlong-utf8", GOOD.encode().replace(b"Case", b"Ca\xc0\xafse"), "not valid UTF-8", 1),
    BadFile("surrogate-utf8", GOOD.encode().replace(b"good", b"go\xed\xa0\x80od"), "not valid UTF-8", 5),
    BadFile("truncated-utf8", GOOD.encode() + b"# \xe2\x82", "not valid UTF-8", 6),
    BadFile("latin1", GOOD.replace("Case", "Cas\u00e9").encode("latin-1"), "not valid UTF-8", 1),
    BadFile("raw-nul", GOOD.replace("A good", "A \x00 good").encode(), "character #x0000", 5),
    BadFile("raw-escape-char", GOOD.replace("Case", "Ca\x1bse").encode(), "character #x001b", 1),
    BadFile("raw-noncharacter", GOOD.replace("good", "go\uffffod").encode(), "character #xffff", 5),
    # empty, several documents, too large
    BadFile("empty", b"", "file is empty", None),
    BadFile("whitespace-only", b"  \n\t\n", "file is empty", None),
    BadFile("comment-only", b"# yaml-language-server: $schema=x\n# nothing else\n", "file is empty", None),
    BadFile("document-marker-only", b"---\n", "must be a mapping", 2),
    BadFile("null-document", b"~\n", "must be a mapping", 1),
    BadFile("multi-document", (GOOD + "---\n" + GOOD).encode(), "more than one YAML document", 6),
    BadFile("multi-document-end-marker", (GOOD + "...\n---\n" + GOOD).encode(), "more than one YAML document", 7),
    BadFile("ten-megabytes", (GOOD.replace("A good comment.", "x" * (10 * 1024 * 1024))).encode(), "too large", None),
    BadFile("ten-megabytes-brackets", b"[" * (10 * 1024 * 1024), "too large", None),
    BadFile("just-over-128k", (GOOD + "#" * (128 * 1024 - len(GOOD) + 1)).encode(), "too large", None),
    BadFile("two-thousand-keys", (GOOD + "".join(f"k{n}: v\n" for n in range(2_000))).encode(), "unknown field", 6),
    # wrong types and shapes
    BadFile("author-list", _good(author="author: [Ann, Bob]").encode(), "'author' must be text", 1),
    BadFile("author-mapping", _good(author="author: {first: Ann}").encode(), "'author' must be text", 1),
    BadFile("body-list", _good(body="body:\n  - a\n  - b").encode(), "'body' must be text", 4),
    BadFile("status-mapping", _good(status="status: {approved: true}").encode(), "'status' must be one of", 3),
    BadFile("date-list", _good(date="date: [2020, 2, 1]").encode(), "'date' must be text", 2),
    BadFile("reply-to-list", _good(reply_to="reply_to: [a1]").encode(), "'reply_to' must be text", 6),
    BadFile("top-level-list", b"- author: Case\n- body: x\n", "must be a mapping", 1),
    BadFile("top-level-text", b"just some text\n", "must be a mapping", 1),
    BadFile("top-level-block", b"|\n  author: Case\n", "must be a mapping", 1),
    BadFile("key-is-a-list", ("[a, b]: x\n" + GOOD).encode(), "field names must be plain words", 1),
    BadFile("key-is-complex", ("? {a: b}\n: x\n" + GOOD).encode(), "field names must be plain words", 1),
    # unknown fields
    BadFile("unknown-typo", _good(status="stauts: approved").encode(), "did you mean 'status'", 3),
    BadFile("unknown-email", _good(email="email: eve@example.com").encode(), "unknown field 'email'", 6),
    BadFile("unknown-ip", _good(ip="ip: 203.0.113.9").encode(), "unknown field 'ip'", 6),
    BadFile("unknown-html", _good(html="html: <script>alert(1)</script>").encode(), "unknown field 'html'", 6),
    BadFile("unknown-published", _good(published="published: true").encode(), "unknown field 'published'", 6),
    # bad values
    BadFile("status-capitalised", _good(status="status: Approved").encode(), "did you mean 'approved'", 3),
    BadFile("status-trailing-space", _good(status='status: "approved "').encode(), "'approved␠', ␠ marking a stray space at the end", 3),
    BadFile("role-admin", _good(role="role: admin").encode(), "'role' must be one of", 6),
    BadFile("author-too-long", _good(author=f'author: "{"x" * 81}"').encode(), "longer than 80", 1),
    BadFile("body-too-long", _good(body=f"body: {'x' * 10_001}").encode(), "longer than 10,000", 4),
    BadFile("note-too-long", _good(note=f"note: {'x' * 2_001}").encode(), "longer than 2,000", 6),
    BadFile("escaped-nul", _good(body='body: "a\\u0000b"').encode(), "control characters", 4),
    BadFile("escaped-surrogate", _good(author='author: "\\ud800"').encode(), "invalid Unicode character escape", 1),
    BadFile("escaped-noncharacter", _good(author='author: "x\\uffff"').encode(), "control characters", 1),
    # bad dates
    BadFile("date-feb-30", _good(date='date: "2010-02-30T09:00:00"').encode(), "not a real date-time", 2),
    BadFile("date-words", _good(date="date: yesterday").encode(), "'date' is not valid", 2),
    BadFile("date-hour-25", _good(date='date: "2010-06-02T25:00:00"').encode(), "not a real date-time", 2),
    BadFile("date-offset-99", _good(date='date: "2010-06-02T09:15:00+99:99"').encode(), "not a real date-time", 2),
    BadFile("date-overflows-utc", _good(date='date: "9999-12-31T23:59:59-23:59"').encode(), "not a real date-time", 2),
    BadFile("date-underflows-utc", _good(date='date: "0001-01-01T00:00:00+14:00"').encode(), "not a real date-time", 2),
    BadFile("date-only", _good(date='date: "2010-06-02"').encode(), "'date' is not valid", 2),
    BadFile("date-empty", _good(date='date: ""').encode(), "'date' is not valid", 2),
    BadFile("date-null", _good(date="date:").encode(), "'date' must be text", 2),
    # ids and paths
    BadFile("reply-to-parent-dir", _good(reply_to="reply_to: ../alpha/a1").encode(), "'reply_to' is not valid", 6),
    BadFile("reply-to-dots", _good(reply_to='reply_to: ".."').encode(), "'reply_to' is not valid", 6),
    BadFile("reply-to-absolute", _good(reply_to="reply_to: /etc/passwd").encode(), "'reply_to' is not valid", 6),
    BadFile("reply-to-encoded", _good(reply_to="reply_to: '%2e%2e%2fa1'").encode(), "'reply_to' is not valid", 6),
    BadFile("reply-to-self", _good(reply_to="reply_to: bad-reply-to-self").encode(), "cannot reply to itself", 6),
    BadFile("name-with-spaces", GOOD.encode(), "file name must be a comment id", None, filename="bad name!.yaml"),
    BadFile("name-with-dot", GOOD.encode(), "file name must be a comment id", None, filename="a.b.yaml"),
    BadFile("name-non-ascii", GOOD.encode(), "file name must be a comment id", None, filename="caf\u00e9.yaml"),
    BadFile("name-too-long", GOOD.encode(), "file name must be a comment id", None, filename="n" * 65 + ".yaml"),
    # thread problems: valid files, refused when the article is threaded
    BadFile("reply-to-other-article", _good(reply_to="reply_to: a1").encode(), "no such comment in this article",
            None, thread=True),
    BadFile("reply-to-missing", _good(reply_to="reply_to: nobody-here").encode(), "no such comment in this article",
            None, thread=True),
]

ODD_NAMES = ["NO", "yes", "012", "Off", "0x1F", "1e3", ".inf", "2010-06-02", "null!", "~Ann", "True"]
"""Names YAML 1.1 would read as booleans, numbers or dates; each is published exactly as written."""

ODD_FILES: list[tuple[str, bytes]] = [
    ("crlf-line-ends", GOOD.replace("\n", "\r\n").encode()),
    ("cr-line-ends", GOOD.replace("\n", "\r").encode()),
    ("document-markers", ("---\n" + GOOD + "...\n").encode()),
    ("yaml-directive", ("%YAML 1.2\n---\n" + GOOD).encode()),
    ("empty-values-are-absent", _good(reply_to="reply_to:", website="website: ~", note="note: null").encode()),
    ("comments-everywhere", GOOD.replace("\n", "  # remark\n", 3).encode()),
    ("quoted-keys", GOOD.replace("author:", '"author":').replace("status:", "'status':").encode()),
    ("plain-str-tag", GOOD.replace('"Case"', "!!str Case").encode()),
    ("unquoted-timestamp", GOOD.replace('"2020-02-01T09:00:00"', "2020-02-01 09:00:00").encode()),
    # YAML allows a byte-order mark at the start, and Windows Notepad writes one.
    ("utf8-byte-order-mark", b"\xef\xbb\xbf" + GOOD.encode()),
]
"""Unusual but valid files; each must publish with author 'Case'."""


# ---------------------------------------------------------------- pathological Markdown


def _fill(unit: str, prefix: str = "", suffix: str = "") -> str:
    """`unit` repeated to fill the body cap around `prefix` and `suffix`."""
    room = MAX_BODY - len(prefix) - len(suffix)
    return prefix + unit * (room // len(unit)) + suffix


PATHOLOGICAL: list[Pathological] = [
    Pathological("run of 10,000 [", "[" * 10_000),
    Pathological("8,000 inline links", "[a](http://b)" * 8_000),
    Pathological("8,000 autolinks", "<http://a>" * 8_000),
    Pathological("8,000 reference links", "[a]" * 8_000 + "\n\n[a]: http://x\n"),
    Pathological("links up to the cap", _fill("[a](http://b) ")),
    Pathological("autolinks up to the cap", _fill("<http://a>")),
    Pathological("1,000 nested block quotes", "> " * 1_000 + "x"),
    Pathological("1,000 block quotes, one per line", "\n".join(">" * n + " x" for n in range(1, 1_001))),
    Pathological("1,000 nested list markers", "- " * 1_000 + "x"),
    Pathological("1,000 indented list levels", "".join("  " * n + "- x\n" for n in range(1_000))),
    Pathological("1,000 nested ordered lists", "1. " * 1_000 + "x"),
    Pathological("1,000 nested emphasis", "*" * 1_000 + "x" + "*" * 1_000),
    Pathological("1,000 nested strong and emphasis", "*a **a " * 1_000 + "b" + " a** a*" * 1_000),
    Pathological("1,000 nested links", "[" * 1_000 + "a](http://x)" + ")" * 1_000),
    Pathological("1,000 nested quote-list mixes", "> - " * 1_000 + "x"),
    Pathological("nested brackets to the cap", "[" * 4_999 + "a" + "]" * 4_999),
    Pathological("emphasis closers without openers", _fill("a**")),
    Pathological("emphasis openers without closers", _fill("**a")),
    Pathological("link closers without openers", _fill("a]")),
    Pathological("link openers without closers", _fill("[a")),
    Pathological("mismatched openers and closers", _fill("*a_ ")),
    Pathological("openers and closers, multiple of 3", "a**b" + _fill("c* ", suffix="")[4:]),
    Pathological("link openers and emphasis closers", _fill("[ a_")),
    Pathological("unclosed links A", _fill("[a](<b")),
    Pathological("unclosed links B", _fill("[a](b")),
    Pathological("unclosed parentheses", "[a](" + "(" * (MAX_BODY - 4)),
    Pathological("backtick runs of every length", "".join("e" + "`" * n for n in range(140))),
    Pathological("many reference definitions", _fill("[a]: u\n")),
    Pathological("ampersands", _fill("&")),
    Pathological("entity starts", _fill("&#")),
    Pathological("backslashes", _fill("\\")),
    Pathological("image openers", _fill("![")),
    Pathological("star-bracket", _fill("*[")),
    Pathological("underscore-bracket-paren", _fill("_[x](")),
    Pathological("bracket newlines", _fill("[\n")),
    Pathological("emphasis newlines", _fill("*\n")),
    Pathological("html-like starts", _fill("<a ")),
    Pathological("autolink-like starts", _fill("<a:")),
    Pathological("open titles", _fill('[a](http://x "')),
    Pathological("setext underlines", _fill("a\n=\n")),
    Pathological("fences", _fill("```\n")),
    Pathological("lazy continuation", _fill(">a\n")),
    Pathological("table pipes", _fill("|a")),
    Pathological("tabs", _fill("-\t")),
]


def counts() -> dict[str, int]:
    """The number of cases in each class."""
    result: Counter[str] = Counter(a.klass for a in ATTACKS)
    result["files"] = len(BAD_FILES) + len(ODD_NAMES) + len(ODD_FILES)
    result["markdown"] = len(PATHOLOGICAL)
    return {key: result[key] for key in CLASSES}


def summary() -> str:
    """The count of cases by class, one line each, with how many the loader refuses and the total."""
    table = counts()
    refused = Counter(a.klass for a in ATTACKS if a.refused)
    refused["files"] = len(BAD_FILES)
    refused["markdown"] = sum(len(case.text) > MAX_BODY for case in PATHOLOGICAL)
    width = max(len(CLASSES[key].title) for key in table)
    lines = [f"{'class':<{width}}  cases  refused  accepted"]
    for key, n in table.items():
        lines.append(f"{CLASSES[key].title:<{width}}  {n:>5}  {refused[key]:>7}  {n - refused[key]:>8}")
    total = sum(table.values())
    lines.append(f"{'Total':<{width}}  {total:>5}  {sum(refused.values()):>7}  {total - sum(refused.values()):>8}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary())
