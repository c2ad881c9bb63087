// The usage-tracking database: SQLite and PostgreSQL, migrations, retry (issue 4).
