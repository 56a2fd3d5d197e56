"""The survey of every comment file, thread and article, and the `check` command that reports it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .. import comment_format
from ..comment_format import PUBLISHED, Tree
from ..errors import Problem
from ..names import display_name, resembles, same_name, visible
from ..render import cost_problems
from ..settings import options_of
from ..site_model import Article, Site, find_articles
from ..threads import build


@dataclass(slots=True)
class Survey:
    """Everything the queue and the check report: comments, articles and problems."""

    tree: Tree
    articles: dict[str, Article]
    problems: list[Problem]
    files: int

    def count_by_status(self) -> Counter[str]:
        """How many valid comments are in each status."""
        return Counter(c.status for c in self.tree.comments())

    @property
    def invalid_files(self) -> int:
        """How many comment files could not be read."""
        return len({p.path for p in self.tree.problems})


def misplaced_files(folder: Path) -> Iterator[Problem]:
    """Comment-like files the build never reads: outside an article folder, or with an odd extension."""
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if path.suffix.lower() not in comment_format.EXTENSIONS or any(p.startswith(".") for p in parts):
            continue
        if not path.is_file():
            continue
        if len(parts) != 2:
            yield Problem(path, "never read: a comment file belongs in <comments folder>/<article-slug>/")
        elif path.suffix not in comment_format.EXTENSIONS:
            yield Problem(path, "never read: the extension must be .yaml or .yml in lowercase")


def survey(site: Site) -> Survey:
    """Load and check every comment file, its thread and its article, without building the site."""
    files = list(comment_format.comment_files(site.comments))
    tree = comment_format.load_tree(site.comments, site.tz, files)
    articles, problems = find_articles(site)
    problems = [*tree.problems, *problems, *misplaced_files(site.comments)]
    problems.extend(
        Problem(c.path, message) for c in tree.comments() if c.status in ("pending", PUBLISHED) for message in cost_problems(c.body)
    )
    for slug, comments in sorted(tree.by_article.items()):
        if slug not in articles:
            problems.append(Problem(site.comments / slug, f"no article has the slug {slug!r}; these comments are never shown"))
        problems.extend(build(comments).problems)
    return Survey(tree, articles, problems, len(files))


def look_alikes(result: Survey, site: Site) -> list[str]:
    """Warnings for names that could pass for the article's author or a moderator, naming the real name.

    Comments a moderator gave a role (the badge) are left alone.
    """
    moderators = [str(name) for name in options_of(site.settings).moderators]
    warnings = []
    for comment in result.tree.comments():
        if comment.role:
            continue
        article = result.articles.get(comment.article)
        authors = list(article.authors) if article else []
        real = resembles(comment.author, [*authors, *moderators])
        if real is not None:
            who = "the article's author" if real in authors else "a moderator"
            how = "is the same name as" if same_name(comment.author, real) else "resembles"
            warnings.append(
                f"{comment.path}: warning: the name {visible(display_name(comment.author))!r} {how} {real!r} "
                f"({who}); only a moderator's `role:` gives the badge"
            )
    return warnings
