"""Run the intake service with its id generator first handing out ids that are already taken.

Used as IntakeServer's command prefix: `python tests/support/taken_ids.py <the service's command>`.
TAKEN_IDS (comma-separated) are returned by the first calls for a new id, in order;
after them the service's own generator runs. Only the source of ids is replaced:
storing, and retrying after a taken id, are the service's own code.
"""

from __future__ import annotations

import os
import runpy
import sys

from pelican.plugins.reader_comments.intake import storage


def main() -> None:
    """Replace the id generator, then run the service module given after the interpreter and `-m`."""
    taken = [cid for cid in os.environ.get("TAKEN_IDS", "").split(",") if cid]
    drawn = storage.new_id

    def new_id(now=None) -> str:
        """A taken id while any is left, then a fresh one."""
        return taken.pop(0) if taken else drawn(now)

    storage.new_id = new_id
    _python, flag, module, *args = sys.argv[1:]
    assert flag == "-m", sys.argv
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
