#ifndef DATAHEALTH_CPROTOBUFC_SHIM_H
#define DATAHEALTH_CPROTOBUFC_SHIM_H

#include <protobuf-c/protobuf-c.h>

static inline unsigned int dh_protobuf_c_header_version_number(void) {
    return (unsigned int)PROTOBUF_C_VERSION_NUMBER;
}

#endif
