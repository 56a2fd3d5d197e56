"""Notices by e-mail: moderators hear of new comments and act from a link; readers who ask hear back.

Layers, lowest first: `mail` (messages, the Maildir outbox, SMTP, the on-disk
queue), `links` (the secret and the signed, expiring, single-use links),
`subscribers` (the readers' addresses, in SQLite outside the repository),
`config` (the COMMENTS_* settings resolved), then `alerts` (the moderators'
messages), `actions` (what a moderator's link does) and `notices` (what a
publish tells readers). Only the intake and the `reader-comments notify`
command use them; nothing here prints.
"""
