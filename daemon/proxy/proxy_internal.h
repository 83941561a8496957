/* proxy_files: the files the proxy engine writes.  Private to daemon/. */
#ifndef PIRACK_PROXY_FILES_H
#define PIRACK_PROXY_FILES_H

#include <stdint.h>
#include "pirack/proxy.h"

/* Makes map_dir, renders the configuration when config_path is set and
 * writes an empty map for each one that is missing (HAProxy refuses to
 * start without its map files).  Returns 0 or -errno, reason in err. */
int pr_proxy_prepare_files(const struct pr_proxy_settings *s, char *err, size_t errlen);

/* Writes ssh.map, sni.map and host.map under map_dir atomically. */
int pr_proxy_write_maps(const char *map_dir, const struct pr_routes *rs,
                        const struct pr_prefix6 *pool, char *err, size_t errlen);

struct pr_proxy_zone {
    uint32_t serial; /* of the zone on disk, 0 = none */
    char *records;   /* its records, NULL = none */
};

/* Reads the serial and records of a zone written earlier (a missing or
 * foreign file leaves both empty).  Returns 0 or -errno. */
int pr_proxy_zone_load(struct pr_proxy_zone *z, const char *path);
/* Renders the zone for pis; when its records changed, writes it with the
 * next serial.  Returns 1 written, 0 unchanged (or no zone_path), -errno. */
int pr_proxy_zone_update(struct pr_proxy_zone *z, const struct pr_proxy_settings *s,
                         const struct pr_zone_pi *pis, size_t npis, char *err, size_t errlen);
void pr_proxy_zone_clear(struct pr_proxy_zone *z);

#endif
