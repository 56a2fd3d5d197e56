"""`python -m pelican.plugins.reader_comments.intake`: the intake service."""

from .cli import main

raise SystemExit(main())
