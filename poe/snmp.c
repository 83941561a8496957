/* The SNMP driver: net-snmp's single-session API (thread-safe per
 * session), v2c or v3 authPriv, numeric OIDs from the profile, many
 * varbinds per PDU.  net-snmp is initialised once, with every file it
 * could read or write on the host turned off. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include "poe_internal.h"

struct snmp_driver {
    struct pr_poe_driver base;
    void *sess; /* snmp_sess_open() handle, NULL when closed */
    unsigned max_varbinds;
};

/* One value to read: where it goes. */
struct read_slot {
    oid name[PR_OID_MAX];
    size_t len;
    long *dst; /* LONG_MIN stays when the switch has none */
};

static pthread_once_t netsnmp_once = PTHREAD_ONCE_INIT;

static void netsnmp_init_quietly(void)
{
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_LOAD_HOST_FILES, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_NO_TOKEN_WARNINGS, 1);
    netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_ERRORS, 0);
    /* No MIB files: every OID is numeric.  An empty directory list means
     * init_mib() finds nothing to read. */
    netsnmp_set_mib_directory("");
    /* Library code does not log: a handler that drops everything (with
     * no handler at all, net-snmp would write to stderr). */
    netsnmp_register_loghandler(NETSNMP_LOGHANDLER_NONE, LOG_EMERG);
    init_snmp("pirack");
}

static int oid_for(const struct pr_poe_driver *d, const char *tmpl, unsigned port, oid *name,
                   size_t *len)
{
    char text[PR_PROF_LINE_MAX + 32];
    unsigned long parts[PR_OID_MAX];
    int rc = pr_poe_expand(tmpl, d->cfg->group, port, text, sizeof(text));
    if (rc < 0)
        return rc;
    int n = pr_poe_parse_oid(text, parts, PR_OID_MAX);
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++)
        name[i] = (oid)parts[i];
    *len = (size_t)n;
    return 0;
}

static const char *transport_of(const char *address)
{
    return address[0] == '[' ? "udp6:" : "udp:";
}

static int auth_proto(const char *name, const oid **proto, size_t *len)
{
    if (!name[0] || !strcasecmp(name, "SHA")) {
        *proto = usmHMACSHA1AuthProtocol;
        *len = OID_LENGTH(usmHMACSHA1AuthProtocol);
    } else if (!strcasecmp(name, "SHA256")) {
        *proto = usmHMAC192SHA256AuthProtocol;
        *len = OID_LENGTH(usmHMAC192SHA256AuthProtocol);
    } else if (!strcasecmp(name, "MD5")) {
        *proto = usmHMACMD5AuthProtocol;
        *len = OID_LENGTH(usmHMACMD5AuthProtocol);
    } else {
        return -EINVAL;
    }
    return 0;
}

static int set_v3(netsnmp_session *s, const struct pr_switch_config *cfg, struct pr_poe_result *r)
{
    const oid *ap;
    size_t aplen;
    if (auth_proto(cfg->v3_auth_proto, &ap, &aplen) < 0)
        return pr_poe_fail(r, -EINVAL, "unknown v3 auth protocol %.8s", cfg->v3_auth_proto);
    s->version = SNMP_VERSION_3;
    s->securityName = (char *)cfg->v3_user;
    s->securityNameLen = strlen(cfg->v3_user);
    s->securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
    s->securityAuthProto = (oid *)ap;
    s->securityAuthProtoLen = aplen;
    s->securityAuthKeyLen = USM_AUTH_KU_LEN;
    if (generate_Ku(ap, (u_int)aplen, (const u_char *)cfg->v3_auth_key, strlen(cfg->v3_auth_key),
                    s->securityAuthKey, &s->securityAuthKeyLen) != SNMPERR_SUCCESS)
        return pr_poe_fail(r, -EINVAL, "v3 auth key rejected (at least 8 characters)");
    if (!cfg->v3_priv_proto[0] || !strcasecmp(cfg->v3_priv_proto, "AES")) {
        s->securityPrivProto = usmAESPrivProtocol;
        s->securityPrivProtoLen = OID_LENGTH(usmAESPrivProtocol);
    } else if (!strcasecmp(cfg->v3_priv_proto, "DES")) {
        s->securityPrivProto = usmDESPrivProtocol;
        s->securityPrivProtoLen = OID_LENGTH(usmDESPrivProtocol);
    } else {
        return pr_poe_fail(r, -EINVAL, "unknown v3 priv protocol %.8s", cfg->v3_priv_proto);
    }
    s->securityPrivKeyLen = USM_PRIV_KU_LEN;
    if (generate_Ku(ap, (u_int)aplen, (const u_char *)cfg->v3_priv_key, strlen(cfg->v3_priv_key),
                    s->securityPrivKey, &s->securityPrivKeyLen) != SNMPERR_SUCCESS)
        return pr_poe_fail(r, -EINVAL, "v3 priv key rejected (at least 8 characters)");
    return 0;
}

