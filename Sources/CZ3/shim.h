#ifndef MMUCHECK_CZ3_SHIM_H
#define MMUCHECK_CZ3_SHIM_H
/* Z3's C API (Debian libz3-dev 4.8.12). z3.h does not include z3_version.h. */
#include <z3.h>
#include <z3_version.h>
#endif
