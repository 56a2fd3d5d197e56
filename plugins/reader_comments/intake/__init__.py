r"""The comment intake service: a reader's form post becomes a pending comment file.

Run it with `make inbox`, or::

    reader-comments-intake --host 127.0.0.1 --port 8008 \
        [--settings pelicanconf.py] [--comments DIR] [--manifest FILE]

(`python -m pelican.plugins.reader_comments.intake` is the same command.)

`--comments` is the comments folder (default: PATH/COMMENTS_PATH from the settings)
and `--manifest` the build's manifest (default: OUTPUT_PATH/COMMENTS_MANIFEST_SAVE_AS,
that is output/comments-manifest.json). In production pass `--settings publishconf.py`
so that SITEURL is absolute. Run a single process: the rate limits and the pending
counts live in memory.

Settings come from the settings file; every COMMENTS_* setting can be overridden by
an environment variable of the same name (see settings.py). `COMMENTS_RATE_LIMIT=0`
turns rate limiting off; `COMMENTS_MAX_PENDING=0` removes the cap on pending comments.

The service learns articles, whether they take comments and which comments are
published only from the manifest, which it re-reads whenever the file changes. It
never runs Pelican.

API
---
`POST /comments`, `application/x-www-form-urlencoded` (UTF-8) with the fields of
`templates/comments/form.html`: article, author, website, body, reply_to and the
honeypot `homepage`. Other fields are ignored; multipart bodies are refused with
415 (the form never sends files). Checks, in order:

- 403 when an Origin header is present and not allowed (`null` included). Allowed:
  COMMENTS_ALLOWED_ORIGINS, the origin of SITEURL when it is absolute, and, when
  SITEURL is empty (development), a page on any port of 127.0.0.1, localhost or
  [::1] (plain http: the developer's own, as `make serve PORT=...` serves it).
  A request without Origin (not a browser) passes. The page and the log name the
  refused origin and the allowed ones.
- 415 for any other content type; 413 when Content-Length, or the body as it is
  read, exceeds COMMENTS_MAX_REQUEST_BYTES (chunked bodies included).
- 429 with Retry-After past COMMENTS_RATE_LIMIT posts per COMMENTS_RATE_WINDOW
  seconds from one client (see ratelimit.py for X-Forwarded-For); the message says
  how long to wait. Only accepted posts count: a refused one is taken back.
- 400 with a message per field: more than 20 fields, a field sent twice, bad
  UTF-8, missing or overlong fields, control characters, line breaks in one-line
  fields, a name of only invisible characters, a website that is not an http(s)
  address (or has user information or a backslash), a malformed reply_to, a body
  that would cost too much to publish (render.cost_problems).
- A filled honeypot gets the success answer and nothing is stored.

`POST /comments/preview`: the same form, the same origin, type, size and field checks,
and a rate limit of the same size counted apart (a preview never uses up a post).
Nothing is stored. A browser gets the site's preview page (the comment rendered by
render.render_body, the form filled in); `Accept: application/json` gets
`{"html": ...}`, readable by the article's page when its origin is allowed.

An accepted post answers with the reader's private link (JSON `edit`; the received
page shows it): `GET /comments/edit?t=...` shows a pending comment in its form;
`POST /comments/edit` (fields t, digest, author, website, body, action) previews,
saves or withdraws it while it is pending (see edits.py). Each save or withdrawal is
committed and pushed alone when git is on.
- 404 for an unknown article, or a reply_to that is not a published comment of it;
  403 when the article's comments are closed or off.
- 503 with Retry-After when the article already has COMMENTS_MAX_PENDING comments
  awaiting moderation, when the disk is full, or before any manifest was read.

Success: 201 `{"id": ..., "status": "pending"}` when the client prefers
application/json; otherwise 303 to `comments/received?article=<slug>` (relative, so
a proxy's path prefix is kept), whose `GET` answers the built "comment received"
page with a link back to the article; without that page, 303 to
SITEURL/COMMENTS_THANKS_URL (in development, with SITEURL empty, on
http://127.0.0.1:8000). Errors are `{"errors": {field: message}}` for JSON clients
(field `request` for the request as a whole). Browsers get the built "not sent"
page, in the site's look, listing the problems above the form as the reader filled
it (name, website, reply target, comment) and linking back to the article; before
a build, a small plain page. The build writes both pages from the theme's
`intake_error.html` and `intake_received.html` (see reader_pages.py), and the
service fills them in, every value escaped. `GET /health` answers "ok".

Connections get COMMENTS_HEADER_TIMEOUT seconds for a request's headers and
COMMENTS_BODY_TIMEOUT for its body, and at most COMMENTS_MAX_CONNECTIONS are open
at once (below the file limit); see guard.py.

With COMMENTS_GIT_COMMIT=true each accepted file is committed alone in the git
repository holding the comments folder, and pushed to COMMENTS_GIT_PUSH when set
(see ../gitsync.py and the plugin README).

Nothing identifying reaches a comment file, git or a log: client addresses are
kept only in memory, for rate limiting, and never logged above debug level. The
optional `email` field (with `notify_published` / `notify_replies`) goes only to
the subscribers database outside the repository (see ../notify/); a bad address
is refused with 400 and the form kept. The links in messages are served at
`/comments/moderate`, `/comments/confirm` and `/comments/unsubscribe`: GET shows
a page, only POST acts (see intake/notices.py).
"""