/* net-snmp's error numbers in words that point at the cause. */
static int map_snmp_error(int liberr, int syserr, struct pr_poe_result *r, const char *what)
{
    switch (liberr) {
    case SNMPERR_TIMEOUT:
        return pr_poe_fail(r, -ETIMEDOUT,
                           "%s: no answer (switch down, wrong address, or wrong "
                           "community)",
                           what);
    case SNMPERR_AUTHENTICATION_FAILURE:
        return pr_poe_fail(r, -EACCES, "%s: authentication failed (wrong v3 auth key)", what);
    case SNMPERR_UNKNOWN_USER_NAME:
        return pr_poe_fail(r, -EACCES, "%s: unknown v3 user", what);
    case SNMPERR_DECRYPTION_ERR:
        return pr_poe_fail(r, -EACCES, "%s: decryption failed (wrong v3 priv key)", what);
    case SNMPERR_UNSUPPORTED_SEC_LEVEL:
        return pr_poe_fail(r, -EACCES, "%s: the switch does not support authPriv for this user",
                           what);
    case SNMPERR_NOT_IN_TIME_WINDOW:
        return pr_poe_fail(r, -EAGAIN, "%s: not in time window (will resynchronise)", what);
    default:
        return pr_poe_fail(r, syserr > 0 ? -syserr : -EIO, "%s: %s", what,
                           snmp_api_errstring(liberr));
    }
}

static int connect_session(struct snmp_driver *d, struct pr_poe_result *r)
{
    if (d->sess)
        return 0;
    pthread_once(&netsnmp_once, netsnmp_init_quietly);
    const struct pr_switch_config *cfg = d->base.cfg;
    char peer[300];
    snprintf(peer, sizeof(peer), "%s%s", transport_of(cfg->address), cfg->address);
    netsnmp_session s;
    snmp_sess_init(&s);
    s.peername = peer;
    s.timeout = (long)(cfg->timeout_ms ? cfg->timeout_ms : 2000) * 1000L;
    s.retries = 0; /* retries and back-off are the worker's */
    if (cfg->snmp_version == 3) {
        int rc = set_v3(&s, cfg, r);
        if (rc < 0)
            return rc;
    } else {
        s.version = SNMP_VERSION_2c;
        s.community = (u_char *)cfg->community;
        s.community_len = strlen(cfg->community);
    }
    r->logins++;
    d->sess = snmp_sess_open(&s);
    if (!d->sess) {
        int liberr = 0, syserr = 0;
        char *msg = NULL;
        snmp_error(&s, &liberr, &syserr, &msg);
        free(msg);
        /* v3 engine discovery happens here: a dead agent is a timeout. */
        return map_snmp_error(liberr, syserr, r, "snmp session");
    }
    return 0;
}

static void snmp_disconnect(struct pr_poe_driver *base)
{
    struct snmp_driver *d = (struct snmp_driver *)base;
    if (d->sess)
        snmp_sess_close(d->sess);
    d->sess = NULL;
}

