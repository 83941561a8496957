/* power service's /metrics families:
 *
 *   pirack_power_ops_total{action,outcome}      finished operations
 *   pirack_power_ops_in_flight                   queued or running
 *   pirack_power_booting                         slots counted as booting
 *   pirack_power_switch_round_trips_total{switch}  SNMP PDUs / CLI commands
 *   pirack_power_switch_logins_total{switch}     sessions opened
 *   pirack_power_switch_answers_total{switch,outcome}  answers from its worker
 *   pirack_power_switch_reachable{switch}        0 after a network or login failure
 *
 * Reads the service's state, not the daemon: the registry is an argument,
 * and the booting count comes from service_sched.c. */
#include "pirack/metrics.h"
#include "state.h"

static int collect_ops(struct pr_metrics_out *out, void *ctx)
{
    struct pr_power_service *svc = ctx;
    static const enum pr_poe_action actions[] = { PR_POE_ON, PR_POE_OFF, PR_POE_CYCLE };

    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
        for (int ok = 0; ok < 2; ok++)
            pr_metrics_sample(
                out, (const char *[]){ pr_poe_action_name(actions[i]), ok ? "ok" : "failed" },
                (double)svc->finished[actions[i]][ok]);
    return 0;
}

static int collect_in_flight(struct pr_metrics_out *out, void *ctx)
{
    struct pr_power_service *svc = ctx;
    unsigned n = 0;

    for (struct power_op *op = svc->ops; op; op = op->next)
        n++;
    return pr_metrics_sample(out, NULL, n);
}

static int collect_booting(struct pr_metrics_out *out, void *ctx)
{
    return pr_metrics_sample(out, NULL, pr_power_booting_count(ctx));
}

static int collect_round_trips(struct pr_metrics_out *out, void *ctx)
{
    struct pr_power_service *svc = ctx;

    for (unsigned i = 0; i < svc->n_switches; i++)
        pr_metrics_sample(out, (const char *[]){ svc->switches[i].cfg.name },
                          (double)svc->switches[i].round_trips);
    return 0;
}

static int collect_logins(struct pr_metrics_out *out, void *ctx)
{
    struct pr_power_service *svc = ctx;

    for (unsigned i = 0; i < svc->n_switches; i++)
        pr_metrics_sample(out, (const char *[]){ svc->switches[i].cfg.name },
                          (double)svc->switches[i].logins);
    return 0;
}

static int collect_answers(struct pr_metrics_out *out, void *ctx)
{
    struct pr_power_service *svc = ctx;

    for (unsigned i = 0; i < svc->n_switches; i++) {
        const struct power_switch *ps = &svc->switches[i];

        pr_metrics_sample(out, (const char *[]){ ps->cfg.name, "ok" },
                          (double)(ps->answers - ps->failed_answers));
        pr_metrics_sample(out, (const char *[]){ ps->cfg.name, "failed" },
                          (double)ps->failed_answers);
    }
    return 0;
}

static int collect_reachable(struct pr_metrics_out *out, void *ctx)
{
    struct pr_power_service *svc = ctx;

    for (unsigned i = 0; i < svc->n_switches; i++)
        pr_metrics_sample(out, (const char *[]){ svc->switches[i].cfg.name },
                          svc->switches[i].unreachable ? 0 : 1);
    return 0;
}

int pr_power_metrics_start(struct pr_power_service *svc, struct pr_metrics *m)
{
    static const char *const action_outcome[] = { "action", "outcome", NULL };
    static const char *const sw[] = { "switch", NULL };
    static const char *const sw_outcome[] = { "switch", "outcome", NULL };
    static const struct {
        struct pr_metric_desc desc;
        pr_metric_collect fn;
    } families[] = {
        { { "pirack_power_ops_total", "Power operations finished, by action and outcome.",
            PR_METRIC_COUNTER, action_outcome },
          collect_ops },
        { { "pirack_power_ops_in_flight", "Power operations queued or running.", PR_METRIC_GAUGE,
            NULL },
          collect_in_flight },
        { { "pirack_power_booting", "Slots powered on that count as booting (max_booting).",
            PR_METRIC_GAUGE, NULL },
          collect_booting },
        { { "pirack_power_switch_round_trips_total",
            "SNMP PDUs or CLI commands sent to "
            "each switch.",
            PR_METRIC_COUNTER, sw },
          collect_round_trips },
        { { "pirack_power_switch_logins_total", "Sessions opened to each switch.",
            PR_METRIC_COUNTER, sw },
          collect_logins },
        { { "pirack_power_switch_answers_total",
            "Operations each switch's worker finished, "
            "by outcome.",
            PR_METRIC_COUNTER, sw_outcome },
          collect_answers },
        { { "pirack_power_switch_reachable",
            "0 while a switch's last answer was a failure of the network or of the login "
            "(the health self-check pauses remediation), else 1.",
            PR_METRIC_GAUGE, sw },
          collect_reachable },
    };
    for (size_t i = 0; m && i < sizeof(families) / sizeof(families[0]); i++) {
        int r = pr_metrics_register(m, &families[i].desc, families[i].fn, svc);

        if (r < 0)
            return r;
    }
    return 0;
}

void pr_power_metrics_stop(struct pr_power_service *svc, struct pr_metrics *m)
{
    pr_metrics_unregister_ctx(m, svc);
}
