/* util/cleanup.h defines json_decrefp, which jansson >= 2.11 already defines: include it with
 * its copy renamed, so _cleanup_json_ binds to jansson's (which does the same). Delete this
 * file once util/cleanup.h stops redefining it. */
#pragma once

#include <jansson.h>

#define json_decrefp relay_cleanup_json_decrefp_unused
#include "util/cleanup.h"
#undef json_decrefp
