"""`python -m pelican.plugins.reader_comments.moderation`: the moderation command line."""

from .cli import main

raise SystemExit(main())
