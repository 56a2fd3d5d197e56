"""The comment format: one YAML file per comment, read, validated, written and edited here only.

The rest of the package imports the format through this face:

- `model`: the `Comment` a valid file becomes, `CommentFileError` (carrying the `Problem`) a bad one raises.
- `rules`: the schema, its limits, the character classes, ids and URLs.
- `yaml_text`: the strict YAML reader (every scalar text; no aliases, tags or duplicate keys).
- `hints`: plain-language hints for YAML syntax errors.
- `files`: reading one file or a whole tree (with the read cache), and writing new files.
- `edit`: changing one field's value in place, every other byte kept (`changed_bytes` reads the result back).
"""

from __future__ import annotations

from .edit import edit_fields
from .files import (
    SCHEMA_HEADER,
    Listing,
    NewFile,
    ReadCache,
    Tree,
    changed_bytes,
    check_new,
    comment_files,
    content_digest,
    dump,
    folder_files,
    folder_listing,
    is_comment_name,
    load_tree,
    read,
    read_bytes,
    validate,
    write_new,
    write_new_all,
)
from .model import PUBLISHED, STATUSES, Comment, CommentFileError
from .rules import (
    EXTENSIONS,
    FIELDS,
    FORM_CONTROL,
    ID_MAX,
    LIMITS,
    LINE_BREAK,
    LINE_CONTROL,
    REMOVAL_FIELDS,
    SCHEMA,
    SCHEMA_PATH,
    comment_id,
    is_http_url,
    is_valid_id,
    near_choice,
    new_id,
    quote,
)
from .yaml_text import BOM, MAX_FILE_BYTES, Parsed, decode, parse

__all__ = [
    "BOM", "EXTENSIONS", "FIELDS", "FORM_CONTROL", "ID_MAX", "LIMITS", "LINE_BREAK", "LINE_CONTROL", "MAX_FILE_BYTES",
    "PUBLISHED", "REMOVAL_FIELDS", "SCHEMA", "SCHEMA_HEADER", "SCHEMA_PATH", "STATUSES", "Comment", "CommentFileError", "Listing", "NewFile",
    "Parsed", "ReadCache", "Tree", "changed_bytes", "check_new", "comment_files", "comment_id", "content_digest", "decode", "dump",
    "edit_fields", "folder_files", "folder_listing", "is_comment_name", "is_http_url", "is_valid_id", "load_tree",
    "near_choice", "new_id", "parse", "quote", "read",
    "read_bytes", "validate", "write_new", "write_new_all",
]
