"""`python -m pelican.plugins.reader_comments.importers`: the import and export commands."""

from .cli import main

raise SystemExit(main())