/* One request and its answer.  *resp is the caller's to free. */
static int exchange(struct snmp_driver *d, netsnmp_pdu *pdu, netsnmp_pdu **resp,
                    struct pr_poe_result *r, const char *what)
{
    *resp = NULL;
    r->round_trips++;
    int status = snmp_sess_synch_response(d->sess, pdu, resp);
    if (status == STAT_SUCCESS && *resp)
        return 0;
    if (status == STAT_SUCCESS) /* a report (e.g. wrong digest), no response */
        status = STAT_ERROR;
    if (*resp)
        snmp_free_pdu(*resp);
    *resp = NULL;
    int liberr = 0, syserr = 0;
    char *msg = NULL;
    snmp_sess_error(d->sess, &liberr, &syserr, &msg);
    /* net-snmp 5.9 reports some library errors (a wrong v3 digest) in
     * the system-error slot. */
    if (liberr == 0 && syserr < 0)
        liberr = syserr, syserr = 0;
    free(msg);
    if (status == STAT_TIMEOUT)
        liberr = SNMPERR_TIMEOUT;
    return map_snmp_error(liberr, syserr, r, what);
}

static int set_admin(struct pr_poe_driver *base, const unsigned *ports, size_t n, bool on,
                     struct pr_poe_result *r)
{
    struct snmp_driver *d = (struct snmp_driver *)base;
    const struct pr_poe_snmp_profile *sp = &base->profile->snmp;
    int rc = connect_session(d, r);
    if (rc < 0)
        return rc;
    long value = on ? sp->admin_on : sp->admin_off;
    for (size_t at = 0; at < n; at += d->max_varbinds) {
        size_t chunk = n - at < d->max_varbinds ? n - at : d->max_varbinds;
        netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_SET), *resp;
        for (size_t i = 0; i < chunk; i++) {
            oid name[PR_OID_MAX];
            size_t len;
            if ((rc = oid_for(base, sp->admin_oid, ports[at + i], name, &len)) < 0) {
                snmp_free_pdu(pdu);
                return pr_poe_fail(r, rc, "bad admin OID for port %u", ports[at + i]);
            }
            snmp_pdu_add_variable(pdu, name, len, ASN_INTEGER, &value, sizeof(value));
        }
        if ((rc = exchange(d, pdu, &resp, r, "set")) < 0)
            return rc;
        long errstat = resp->errstat, errindex = resp->errindex;
        snmp_free_pdu(resp);
        if (errstat != SNMP_ERR_NOERROR) {
            unsigned port =
                errindex >= 1 && (size_t)errindex <= chunk ? ports[at + (size_t)errindex - 1] : 0;
            return pr_poe_fail(r, -EREMOTEIO, "switch refused the set: %s (port %u)",
                               snmp_errstring((int)errstat), port);
        }
    }
    return 0;
}

/* GETs every slot, max_varbinds per PDU.  Missing objects leave *dst alone. */
static int read_slots(struct snmp_driver *d, struct read_slot *slots, size_t n,
                      struct pr_poe_result *r)
{
    for (size_t at = 0; at < n; at += d->max_varbinds) {
        size_t chunk = n - at < d->max_varbinds ? n - at : d->max_varbinds;
        netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GET), *resp;
        for (size_t i = 0; i < chunk; i++)
            snmp_add_null_var(pdu, slots[at + i].name, slots[at + i].len);
        int rc = exchange(d, pdu, &resp, r, "get");
        if (rc < 0)
            return rc;
        if (resp->errstat != SNMP_ERR_NOERROR) {
            long errstat = resp->errstat;
            snmp_free_pdu(resp);
            return pr_poe_fail(r, -EREMOTEIO, "switch refused the get: %s",
                               snmp_errstring((int)errstat));
        }
        size_t i = 0;
        for (netsnmp_variable_list *v = resp->variables; v && i < chunk; v = v->next_variable, i++)
            if ((v->type == ASN_INTEGER || v->type == ASN_GAUGE || v->type == ASN_UNSIGNED) &&
                v->val.integer)
                *slots[at + i].dst = *v->val.integer;
        snmp_free_pdu(resp);
    }
    return 0;
}

