"""Importers: comments from WordPress, Disqus, isso, Staticman and pelican-comment-system, and an export.

Each format module reads its source into `source.Export` (threads of comments
with the source's own ids); `plan` matches threads to articles, derives ids and
checks every file with the plugin's own loader; `cli` writes only a valid whole.
"""
