"""The statistics floor: one process runs one SQL statement with sqlite3 and writes its rows as
JSON. Nothing of ours is imported; the statement is the engine's own, compiled beforehand."""

import json
import sqlite3
import sys

database = sys.argv[1]
with open(sys.argv[2], encoding="utf-8") as f:
    statement = f.read()
connection = sqlite3.connect(database)
cursor = connection.execute(statement)
names = [d[0] for d in cursor.description]
json.dump([dict(zip(names, row, strict=True)) for row in cursor], sys.stdout, indent=1)
sys.stdout.write("\n")
