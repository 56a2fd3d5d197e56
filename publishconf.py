"""Production settings: the development settings plus absolute URLs and strict comments."""

import os
import sys

sys.path.append(os.curdir)
from pelicanconf import *  # noqa: E402,F403

SITEURL = os.environ.get("SITEURL", "https://gracious-guide.example")
RELATIVE_URLS = False
DELETE_OUTPUT_DIRECTORY = True

# A broken comment file fails the published build instead of being skipped.
COMMENTS_STRICT = True
COMMENTS_SUBMIT_URL = os.environ.get("COMMENTS_SUBMIT_URL", "https://gracious-guide.example/inbox/comments")
