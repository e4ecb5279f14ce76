#include "sandbox/caps.h"

#include <cap-ng.h>
#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int caps_drop(const struct identity *id, bool change_id, bool *bounding_dropped, const char **what)
{
        /* libcap-ng keeps the pid it was initialised with; after clone() it may be the
         * parent's (raw clone runs no atfork handler), and capset() on another pid fails. */
        capng_setpid((int)syscall(SYS_gettid));
        if (capng_get_caps_process() < 0) {
                *what = "reading the capabilities";
                return errno ? -errno : -EIO;
        }
        bool setpcap = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP) == 1;
        capng_clear(CAPNG_SELECT_ALL);
        *bounding_dropped = setpcap;
        if (change_id) {
                int flags = CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_AMBIENT | (setpcap ? CAPNG_CLEAR_BOUNDING : 0);
                if (capng_change_id((int)id->run_uid, (int)id->run_gid, (capng_flags_t)flags) < 0) {
                        *what = "becoming the run user";
                        return errno ? -errno : -EPERM;
                }
                return 0;
        }
        if (setpcap && capng_apply(CAPNG_SELECT_BOUNDS) < 0) {
                *what = "emptying the capability bounding set";
                return errno ? -errno : -EPERM;
        }
        if (capng_apply(CAPNG_SELECT_CAPS) < 0) {
                *what = "dropping the capabilities";
                return errno ? -errno : -EPERM;
        }
        /* Clearing the ambient set needs no privilege. */
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
                *what = "clearing the ambient capabilities";
                return -errno;
        }
        return 0;
}
