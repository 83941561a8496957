/* boot/capture_service: libpcap on the rack's interfaces, keeping each slot's
 * recent boot packets (DHCP, TFTP, ARP) in a bounded ring; serves them as
 * a pcap file on GET /v1/slots/{n}/trace and saves one beside the event
 * of a failed boot.  See pirack/capture.h for the ring itself. */
#ifndef PIRACK_SVC_CAPTURE_H
#define PIRACK_SVC_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pr_daemon;
struct pr_capture_service;

int pr_capture_service_start(struct pr_daemon *d);
void pr_capture_service_stop(struct pr_daemon *d);

/* fn(d, slot) runs for each NFS packet the capture places in a slot (the
 * boot service learns that a root is mounted); NULL removes it.  Does
 * nothing when capture is not running. */
typedef void (*pr_capture_root_fn)(struct pr_daemon *d, unsigned slot);
void pr_capture_set_root_hook(struct pr_daemon *d, pr_capture_root_fn fn);

/* Writes slot's ring as a pcap file under cfg->trace_dir, named
 * slot-NNN-UNIXMS-REASON.pcap; the path goes to path.  Returns 0, or
 * -errno (-ENODEV when capture is not running). */
int pr_capture_save(struct pr_daemon *d, unsigned slot, const char *reason, char *path,
                    size_t path_len);

/* The slot's ring as a pcap file in *pcap (malloc'd, *len bytes; the
 * caller frees it), with how many packets it holds in *packets.  Returns
 * 0, or -errno: -ENODEV when capture is not running, -ENOENT for a slot
 * outside the rack, -ENOMEM. */
int pr_capture_slot_pcap(struct pr_daemon *d, unsigned slot, uint8_t **pcap, size_t *len,
                         unsigned *packets);

/* Retention of saved traces (boot/traces.c): deletes the slot-*.pcap
 * files in dir older than max_age_ms (0: no limit by age), then all but
 * the newest max_count (0: no limit).  Returns how many were deleted (0
 * when dir does not exist), or -errno. */
int pr_traces_prune(const char *dir, int64_t now_ms, uint64_t max_age_ms, unsigned max_count);

#endif
