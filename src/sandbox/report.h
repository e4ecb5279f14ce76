/* What was applied, for session_start.sandbox and --dry-run. */
#pragma once

#include <jansson.h>

#include "sandbox/setup.h"

/* A new object (NULL on ENOMEM); see launch_report_json() for the keys. */
json_t *report_json(const struct sandbox_setup *s);
