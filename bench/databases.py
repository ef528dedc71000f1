"""A fresh database for every workload: migrate once into a template, then copy it each time."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
from pathlib import Path

PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
PG_NAME = "ironrelay_bench"


class Database:
    """The benchmark's database on one server; `name` goes to Django as BENCH_DB_NAME."""

    vendor = ""
    name = ""

    def create_empty(self) -> None:
        """Drop any leftover and create the empty database (before Django connects)."""
        raise NotImplementedError

    def snapshot(self) -> None:
        """Keep the migrated database as the template restore() copies."""
        raise NotImplementedError

    def restore(self) -> None:
        """Replace the database with a copy of the template (no connection may be open)."""
        raise NotImplementedError

    def drop(self) -> None:
        """Remove the database and its template."""
        raise NotImplementedError


class Postgres(Database):
    vendor = "postgres"

    def __init__(self, name: str = PG_NAME) -> None:
        self.name = name
        self.template = f"{name}_template"

    def _admin(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def create_empty(self) -> None:
        self._admin(
            f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
            f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)',
            f'CREATE DATABASE "{self.name}"',
        )

    def snapshot(self) -> None:
        self._admin(f'CREATE DATABASE "{self.template}" TEMPLATE "{self.name}"')

    def restore(self) -> None:
        # FORCE ends connections a killed worker may have left behind.
        self._admin(
            f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
            f'CREATE DATABASE "{self.name}" TEMPLATE "{self.template}"',
        )

    def drop(self) -> None:
        self._admin(
            f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
            f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)',
        )

    @staticmethod
    def server_version() -> str:
        import psycopg

        try:
            with psycopg.connect(PG_DSN, connect_timeout=5) as conn:
                row = conn.execute("SHOW server_version").fetchone()
        except psycopg.OperationalError as exc:
            return f"unreachable ({exc})"
        return str(row[0]) if row else "?"


class SQLite(Database):
    vendor = "sqlite"

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="ironrelay-bench-"))
        self.name = str(self.directory / "bench.sqlite3")
        self.template = self.directory / "template.sqlite3"

    def _remove_db_files(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(self.name + suffix).unlink(missing_ok=True)

    def create_empty(self) -> None:
        self._remove_db_files()

    def snapshot(self) -> None:
        # Fold the WAL into the main file, so the file alone is the whole database.
        with sqlite3.connect(self.name) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        shutil.copyfile(self.name, self.template)

    def restore(self) -> None:
        self._remove_db_files()
        shutil.copyfile(self.template, self.name)

    def drop(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


class MariaDB(Database):
    """MariaDB (or MySQL) on 127.0.0.1:3306 as root; it has no template databases, so the
    template is a second database whose tables are copied back with CREATE TABLE ... LIKE."""

    vendor = "mysql"

    def __init__(self, name: str = PG_NAME) -> None:
        self.name = name
        self.template = f"{name}_template"

    @staticmethod
    def _connect(database: str | None = None):
        import MySQLdb

        kwargs = {"db": database} if database else {}
        return MySQLdb.connect(host="127.0.0.1", port=3306, user="root", passwd="", **kwargs)

    def _admin(self, *statements: str) -> None:
        conn = self._connect()
        try:
            cursor = conn.cursor()
            for statement in statements:
                cursor.execute(statement)
        finally:
            conn.close()

    def _copy(self, source: str, target: str) -> None:
        conn = self._connect(source)
        try:
            cursor = conn.cursor()
            cursor.execute("SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'")
            tables = [row[0] for row in cursor.fetchall()]
            cursor.execute(f"DROP DATABASE IF EXISTS `{target}`")
            cursor.execute(f"CREATE DATABASE `{target}`")
            cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
            for table in tables:
                cursor.execute(f"CREATE TABLE `{target}`.`{table}` LIKE `{source}`.`{table}`")
                cursor.execute(f"INSERT INTO `{target}`.`{table}` SELECT * FROM `{table}`")
            conn.commit()
        finally:
            conn.close()

    def create_empty(self) -> None:
        self._admin(
            f"DROP DATABASE IF EXISTS `{self.name}`",
            f"DROP DATABASE IF EXISTS `{self.template}`",
            f"CREATE DATABASE `{self.name}`",
        )

    def snapshot(self) -> None:
        self._copy(self.name, self.template)

    def restore(self) -> None:
        # Connections a killed worker left behind would hold metadata locks: end them first.
        conn = self._connect()
        try:
            cursor = conn.cursor()
            cursor.execute(
                "SELECT id FROM information_schema.processlist WHERE db = %s", [self.name]
            )
            for (thread_id,) in cursor.fetchall():
                with contextlib.suppress(Exception):
                    cursor.execute(f"KILL {int(thread_id)}")
        finally:
            conn.close()
        self._copy(self.template, self.name)

    def drop(self) -> None:
        self._admin(
            f"DROP DATABASE IF EXISTS `{self.name}`",
            f"DROP DATABASE IF EXISTS `{self.template}`",
        )

    @staticmethod
    def server_version() -> str:
        try:
            conn = MariaDB._connect()
        except Exception as exc:
            return f"unreachable ({exc})"
        try:
            cursor = conn.cursor()
            cursor.execute("SELECT VERSION()")
            return str(cursor.fetchone()[0])
        finally:
            conn.close()


def for_vendor(vendor: str) -> Database:
    """Return a fresh Database object for 'postgres', 'sqlite' or 'mysql'."""
    return {"postgres": Postgres, "sqlite": SQLite, "mysql": MariaDB}[vendor]()
