"""Generate a synthetic etiquette blog: articles in varied Markdown and threaded reader comments.

Everything is drawn from a seeded random generator, so a given size always
produces the same site. Comment files are written with the plugin's own
`comment_format.dump()`, so they are exactly what the intake service would write.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pelican.plugins.reader_comments.comment_format import dump

REPO = Path(__file__).resolve().parents[2]

STATUS_MIX = (("approved", 80), ("pending", 10), ("rejected", 5), ("spam", 5))
OFFSET = timezone(timedelta(hours=-5))

CATEGORIES = (
    "Correspondence", "At the Table", "Work and Office", "Weddings", "Travel",
    "Home and Neighbours", "Gifts", "Online Life",
)
TAGS = (
    "thank-you notes", "e-mail", "reply-all", "dinner parties", "hosting", "guests", "tipping",
    "gifts", "regifting", "weddings", "RSVP", "condolences", "video calls", "office life",
    "meetings", "neighbours", "roommates", "travel", "restaurants", "children", "pets",
    "phones", "social media", "invitations", "apologies", "introductions", "names",
    "interviews", "holidays", "birthdays", "shared kitchens", "noise", "punctuality",
    "small talk", "compliments", "complaints", "money", "borrowing", "elevators", "queues",
)
TOPICS = (
    "the thank-you note", "a late RSVP", "the shared office fridge", "splitting the bill",
    "a wedding registry", "the group chat", "a condolence card", "tipping abroad",
    "the out-of-office reply", "a borrowed ladder", "the neighbour's dog", "a video call",
    "a dinner guest who stays too long", "the reply-all storm", "a regifted candle",
    "the open-plan office", "a forgotten birthday", "introductions at a party",
    "the holiday card list", "an apology that came too late", "the last slice of cake",
)
OPENERS = (
    "Every few weeks a reader writes to ask about {topic}.",
    "Few subjects fill my inbox like {topic}.",
    "Last spring a friend told me a story about {topic} that I have not been able to forget.",
    "There is a quiet art to {topic}, and most of us learned it by accident.",
    "If you have ever hesitated over {topic}, you are in good company.",
)
SENTENCES = (
    "The rule is simple, but applying it is not.",
    "Most awkward moments come from trying to be kind in a hurry.",
    "A short note, sent promptly, beats a long one that never leaves the desk.",
    "When in doubt, assume the other person is as uncertain as you are.",
    "Nobody remembers the exact words; everyone remembers how the exchange felt.",
    "It is perfectly acceptable to say that you need a day to think about it.",
    "The host sets the tone, and the guest follows it.",
    "Good manners are mostly about noticing other people.",
    "A polite refusal is still a refusal, and that is fine.",
    "Silence is rarely read the way we intend it.",
    "Being on time is a small courtesy with a large effect.",
    "Gifts carry expectations, and it helps to name them out loud.",
    "Tone is hard to read in writing, so choose your words a little more warmly than you would in person.",
    "Nobody is owed an explanation for a polite no.",
    "The person who sends the invitation decides the dress code, not the guests.",
    "An apology that explains too much starts to sound like an excuse.",
    "Shared spaces work best when everyone leaves them slightly better than they found them.",
    "Ask before you forward anything that was written to you alone.",
    "It is never too late to say thank you, only more awkward.",
    "Children learn these habits by watching, not by being told.",
)
HEADINGS = (
    "Why it matters", "The short answer", "A few exceptions", "What to say", "What not to say",
    "When it goes wrong", "A note on timing", "Three questions to ask yourself", "In practice",
    "The modern version", "For the shy", "What readers told me",
)
TIPS = (
    "Keep it short and specific.", "Mention one detail you genuinely enjoyed.",
    "Send it within a week.", "Use the person's name.", "Offer a concrete next step.",
    "Do not apologise for writing.", "Sign off warmly, but not effusively.",
    "Read it aloud once before sending.", "Leave out the complaints.", "Say it to the right person.",
)
QUOTES = (
    "Manners are a sensitive awareness of the feelings of others.",
    "Courtesy is the one coin you can never have too much of.",
    "Nothing is less important than which fork you use.",
)
FIRST = (
    "Priya", "Tom", "Gwen", "Lena", "Marcus", "Hannah", "Oscar", "Ruth", "Clay", "Marie", "Daniel",
    "Ellie", "Olivia", "Sam", "Raymond", "Ana", "Kenji", "Fatima", "Jonas", "Chloé", "Mateo",
    "Ingrid", "Tariq", "Beatriz", "Wei", "Siobhan", "Dmitri", "Amara", "Lucas", "Noor",
)
LAST = (
    "Raman", "Hollis", "Adair", "Ortiz", "Webb", "Brooks", "Lindqvist", "Abernathy", "Morgan",
    "Kirkland", "Grant", "Okafor", "Tanaka", "Haddad", "Berg", "Silva", "Novak", "Chen", "", "",
)
COMMENT_SENTENCES = (
    "This is exactly what happened at my cousin's wedding last year.",
    "I have to disagree a little here.",
    "Thank you for writing this; I am sending it to my whole team.",
    "My grandmother always said the same thing, almost word for word.",
    "What would you do if the other person never replies?",
    "I tried this last week and it worked better than I expected.",
    "In my office the rule is the opposite, and nobody seems to mind.",
    "Is it still rude if everyone else is doing it?",
    "I think the real problem is that nobody wants to be the first to say something.",
    "We had a long argument about this over dinner.",
    "This made me laugh, because I am guilty of every single one of these.",
    "Where I grew up, you would never do that without asking first.",
    "A handwritten note still feels special to me.",
    "Could you write a follow-up about doing this by text message?",
    "I am not sure the age of the guest changes anything.",
    "Honestly, a quick phone call solves most of these problems.",
)
LINKS = (
    "https://www.example.com/etiquette/notes", "https://blog.example.org/2019/manners",
    "https://news.example.net/culture/dinner-parties", "mailto:letters@example.com",
)


@dataclass
class SiteSpec:
    """What to generate: N articles with M comments each, and the shape of their threads."""

    articles: int
    comments: int
    max_depth: int = 10
    seed: int = 7


@dataclass
class SiteStats:
    """What was generated, for reports."""

    articles: int = 0
    comment_files: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    max_depth: int = 0
    replies: int = 0
    slugs: list[str] = field(default_factory=list)
    comment_paths: list[Path] = field(default_factory=list)
    index: list[CommentRef] = field(default_factory=list)


@dataclass(frozen=True)
class CommentRef:
    """Where one generated comment sits: its article, id, status and parent."""

    slug: str
    id: str
    status: str
    reply_to: str | None


def slugify(text: str) -> str:
    """A lower-case, hyphenated slug."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _sentences(rng: random.Random, pool: tuple[str, ...], low: int, high: int) -> str:
    """A paragraph of `low` to `high` sentences from `pool`."""
    return " ".join(rng.choice(pool) for _ in range(rng.randint(low, high)))


