/* util/cleanup.h for the inspect layer. jansson >= 2.11 defines json_decrefp itself and
 * util/cleanup.h defines it again; until util/cleanup.h guards its copy, that copy is
 * renamed out of the way here and _cleanup_json_ binds to jansson's (same behaviour). */
#pragma once

#include <jansson.h>

#define json_decrefp inspect_cleanup_json_decrefp_unused
#include "util/cleanup.h"
#undef json_decrefp
