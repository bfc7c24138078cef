#ifndef DATAHEALTH_CLIBPQ_SHIM_H
#define DATAHEALTH_CLIBPQ_SHIM_H

#include <libpq-fe.h>

#endif