def _decorate(rng: random.Random, text: str) -> str:
    """Sprinkle inline Markdown (emphasis, bold, code, links) over a paragraph."""
    words = text.split(" ")
    for _ in range(rng.randint(0, 3)):
        i = rng.randrange(len(words))
        kind = rng.random()
        if kind < 0.4:
            words[i] = f"*{words[i]}*"
        elif kind < 0.7:
            words[i] = f"**{words[i]}**"
        elif kind < 0.85:
            words[i] = f"[{words[i]}]({rng.choice(LINKS)})"
        else:
            words[i] = f"`{words[i]}`"
    return " ".join(words)


def _article_block(rng: random.Random) -> str:
    """One varied block of an article: a list, a quote, a table, code or plain paragraphs."""
    kind = rng.random()
    if kind < 0.25:
        marker = rng.choice(("-", "1."))
        return "\n".join(f"{marker} {rng.choice(TIPS)}" for _ in range(rng.randint(3, 5)))
    if kind < 0.35:
        return f"> {rng.choice(QUOTES)}"
    if kind < 0.42:
        rows = "\n".join(f"| {rng.choice(TOPICS)} | {rng.choice(TIPS)} |" for _ in range(3))
        return f"| Situation | Advice |\n|---|---|\n{rows}"
    if kind < 0.47:
        return "    Dear Ms. Schwartz,\n    Thank you for the lovely evening.\n    Warmly, A Reader"
    return _decorate(rng, _sentences(rng, SENTENCES, 3, 6))


