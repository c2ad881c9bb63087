// Tests of database initialization (issue 4).
