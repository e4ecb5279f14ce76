/* Making a bind really read-only (threats.md §1 "write under a read-only path"): a bind
 * with MS_RDONLY only makes its top mount read-only, every submount stays writable. With
 * mount_setattr(2) (Linux 5.12) one call sets the flags on the whole tree; before that each
 * submount is remounted in turn (MS_REMOUNT|MS_BIND) keeping the flags the kernel locked on
 * it, as bubblewrap does. Child side: returns 0 or -errno, names the mount in *what. */
#pragma once

#include <stdbool.h>

#define MATTR_RDONLY 0x1u
#define MATTR_NOSUID 0x2u
#define MATTR_NODEV 0x4u
#define MATTR_NOEXEC 0x8u

/* recursive: the mount at path and every mount below it. legacy: do not try
 * mount_setattr (the test hook that proves the fallback). mountinfo: where to read the
 * mount table for the fallback. */
int mount_attr_set(const char *path, unsigned attrs, bool recursive, bool legacy,
                   const char *mountinfo, const char **what);

/* Is mount_setattr(2) there? (doctor) */
bool mount_attr_supported(void);
