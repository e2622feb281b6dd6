"""Make the database named in ``DATABASE_URL`` when the server is there but the database is not yet.

``bin/run`` calls ``python -m config.database`` before migrating, so pointing it at your own PostgreSQL
needs no ``createdb`` first. Exit status 0 when the database is there (made or found), 1 with one line on
standard error when the server cannot be reached or refuses.
"""

from __future__ import annotations

import os
import sys

import psycopg2
from psycopg2 import sql

from config.env import EnvError, database_from_url


def ensure_database(url: str) -> bool:
    """Connect to the database in ``url`` (a ``postgres://`` URL); create it if the server says it does not
    exist. Returns True when it was created, False when it was already there. Raises
    ``EnvError`` for a URL that is not PostgreSQL's and ``psycopg2.OperationalError`` for anything else
    (server down, wrong password)."""
    db = database_from_url(url)
    params = {key: db[name] or None for key, name in (("host", "HOST"), ("port", "PORT"), ("user", "USER"))}
    params["password"] = db["PASSWORD"] or None
    try:
        psycopg2.connect(dbname=db["NAME"], **params).close()
        return False
    except psycopg2.OperationalError as error:
        if "does not exist" not in str(error):
            raise
    connection = psycopg2.connect(dbname="postgres", **params)
    try:
        connection.autocommit = True  # CREATE DATABASE cannot run inside a transaction
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
    finally:
        connection.close()
    return True


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    try:
        if ensure_database(url):
            print(f"The database {database_from_url(url)['NAME']} did not exist yet, so it was made.")
    except (EnvError, psycopg2.Error) as error:
        print(f"bin/run: could not reach the database in DATABASE_URL: {str(error).strip()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
