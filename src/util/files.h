/* Small file-system helpers shared by the layers that keep state under the user's XDG
 * directories (pins, the anchor-database cache). */
#pragma once

/* mkdir -p with mode 0700 for every directory it creates (existing ones are left as they
 * are). dir must be absolute. Returns 0 or -errno. */
int mkdir_private_p(const char *dir);
