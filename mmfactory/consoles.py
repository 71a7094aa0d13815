"""The command line's two consoles, shared by every command: ``console`` (stdout) and
``err`` (stderr).

Printed lines are never wrapped (``soft_wrap``): an error that names a long path stays one
line that a user can copy and a CI log can be searched for; tables still fit the terminal.
"""

from __future__ import annotations

from rich.console import Console

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
