/* tftp internals: the packet codec, paths beneath the root and one transfer's
 * state machine, shared by tftp/ and its tests; the daemon uses pirack/tftp.h. */
#ifndef PIRACK_TFTP_INTERNAL_H
#define PIRACK_TFTP_INTERNAL_H

#include "pirack/tftp.h"

/* The file's bytes as netascii (LF -> CR LF, CR -> CR NUL).  With out NULL
 * returns the converted length only. */
size_t pr_tftp_netascii_encode(const uint8_t *in, size_t len, uint8_t *out);

/* Starts a transfer of size bytes for request req at now: negotiates the
 * options against lim and returns the first thing to send (OACK, or block
 * 1 when the request had no option we accept). */
struct pr_tftp_action pr_tftp_xfer_start(struct pr_tftp_xfer *x, const struct pr_tftp_packet *req,
                                         uint64_t size, const struct pr_tftp_limits *lim,
                                         uint64_t now_ms);
/* An ACK or ERROR from the transfer's peer. */
struct pr_tftp_action pr_tftp_xfer_on_packet(struct pr_tftp_xfer *x, const struct pr_tftp_packet *p,
                                             uint64_t now_ms);
/* The deadline passed: resend the unacknowledged window (or give up). */
struct pr_tftp_action pr_tftp_xfer_on_timeout(struct pr_tftp_xfer *x, uint64_t now_ms);
/* Byte offset and length of block n (1-based) of the transfer. */
uint64_t pr_tftp_xfer_block_offset(const struct pr_tftp_xfer *x, uint32_t n);
size_t pr_tftp_xfer_block_len(const struct pr_tftp_xfer *x, uint32_t n);

/* Strips one leading component that is 8 hex digits (a Pi's serial), a
 * MAC as aa-bb-cc-dd-ee-ff, or equal to prefix (NULL/"" for none).  Boards
 * are swapped into slots, so any serial-shaped component is taken: the
 * slot's directory decides what is served.  Returns the rest of path. */
const char *pr_tftp_strip_prefix(const char *path, const char *prefix,
                                 struct pr_tftp_prefix_seen *seen);

/* Opens path beneath dirfd for reading: no "..", no absolute path, no
 * symlink or magic link leaving the directory.  Returns an fd, or
 * -EXDEV for a traversal attempt, -ENOENT for a missing file or anything
 * that is not a regular file, or another -errno. */
int pr_tftp_open_beneath(int dirfd, const char *path);

/* From pirack/tftp.h: what only this folder and its tests call (the comments
 * there describe them with their family). */
int pr_tftp_encode_data_header(uint8_t *buf, size_t cap, uint16_t block);
int pr_tftp_encode_oack(uint8_t *buf, size_t cap, const struct pr_tftp_options *opt);

#endif
