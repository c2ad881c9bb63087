#ifndef CSQLITE_SHIM_H
#define CSQLITE_SHIM_H
/* Types and constants only: the library is loaded with dlopen when a SQLite database is first opened (see
 * LibSQLite.swift), so the module links nothing. */
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a cast macro that Swift cannot import: bind text that SQLite copies at once. */
static inline sqlite3_destructor_type csqlite_transient(void) {
    return SQLITE_TRANSIENT;
}
#endif