static int read_status(struct pr_poe_driver *base, const unsigned *ports, size_t n,
                       struct pr_poe_port_status *st, struct pr_poe_result *r)
{
    struct snmp_driver *d = (struct snmp_driver *)base;
    const struct pr_poe_snmp_profile *sp = &base->profile->snmp;
    int rc = connect_session(d, r);
    if (rc < 0)
        return rc;
    /* Per port: admin, detection, class; then the PSE's power once. */
    size_t cap = n * 3 + 2, k = 0;
    struct read_slot *slots = calloc(cap, sizeof(*slots));
    long *vals = malloc(cap * sizeof(*vals));
    if (!slots || !vals) {
        free(slots), free(vals);
        return pr_poe_fail(r, -ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < cap; i++)
        vals[i] = LONG_MIN;
    const char *per_port[3] = { sp->admin_oid, sp->detect_oid, sp->class_oid };
    for (size_t i = 0; i < n && rc == 0; i++)
        for (int j = 0; j < 3 && rc == 0; j++)
            if (per_port[j][0]) {
                slots[k].dst = &vals[i * 3 + (size_t)j];
                rc = oid_for(base, per_port[j], ports[i], slots[k].name, &slots[k].len);
                k++;
            }
    const char *main_oids[2] = { sp->main_power_oid, sp->main_consumption_oid };
    for (int j = 0; j < 2 && rc == 0; j++)
        if (main_oids[j][0]) {
            slots[k].dst = &vals[n * 3 + (size_t)j];
            rc = oid_for(base, main_oids[j], 0, slots[k].name, &slots[k].len);
            k++;
        }
    if (rc == 0)
        rc = read_slots(d, slots, k, r);
    for (size_t i = 0; i < n && rc == 0; i++) {
        long admin = vals[i * 3], det = vals[i * 3 + 1], cls = vals[i * 3 + 2];
        st[i].admin = admin == sp->admin_on ? 1 : admin == sp->admin_off ? 0 : -1;
        st[i].detect = det >= 1 && det <= 6 ? (enum pr_poe_detect)det : PR_POE_DETECT_UNKNOWN;
        st[i].power_class = cls >= 1 && cls <= 5 ? (int)cls - 1 : -1;
    }
    if (rc == 0) {
        unsigned div = sp->power_divisor ? sp->power_divisor : 1;
        long pw = vals[n * 3], cons = vals[n * 3 + 1];
        r->main_power_w = pw == LONG_MIN ? -1 : (int)(pw / (long)div);
        r->main_consumption_w = cons == LONG_MIN ? -1 : (int)(cons / (long)div);
    }
    free(slots);
    free(vals);
    return rc;
}

static void snmp_free(struct pr_poe_driver *base)
{
    snmp_disconnect(base);
    free(base);
}

static const struct pr_poe_driver_ops snmp_ops = {
    .set_admin = set_admin,
    .read_status = read_status,
    .disconnect = snmp_disconnect,
    .free = snmp_free,
};

int pr_poe_snmp_new(const struct pr_switch_config *cfg, const struct pr_poe_profile *p,
                    struct pr_poe_driver **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!p->snmp.present) {
        snprintf(err, errlen, "profile %s has no snmp.* keys", p->name);
        return -EINVAL;
    }
    if (cfg->snmp_version == 3 &&
        (!cfg->v3_user[0] || strlen(cfg->v3_auth_key) < 8 || strlen(cfg->v3_priv_key) < 8)) {
        snprintf(err, errlen, "snmp v3 needs a user and auth and priv keys of 8+ characters");
        return -EINVAL;
    }
    if (cfg->snmp_version != 3 && !cfg->community[0]) {
        snprintf(err, errlen, "snmp v2c needs a community");
        return -EINVAL;
    }
    struct snmp_driver *d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    d->base.ops = &snmp_ops;
    d->base.cfg = cfg;
    d->base.profile = p;
    d->max_varbinds = cfg->max_varbinds ? cfg->max_varbinds : p->snmp.max_varbinds;
    if (d->max_varbinds == 0)
        d->max_varbinds = 1;
    *out = &d->base;
    return 0;
}
