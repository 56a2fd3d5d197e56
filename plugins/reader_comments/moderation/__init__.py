"""Moderation commands: the queue, approve / reject / spam, and a fast check.

Run from the site's root folder (the Makefile wraps each command)::

    reader-comments queue
    reader-comments approve <article-slug>/<comment-id> [...]
    reader-comments reject  <article-slug>/<comment-id> [...]
    reader-comments spam    <article-slug>/<comment-id> [...]
    reader-comments check

(`python -m pelican.plugins.reader_comments.moderation` is the same command.)

Every file is read with the plugin's own loader and validator (`comment_format`).
A status change edits only the values on the lines the loader points at, reads
the result back through the same loader to prove nothing else moved, and
replaces the file atomically (`comment_format.edit`).

Inside a git repository, approve / reject / spam then print the `git commit`
command that records the decision (only the changed files); with `--commit`
they run it themselves (`edit.record_decision`).

Exit status: 0 on success; 1 when `check` finds problems or a write fails;
2 for a usage error, an unknown id or an invalid file (then no file is touched).
"""
