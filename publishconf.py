"""Production settings: the development settings plus absolute URLs and strict comments."""

import os
import sys

sys.path.append(os.curdir)
from pelicanconf import *  # noqa: E402,F403

SITEURL = os.environ.get("SITEURL", "https://gracious-guide.example")
RELATIVE_URLS = False
DELETE_OUTPUT_DIRECTORY = True
FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = "feeds/category/{slug}.atom.xml"
# Drafts are previewed in development builds only.
DRAFT_SAVE_AS = ""
DRAFT_URL = ""

# A post with a front matter mistake fails the published build instead of being skipped.
POST_CHECKS_STRICT = True
# A broken comment file fails the published build instead of being skipped.
COMMENTS_STRICT = True
# Flush the comment feeds to disk: the hook switches the live site to this output.
COMMENTS_SYNC_OUTPUT = True
COMMENTS_SUBMIT_URL = os.environ.get("COMMENTS_SUBMIT_URL", "https://gracious-guide.example/inbox/comments")