def article_text(rng: random.Random, index: int, date: datetime) -> tuple[str, str]:
    """A Markdown article with metadata; returns (slug, text)."""
    topic = TOPICS[index % len(TOPICS)]
    title = f"On {topic[0].upper()}{topic[1:]}, part {index + 1}"
    slug = f"{slugify(topic)}-{index + 1}"
    tags = ", ".join(rng.sample(TAGS, rng.randint(2, 4)))
    summary = _sentences(rng, SENTENCES, 1, 2)
    parts = [rng.choice(OPENERS).format(topic=topic) + " " + _sentences(rng, SENTENCES, 2, 4)]
    for heading in rng.sample(HEADINGS, rng.randint(2, 4)):
        parts.append(f"## {heading}")
        parts.append(_decorate(rng, _sentences(rng, SENTENCES, 3, 5)))
        parts.append(_article_block(rng))
    head = (
        f"Title: {title}\nDate: {date:%Y-%m-%d %H:%M}\nCategory: {rng.choice(CATEGORIES)}\n"
        f"Tags: {tags}\nSlug: {slug}\nAuthor: Diane Schwartz\nSummary: {summary}\n\n"
    )
    return slug, head + "\n\n".join(parts) + "\n"


def comment_body(rng: random.Random, parent_author: str | None) -> str:
    """A realistic comment: one to four paragraphs, some Markdown, sometimes a quote or a list."""
    paragraphs = []
    if parent_author and rng.random() < 0.3:
        paragraphs.append(f"> {rng.choice(COMMENT_SENTENCES)}")
    if parent_author and rng.random() < 0.5:
        paragraphs.append(f"{parent_author.split()[0]}, {_sentences(rng, COMMENT_SENTENCES, 1, 3)}")
    for _ in range(rng.choices((1, 2, 3, 4), weights=(45, 30, 15, 10))[0]):
        paragraphs.append(_decorate(rng, _sentences(rng, COMMENT_SENTENCES, 1, 5)))
    if rng.random() < 0.1:
        paragraphs.append("\n".join(f"- {rng.choice(TIPS)}" for _ in range(rng.randint(2, 4))))
    return "\n\n".join(paragraphs) + "\n"


def _statuses(rng: random.Random, count: int) -> list[str]:
    """`count` statuses in the 80/10/5/5 mix, shuffled."""
    out: list[str] = []
    for status, share in STATUS_MIX:
        out.extend([status] * round(count * share / 100))
    out = (out + ["approved"] * count)[:count]
    rng.shuffle(out)
    return out


def _author(rng: random.Random) -> tuple[str, str | None]:
    """A commenter's name and, for some, a website."""
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}".strip()
    site = f"https://{slugify(name)}.example.net/" if rng.random() < 0.3 else None
    return name, site


