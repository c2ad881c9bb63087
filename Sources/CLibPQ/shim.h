#ifndef CLIBPQ_SHIM_H
#define CLIBPQ_SHIM_H
/* Types and constants only: the library is loaded with dlopen on first use (see LibPQ.swift), so the module
 * links nothing. Debian installs the header under /usr/include/postgresql (package libpq-dev). */
#include "/usr/include/postgresql/libpq-fe.h"
#endif
