#!/usr/bin/env python3
"""A stand-in for the mAI app's start on SQLite: it runs "its migration" as Open WebUI does before serving,
with no IF NOT EXISTS: the SQL in SCHEMA_FILE (the app's usage tables), then records REVISION in
alembic_version. A migration that fails ends the process with status 1, as Open WebUI 0.12.4's run_migrations
re-raises. Then it waits for TERM (exit 143). With SCHEMA_FILE "-" it never migrates (a server whose
migration never makes the tables). Prints "migrated" or "migration failed: …" on stdout.

Usage: app_migrating_server.py DATABASE SCHEMA_FILE REVISION"""
import signal
import sqlite3
import sys

database, schema_file, revision = sys.argv[1], sys.argv[2], sys.argv[3]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
if schema_file != "-":
    try:
        connection = sqlite3.connect(database)
        connection.executescript(open(schema_file).read())
        connection.executescript("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);"
                                 f"DELETE FROM alembic_version; INSERT INTO alembic_version VALUES ('{revision}');")
        connection.close()
    except sqlite3.Error as error:
        print(f"migration failed: {error}", flush=True)
        sys.exit(1)
    print("migrated", flush=True)
while True:
    signal.pause()
