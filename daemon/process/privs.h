/* privs: what pirackd gives up once its sockets are bound. */
#ifndef PIRACK_DAEMON_PRIVS_H
#define PIRACK_DAEMON_PRIVS_H

#include <stddef.h>

#include "pirack/config.h"

/* Files pirackd creates are 0640 (directories 0750) or stricter, whatever
 * umask it was started with: the store holds customers and token hashes. */
void pr_privs_umask(void);

/* Started as root (by hand, not by systemd): hands the state, trace and
 * run directories to cfg's [daemon] user, switches to that user (when
 * set), keeps only CAP_NET_ADMIN, CAP_NET_RAW and CAP_NET_BIND_SERVICE
 * (bounding set included) and sets no_new_privs.  Not root: only
 * no_new_privs.  0, or -errno with the reason in err. */
int pr_privs_drop(const struct pr_config *cfg, char *err, size_t errlen);

#endif
