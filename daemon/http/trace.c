/* trace: GET /v1/slots/{n}/trace, the slot's recent boot packets as a
 * pcap file.  The API speaks JSON, so the file travels base64-encoded;
 * `pirack trace N` writes the bytes back out. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "daemon/boot/capture_service.h"
#include "daemon/http/http.h"

void pr_http_get_trace(struct pr_api_req *req, void *ctx)
{
    struct pr_daemon *d = ctx;
    unsigned slot;
    if (pr_http_slot_param(req, d, &slot) < 0)
        return;
    uint8_t *pcap = NULL;
    size_t len = 0;
    unsigned packets = 0;
    int rc = pr_capture_slot_pcap(d, slot, &pcap, &len, &packets);
    if (rc == -ENODEV) {
        pr_api_reply_error(req, PR_API_ERR_UNAVAILABLE, "capture is not running");
        return;
    }
    if (rc == -ENOMEM) {
        pr_api_reply_error(req, PR_API_ERR_INTERNAL, "out of memory");
        return;
    }
    if (rc < 0) {
        pr_api_reply_error(req, PR_API_ERR_INTERNAL, "cannot write the trace: %s", strerror(-rc));
        return;
    }
    size_t b64_len = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = malloc(b64_len);
    if (!b64) {
        free(pcap);
        pr_api_reply_error(req, PR_API_ERR_INTERNAL, "out of memory");
        return;
    }
    sodium_bin2base64(b64, b64_len, pcap, len, sodium_base64_VARIANT_ORIGINAL);
    json_t *body = json_pack("{s:i, s:i, s:I, s:s, s:s}", "slot", (int)slot, "packets",
                             (int)packets, "bytes", (json_int_t)len, "content_type",
                             "application/vnd.tcpdump.pcap", "pcap_base64", b64);
    free(b64);
    free(pcap);
    if (!body) {
        pr_api_reply_error(req, PR_API_ERR_INTERNAL, "out of memory");
        return;
    }
    pr_api_reply_json(req, 200, body);
}
