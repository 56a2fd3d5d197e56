"""Development settings for the etiquette guide. `publishconf.py` builds on these."""

import os

AUTHOR = "Diane Schwartz"
SITENAME = "The Gracious Guide"
SITESUBTITLE = "Modern manners for work, table and inbox"
SITEURL = ""
# The picture search engines and link previews show for a post without one of its own (lead_image plugin).
SITE_IMAGE = "images/gracious-guide.png"
SITE_DESCRIPTION = (
    "An etiquette guide for the way we live now: thank-you notes, e-mail, "
    "dinners, interviews and the office, with readers' discussions."
)

PATH = "content"
ARTICLE_PATHS = ["posts"]
PAGE_PATHS = ["pages"]
# content/comments holds reader comments as data files; it is never read as content.
ARTICLE_EXCLUDES = ["comments"]
PAGE_EXCLUDES = ["comments"]
# content/extra holds files served from the site's root: robots.txt and the icons.
STATIC_PATHS = ["images", "extra"]
EXTRA_PATH_METADATA = {
    "extra/robots.txt": {"path": "robots.txt"},
    "extra/favicon.ico": {"path": "favicon.ico"},
    "extra/favicon.svg": {"path": "favicon.svg"},
}

TIMEZONE = "America/New_York"
DEFAULT_LANG = "en"
DEFAULT_DATE_FORMAT = "%B %-d, %Y"

THEME = "theme"
TYPOGRIFY = True
TYPOGRIFY_DASHES = "oldschool"

MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.extra": {},
        "markdown.extensions.codehilite": {"css_class": "highlight", "guess_lang": False},
        "markdown.extensions.toc": {"permalink": False},
        "markdown.extensions.meta": {},
    },
    "output_format": "html5",
}

ARTICLE_URL = "{date:%Y}/{slug}/"
ARTICLE_SAVE_AS = "{date:%Y}/{slug}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
CATEGORY_URL = "category/{slug}/"
CATEGORY_SAVE_AS = "category/{slug}/index.html"
TAG_URL = "tag/{slug}/"
TAG_SAVE_AS = "tag/{slug}/index.html"
AUTHOR_URL = "author/{slug}/"
AUTHOR_SAVE_AS = "author/{slug}/index.html"
ARCHIVES_SAVE_AS = "archives/index.html"
CATEGORIES_SAVE_AS = "categories/index.html"
TAGS_SAVE_AS = "tags/index.html"
AUTHORS_SAVE_AS = "authors/index.html"
YEAR_ARCHIVE_SAVE_AS = "{date:%Y}/index.html"
YEAR_ARCHIVE_URL = "{date:%Y}/"
MONTH_ARCHIVE_SAVE_AS = "{date:%Y}/{date:%m}/index.html"
MONTH_ARCHIVE_URL = "{date:%Y}/{date:%m}/"
INDEX_SAVE_AS = "index.html"

DEFAULT_PAGINATION = 4
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)

# Feeds: Atom for every post and for each category, written by publishconf.py
# (feeds need the absolute SITEURL, which a development build does not have).
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
FEED_ALL_RSS = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
FEED_MAX_ITEMS = 20
RSS_FEED_SUMMARY_ONLY = False

# reader_comments is installed as a package (pyproject.toml); `make venv` installs it.
# log_lines, site_typography, atom_feeds, lead_image, sitemap_dates and post_checks are this site's own plugins,
# read from plugins/ beside this file.
PLUGIN_PATHS = ["plugins"]
PLUGINS = ["log_lines", "site_typography", "atom_feeds", "lead_image", "sitemap_dates", "pelican.plugins.reader_comments", "post_checks"]
# Front matter fields of this site's own, besides Pelican's (post_checks flags likely typos of any).
POST_CHECKS_EXTRA_FIELDS = ["Comments"]

# Read by sitemap_dates, which runs pelican-sitemap with each page dated by its content and comments.
SITEMAP = {
    "format": "xml",
    # The comment service's page templates (theme/templates/intake_*.html) are not pages to index.
    "exclude": [r"^comments-intake/"],
    "priorities": {"articles": 0.8, "indexes": 0.5, "pages": 0.6},
    "changefreqs": {"articles": "monthly", "indexes": "daily", "pages": "monthly"},
}

# Reader comments: see plugins/reader_comments/README.md for every setting.
COMMENTS_PATH = "comments"
COMMENTS_CLOSE_AFTER_DAYS = None
COMMENTS_MAX_INDENT = 4
COMMENTS_STRICT = False
# Where the comment form posts; `make inbox` serves it. Unset it to show no form.
# The Makefile passes INBOX_HOST and INBOX_PORT to both the build and `make inbox`, so they agree.
COMMENTS_SUBMIT_URL = "http://{}:{}/comments".format(
    os.environ.get("INBOX_HOST", "127.0.0.1"), os.environ.get("INBOX_PORT", "8008")
)
COMMENTS_CONTACT_EMAIL = "letters@gracious-guide.example"

DIRECT_TEMPLATES = ["index", "categories", "authors", "archives", "tags"]


def plural(count: int, noun: str, plural_noun: str = "") -> str:
    """`noun` in the number `count` asks for: {{ n|plural("article") }} gives "article" or "articles"."""
    return noun if count == 1 else plural_noun or f"{noun}s"


JINJA_FILTERS = {"plural": plural}
LOAD_CONTENT_CACHE = False
RELATIVE_URLS = True
DISPLAY_PAGES_ON_MENU = True
DISPLAY_CATEGORIES_ON_MENU = False