def _reply_slots(rng: random.Random, count: int) -> set[int]:
    """Which positions (never the first) are replies: half of them."""
    return set(rng.sample(range(1, count), count // 2)) if count > 1 else set()


@dataclass
class ThreadShape:
    """The reply structure so far: each comment's depth, one chain driven to the maximum depth, who may take replies."""

    max_depth: int
    depths: list[int] = field(default_factory=list)
    chain: list[int] = field(default_factory=list)
    open: list[int] = field(default_factory=list)

    def pick_parent(self, rng: random.Random) -> int:
        """Extend the deep chain first, then reply to a recent or a random earlier comment."""
        if self.chain and self.depths[self.chain[-1]] < self.max_depth:
            parent = self.chain[-1]
        elif rng.random() < 0.5:
            parent = self.open[-1 - min(len(self.open) - 1, int(rng.expovariate(0.3)))]
        else:
            parent = rng.choice(self.open)
        if not self.chain:
            self.chain.append(parent)
        if parent == self.chain[-1]:
            self.chain.append(len(self.depths))
        return parent

    def add(self, parent: int | None) -> int:
        """Record the next comment under `parent`; return its depth."""
        depth = 1 if parent is None else self.depths[parent] + 1
        if depth < self.max_depth:
            self.open.append(len(self.depths))
        self.depths.append(depth)
        return depth


def _unique_id(moment: datetime, name: str, used: set[str]) -> str:
    """A comment id in the project's style (timestamp and name), unique within the article."""
    cid = f"{moment:%Y%m%dT%H%M%S}-{slugify(name)}"
    while cid in used:
        cid += "x"
    used.add(cid)
    return cid


def _fields(rng: random.Random, moment: datetime, status: str, parent: dict[str, str | None] | None) -> dict[str, str | None]:
    """One comment's fields, as a reader and a moderator would have left them."""
    name, site = _author(rng)
    moderated = status != "pending"
    return {
        "author": name,
        "date": moment.isoformat(),
        "status": status,
        "reply_to": parent["id"] if parent else None,
        "website": site,
        "role": "author" if rng.random() < 0.03 else None,
        "moderated_at": (moment + timedelta(hours=2)).isoformat() if moderated else None,
        "moderator": "Diane Schwartz" if moderated else None,
        "body": comment_body(rng, parent["author"] if parent else None),
    }


def article_comments(rng: random.Random, spec: SiteSpec, start: datetime) -> list[dict[str, str | None]]:
    """The comment fields of one article, oldest first, with ids, reply links and depths."""
    replies = _reply_slots(rng, spec.comments)
    statuses = _statuses(rng, spec.comments)
    shape = ThreadShape(spec.max_depth)
    used: set[str] = set()
    out: list[dict[str, str | None]] = []
    moment = start
    for i in range(spec.comments):
        moment += timedelta(minutes=rng.randint(3, 600))
        parent = shape.pick_parent(rng) if i in replies else None
        depth = shape.add(parent)
        fields = _fields(rng, moment, statuses[i], out[parent] if parent is not None else None)
        out.append({"id": _unique_id(moment, str(fields["author"]), used), **fields, "depth": str(depth)})
    return out


PAGES = {
    "about": "Title: About\nSlug: about\n\nThe Gracious Guide answers questions about modern manners.\n",
    "comment-policy": (
        "Title: Comment policy\nSlug: comment-policy\n\nEvery comment is read by a moderator before it appears. "
        "Be kind, stay on topic, and disagree with ideas rather than people.\n"
    ),
}


def write_comment(folder: Path, fields: dict[str, str | None]) -> Path:
    """Write one comment file with the plugin's serialiser."""
    path = folder / f"{fields['id']}.yaml"
    keep = {k: v for k, v in fields.items() if k not in ("id", "depth")}
    path.write_text(dump(keep), encoding="utf-8")
    return path


def generate(root: Path, spec: SiteSpec, with_comments: bool = True) -> SiteStats:
    """Write `root`/posts, pages and (optionally) comments for `spec`; return what was written."""
    rng = random.Random(spec.seed)
    stats = SiteStats()
    (root / "posts").mkdir(parents=True, exist_ok=True)
    (root / "pages").mkdir(parents=True, exist_ok=True)
    for name, text in PAGES.items():
        (root / "pages" / f"{name}.md").write_text(text, encoding="utf-8")
    base = datetime(2010, 1, 4, 9, 0, tzinfo=OFFSET)
    for index in range(spec.articles):
        date = base + timedelta(days=index * 5, hours=rng.randint(0, 10))
        slug, text = article_text(rng, index, date)
        (root / "posts" / f"{slug}.md").write_text(text, encoding="utf-8")
        stats.articles += 1
        stats.slugs.append(slug)
        comments = article_comments(rng, spec, date)
        if with_comments:
            _write_comments(root / "comments" / slug, slug, comments, stats)
    return stats


def _write_comments(folder: Path, slug: str, comments: list[dict[str, str | None]], stats: SiteStats) -> None:
    """Write one article's comment files and count them in `stats`."""
    folder.mkdir(parents=True, exist_ok=True)
    for fields in comments:
        stats.comment_paths.append(write_comment(folder, fields))
        stats.index.append(CommentRef(slug, str(fields["id"]), str(fields["status"]), fields["reply_to"]))
        stats.statuses[str(fields["status"])] = stats.statuses.get(str(fields["status"]), 0) + 1
        stats.max_depth = max(stats.max_depth, int(str(fields["depth"])))
        stats.replies += fields["reply_to"] is not None
    stats.comment_files += len(comments)
