/* Helpers shared by the unit tests of pirackd's API routes: a daemon with
 * a real store (store_fixture: a temp sqlite file, 4 slots) whose routes
 * answer on a Unix socket in the store's temp directory, driven with
 * api_client's batches. */
#ifndef PIRACK_TEST_API_FIXTURE_H
#define PIRACK_TEST_API_FIXTURE_H

#include <stdint.h>
#include "api_client.h"
#include "store_fixture.h"
#include "daemon/daemon.h"

struct api_fixture {
    struct store_fixture *fx;
    char sock[160];
    char url[64];         /* the customer listener: "http://127.0.0.1:PORT" */
    char metrics_url[64]; /* the management listener */
    struct pr_config cfg; /* the built-in defaults; a test may change it */
    struct pr_daemon d;   /* cfg, plan, store, loop, api and started_ms set */
    struct api_batch b;   /* the answers of the last api_fixture_run */
};

/* Opens a fresh store, listens on af->sock and starts the routes, as if
 * the daemon had started uptime_ms ago.  af must be zeroed.  Returns 0 or
 * -1 (what a cmocka setup returns). */
int api_fixture_start(struct api_fixture *af, uint64_t uptime_ms);
/* Frees what api_fixture_start made, also when it failed halfway. */
void api_fixture_stop(struct api_fixture *af);
/* Sends reqs in order and runs the loop until they are answered; the
 * answers are in af->b.res. */
void api_fixture_run(struct api_fixture *af, const struct http_req *reqs, size_t n);
/* The same on the customer listener (TCP on 127.0.0.1). */
void api_fixture_run_customer(struct api_fixture *af, const struct http_req *reqs, size_t n);
/* The same on the management listener. */
void api_fixture_run_metrics(struct api_fixture *af, const struct http_req *reqs, size_t n);

#endif
