"""The review's floor: the letters' printable copies alone. One process draws the PDF of every
letter a finished review stored (its HTML, read with sqlite3) with the engine's PDF renderer,
one after another: the unavoidable work of "every letter rendered", nothing decided or written.
"""

import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's engine

from notifications.letters import render_letter_pdf

database, school_name = sys.argv[1], sys.argv[2]
rows = sqlite3.connect(database).execute("SELECT html FROM letter ORDER BY id").fetchall()
size = sum(len(render_letter_pdf(html, header=school_name)) for (html,) in rows)
print(f"{len(rows)} letters, {size} bytes of PDF")
