/* util/cleanup.h for this folder. jansson >= 2.11 defines json_decrefp itself and
 * util/cleanup.h defines it again, which does not compile; until util/cleanup.h guards its
 * copy, that copy is renamed out of the way here (jansson.h is included first, so its own
 * definition keeps the name) and _cleanup_json_ binds to jansson's, which does the same
 * thing. The policy layer does the same in policy-internal.h. Delete this header and
 * include util/cleanup.h directly once util is fixed. */
#pragma once

#include <jansson.h>

#define json_decrefp rules_cleanup_json_decrefp_unused
#include "util/cleanup.h"
#undef json_decrefp
