/* store: the rows (slots, boards, pis, customers, events, power
 * operations) and the constraints that refuse impossible states, through
 * the API and, for the schema's own guarantees, through raw SQL.  Each test
 * has its own temporary directory and a 4-slot store. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_fixture.h"
#include "daemon/store/store_internal.h"

#define MAC1 "b8:27:eb:00:00:01"
#define MAC2 "b8:27:eb:00:00:02"

static void assert_err(int got, int want, struct pr_store *st, const char *msg)
{
    if (got != want)
        fail_msg("got %d (%s), want %d", got, pr_store_errmsg(st), want);
    assert_string_equal(pr_store_errmsg(st), msg);
}

static void test_board_in_one_slot_only(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = fx->st;
    struct pr_slot_row row;

    assert_int_equal(pr_store_assign_board(st, 3, "B8:27:EB:00:00:01", "000000A1", "pi3b", false),
                     0);
    assert_int_equal(pr_store_slot_by_mac(st, MAC1), 3);
    assert_int_equal(pr_store_get_slot(st, 3, &row), 0);
    assert_string_equal(row.mac, MAC1);
    assert_string_equal(row.serial, "000000a1");
    assert_string_equal(row.model, "pi3b");

    /* the same board into another slot, without move */
    assert_err(pr_store_assign_board(st, 1, MAC1, "", "", false), -EEXIST, st,
               "board " MAC1 " is already in slot 3");
    assert_int_equal(pr_store_slot_by_mac(st, MAC1), 3);
    /* with move it leaves slot 3; serial and model stay known */
    assert_int_equal(pr_store_assign_board(st, 1, MAC1, NULL, NULL, true), 0);
    assert_int_equal(pr_store_slot_by_mac(st, MAC1), 1);
    assert_int_equal(pr_store_get_slot(st, 3, &row), 0);
    assert_string_equal(row.mac, "");
    assert_int_equal(pr_store_get_slot(st, 1, &row), 0);
    assert_string_equal(row.serial, "000000a1");
    assert_string_equal(row.model, "pi3b");

    /* another board put into slot 1 takes the place of the first */
    assert_int_equal(pr_store_assign_board(st, 1, MAC2, "", "", false), 0);
    assert_int_equal(pr_store_slot_by_mac(st, MAC1), 0);
    assert_int_equal(pr_store_slot_by_mac(st, MAC2), 1);

    /* serials are unique and well formed */
    assert_err(pr_store_set_board_serial(st, MAC2, "000000a1"), -EEXIST, st,
               "serial 000000a1 belongs to board " MAC1);
    assert_err(pr_store_assign_board(st, 2, "b8:27:eb:00:00:03", "000000a1", "", false), -EEXIST,
               st, "serial 000000a1 belongs to board " MAC1);
    assert_int_equal(pr_store_slot_by_mac(st, "b8:27:eb:00:00:03"), 0);
    assert_err(pr_store_set_board_serial(st, MAC2, "12345"), -EINVAL, st,
               "'12345' is not a board serial (8 to 16 hex digits)");
    assert_int_equal(pr_store_set_board_serial(st, MAC2, "00000002"), 0);
    assert_err(pr_store_set_board_serial(st, "b8:27:eb:00:00:99", "00000099"), -ENOENT, st,
               "no board b8:27:eb:00:00:99");
    assert_int_equal(pr_store_set_board_model(st, MAC2, "pi3b+"), 0);
    assert_err(pr_store_set_board_model(st, MAC2, "a-much-too-long-model"), -EINVAL, st,
               "model 'a-much-too-long-model' is longer than 15 bytes");

    /* malformed MACs and missing slots */
    assert_err(pr_store_assign_board(st, 2, "b8:27:eb:00:00", "", "", false), -EINVAL, st,
               "'b8:27:eb:00:00' is not a MAC address (aa:bb:cc:dd:ee:ff)");
    assert_int_equal(pr_store_slot_by_mac(st, "nonsense"), -EINVAL);
    assert_err(pr_store_assign_board(st, 999, "b8:27:eb:00:00:04", "", "", false), -EINVAL, st,
               "no slot 999");

    /* the schema itself refuses, whatever code writes */
    assert_int_equal(store_raw_sql(fx->path, "UPDATE boards SET slot = 1 WHERE mac = '" MAC1 "'"),
                     SQLITE_CONSTRAINT_UNIQUE);
    assert_int_equal(store_raw_sql(fx->path, "INSERT INTO boards (mac, first_seen_ms)"
                                             " VALUES ('B8-27-EB-00-00-05', 1)"),
                     SQLITE_CONSTRAINT_CHECK);
    assert_int_equal(store_raw_sql(fx->path, "UPDATE boards SET slot = 77 WHERE mac = '" MAC1 "'"),
                     SQLITE_CONSTRAINT_FOREIGNKEY);
}

static void test_no_two_slots_share_an_address(void **state)
{
    struct store_fixture *fx = *state;
    const char *clash[] = {
        "UPDATE slots SET v4_pi = (SELECT v4_pi FROM slots WHERE slot = 1) WHERE slot = 2",
        "UPDATE slots SET v4_host = (SELECT v4_host FROM slots WHERE slot = 1) WHERE slot = 2",
        "UPDATE slots SET v6_pi = (SELECT v6_pi FROM slots WHERE slot = 1) WHERE slot = 2",
        "UPDATE slots SET v6_prefix = (SELECT v6_prefix FROM slots WHERE slot = 1) WHERE slot = 2",
        "UPDATE slots SET ssh_port = 22001 WHERE slot = 2",
        "UPDATE slots SET ifname = 'pi001' WHERE slot = 2",
    };
    for (size_t i = 0; i < sizeof(clash) / sizeof(clash[0]); i++)
        assert_int_equal(store_raw_sql(fx->path, clash[i]), SQLITE_CONSTRAINT_UNIQUE);
    assert_int_equal(store_raw_sql(fx->path, "UPDATE slots SET power = 'maybe'"),
                     SQLITE_CONSTRAINT_CHECK);
    assert_int_equal(store_raw_sql(fx->path, "UPDATE slots SET state = 'bogus'"),
                     SQLITE_CONSTRAINT_FOREIGNKEY);

    /* one switch port serves one slot */
    struct pr_store *st = fx->st;
    struct pr_slot_row row;
    assert_int_equal(pr_store_set_slot_switch(st, 1, "sw1", 1), 0);
    assert_err(pr_store_set_slot_switch(st, 2, "sw1", 1), -EEXIST, st,
               "switch sw1 port 1 already serves slot 1");
    assert_int_equal(pr_store_set_slot_switch(st, 2, "sw1", 2), 0);
    assert_int_equal(pr_store_set_slot_switch(st, 3, "sw2", 1), 0);
    assert_err(pr_store_set_slot_switch(st, 4, "sw1", 0), -EINVAL, st,
               "switch port 0 is out of range (1..65535)");
    assert_err(pr_store_set_slot_switch(st, 4, "SW 1", 3), -EINVAL, st,
               "'SW 1' is not a switch name (a lower-case DNS label)");
    assert_err(pr_store_set_slot_switch(st, 9, "sw1", 9), -ENOENT, st, "no slot 9");
    assert_int_equal(pr_store_get_slot(st, 2, &row), 0);
    assert_string_equal(row.switch_name, "sw1");
    assert_int_equal(row.switch_port, 2);
    assert_int_equal(pr_store_set_slot_switch(st, 1, NULL, 0), 0);
    assert_int_equal(pr_store_get_slot(st, 1, &row), 0);
    assert_string_equal(row.switch_name, "");
    assert_int_equal(row.switch_port, 0);
    assert_int_equal(pr_store_set_slot_switch(st, 2, "sw1", 1), 0);
}

static void test_state_and_power(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = fx->st;
    struct pr_slot_row row;

    assert_err(pr_store_set_slot_state(st, 1, "bogus"), -EINVAL, st, "unknown slot state 'bogus'");
    assert_err(pr_store_set_slot_state(st, 999, "off"), -ENOENT, st, "no slot 999");
    assert_err(pr_store_set_slot_power(st, 1, "maybe"), -EINVAL, st,
               "unknown power state 'maybe' (on, off or unknown)");
    assert_err(pr_store_set_slot_power(st, 999, "on"), -ENOENT, st, "no slot 999");

    /* state_since moves only when the state does */
    assert_int_equal(store_raw_sql(fx->path, "UPDATE slots SET state_since = 1"), SQLITE_OK);
    assert_int_equal(pr_store_set_slot_state(st, 1, "off"), 0);
    assert_int_equal(pr_store_get_slot(st, 1, &row), 0);
    assert_int_equal(row.state_since, 1);
    int64_t before = pr_store_now_ms();
    assert_int_equal(pr_store_set_slot_state(st, 1, "powered"), 0);
    assert_int_equal(pr_store_set_slot_power(st, 1, "on"), 0);
    assert_int_equal(pr_store_get_slot(st, 1, &row), 0);
    assert_string_equal(row.state, "powered");
    assert_string_equal(row.power, "on");
    assert_true(row.state_since >= before && row.state_since <= pr_store_now_ms());
}

struct counts {
    char text[256];
};

static int count_cb(const char *key, unsigned count, void *ctx)
{
    struct counts *c = ctx;
    size_t n = strlen(c->text);
    snprintf(c->text + n, sizeof(c->text) - n, "%s=%u ", key, count);
    return 0;
}

static int slot_cb(const struct pr_slot_row *row, void *ctx)
{
    struct counts *c = ctx;
    size_t n = strlen(c->text);
    snprintf(c->text + n, sizeof(c->text) - n, "%u ", row->slot);
    return row->slot == 3 ? 42 : 0;
}

static void test_listing_slots(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = fx->st;
    struct counts c = { "" };

    assert_int_equal(pr_store_set_slot_state(st, 4, "booted"), 0);
    assert_int_equal(pr_store_set_slot_state(st, 2, "failed"), 0);
    assert_int_equal(pr_store_set_slot_state(st, 3, "booted"), 0);
    assert_int_equal(pr_store_count_by_state(st, count_cb, &c), 0);
    assert_string_equal(c.text, "off=1 booted=2 failed=1 ");

    /* in order, and a non-zero return stops the walk and comes back */
    c.text[0] = '\0';
    assert_int_equal(pr_store_each_slot(st, slot_cb, &c), 42);
    assert_string_equal(c.text, "1 2 3 ");

    /* more slots than one page */
    fx->plan.slots = 50;
    assert_int_equal(pr_store_sync_slots(st, &fx->plan), 0);
    c.text[0] = '\0';
    assert_int_equal(pr_store_each_slot(st, slot_cb, &c), 42);
    assert_int_equal(pr_store_slot_count(st), 50);
}

static int add_image(struct pr_store *st, const char *name, const char *boot, const char *root,
                     const char *sha)
{
    static struct pr_image_row row;
    memset(&row, 0, sizeof(row));
    snprintf(row.name, sizeof(row.name), "%s", name);
    snprintf(row.boot_path, sizeof(row.boot_path), "%s", boot);
    snprintf(row.root_path, sizeof(row.root_path), "%s", root);
    snprintf(row.sha, sizeof(row.sha), "%s", sha);
    row.bytes = 1234;
    snprintf(row.models, sizeof(row.models), "3b,4b");
    return pr_store_add_image(st, &row);
}

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static void test_pis(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = fx->st;
    struct pr_slot_row row;

    assert_int_equal(pr_store_add_customer(st, "alice"), 0);
    assert_err(pr_store_add_customer(st, "alice"), -EEXIST, st, "customer alice already exists");
    assert_err(pr_store_add_customer(st, "Alice Smith"), -EINVAL, st,
               "'Alice Smith' is not a customer name (a lower-case DNS label: "
               "a-z, 0-9, '-', at most 63)");
    assert_int_equal(
        add_image(st, "bookworm", "/srv/img/bookworm/boot", "/srv/img/bookworm/root", SHA_A), 0);
    assert_err(add_image(st, "bookworm", "/a", "/b", SHA_A), -EEXIST, st,
               "image bookworm already exists");
    assert_err(add_image(st, "trixie", "relative/boot", "/b", SHA_A), -EINVAL, st,
               "an image's boot and root paths must be absolute "
               "(and shorter than 4096 bytes), its sha 64 hex digits");
    assert_err(add_image(st, "trixie", "/a", "/b", "not-hex"), -EINVAL, st,
               "an image's boot and root paths must be absolute "
               "(and shorter than 4096 bytes), its sha 64 hex digits");
    /* a second name for the same bytes shares the directory */
    assert_int_equal(add_image(st, "bookworm-copy", "/a", "/b", SHA_A), 0);

    assert_int_equal(pr_store_set_pi(st, 2, "web", "alice", "bookworm", "cycle-reimage"), 0);
    assert_int_equal(pr_store_get_slot(st, 2, &row), 0);
    assert_string_equal(row.name, "web");
    assert_string_equal(row.owner, "alice");
    assert_string_equal(row.image, "bookworm");
    assert_string_equal(row.policy, "cycle-reimage");
    /* NULL keeps, "" clears */
    assert_int_equal(pr_store_set_pi(st, 2, NULL, "", NULL, NULL), 0);
    assert_int_equal(pr_store_get_slot(st, 2, &row), 0);
    assert_string_equal(row.name, "web");
    assert_string_equal(row.owner, "");
    assert_string_equal(row.image, "bookworm");

    assert_err(pr_store_set_pi(st, 3, "web", NULL, NULL, NULL), -EEXIST, st,
               "the pi in slot 2 is already called web");
    assert_err(pr_store_set_pi(st, 3, "rack1-001", NULL, NULL, NULL), -EEXIST, st,
               "the pi in slot 1 is already called rack1-001");
    assert_err(pr_store_set_pi(st, 3, "Web_1", NULL, NULL, NULL), -EINVAL, st,
               "'Web_1' is not a pi name (a lower-case DNS label: a-z, 0-9, '-', at most 63)");
    assert_err(pr_store_set_pi(st, 3, NULL, "mallory", NULL, NULL), -EINVAL, st,
               "no customer 'mallory'");
    assert_err(pr_store_set_pi(st, 3, NULL, NULL, "nosuch", NULL), -EINVAL, st,
               "no image 'nosuch'");
    assert_err(pr_store_set_pi(st, 999, "x", NULL, NULL, NULL), -ENOENT, st, "no slot 999");
    /* a customer who owns a pi cannot vanish from under it */
    assert_int_equal(pr_store_set_pi(st, 3, NULL, "alice", NULL, NULL), 0);
    assert_int_equal(store_raw_sql(fx->path, "DELETE FROM customers WHERE name = 'alice'"),
                     SQLITE_CONSTRAINT_FOREIGNKEY);
}

struct image_list {
    char names[4][PR_NAME_MAX];
    unsigned in_use[4];
    unsigned n;
};

static int list_image(const struct pr_image_row *row, void *ctx)
{
    struct image_list *l = ctx;
    if (l->n < 4) {
        snprintf(l->names[l->n], PR_NAME_MAX, "%s", row->name);
        l->in_use[l->n++] = row->in_use;
    }
    return 0;
}

/* An image stays while a pi names it; its directory may go only with
 * the last name for its bytes. */
static void test_images(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = fx->st;
    struct pr_image_row row;
    struct image_list l = { 0 };
    unsigned left = 99;

    assert_int_equal(add_image(st, "trixie", "/i/" SHA_A "/boot", "/i/" SHA_A "/root", SHA_A), 0);
    assert_int_equal(add_image(st, "bookworm", "/i/" SHA_A "/boot", "/i/" SHA_A "/root", SHA_A), 0);
    assert_int_equal(pr_store_set_pi(st, 2, NULL, NULL, "bookworm", NULL), 0);
    assert_int_equal(pr_store_get_image(st, "bookworm", &row), 0);
    assert_string_equal(row.sha, SHA_A);
    assert_string_equal(row.models, "3b,4b");
    assert_int_equal(row.bytes, 1234);
    assert_int_equal(row.in_use, 1);
    assert_int_equal(pr_store_each_image(st, list_image, &l), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.names[0], "bookworm");
    assert_int_equal(l.in_use[0], 1);
    assert_string_equal(l.names[1], "trixie");
    assert_int_equal(l.in_use[1], 0);

    assert_err(pr_store_remove_image(st, "bookworm", &left), -EBUSY, st,
               "image bookworm is in use by 1 pi(s)");
    assert_err(pr_store_remove_image(st, "nosuch", &left), -ENOENT, st, "no image 'nosuch'");
    assert_int_equal(pr_store_remove_image(st, "trixie", &left), 0);
    assert_int_equal(left, 1);
    assert_int_equal(pr_store_set_pi(st, 2, NULL, NULL, "", NULL), 0);
    assert_int_equal(pr_store_remove_image(st, "bookworm", &left), 0);
    assert_int_equal(left, 0);
    assert_err(pr_store_get_image(st, "bookworm", &row), -ENOENT, st, "no image 'bookworm'");
}

struct seen {
    char text[512];
    struct pr_store *st;
};

static int event_cb(const struct pr_event_row *row, void *ctx)
{
    struct seen *s = ctx;
    struct pr_slot_row slot;
    size_t n = strlen(s->text);
    snprintf(s->text + n, sizeof(s->text) - n, "%u:%s ", row->slot, row->kind);
    /* the store may be used from inside the walk */
    if (row->slot > 0)
        assert_int_equal(pr_store_get_slot(s->st, row->slot, &slot), 0);
    return 0;
}

static void test_events(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = fx->st;
    struct seen s = { "", st };

    int64_t first = pr_store_add_event(st, 0, "rack.start", "pirackd", NULL);
    assert_true(first > 0);
    int64_t t0 = pr_store_now_ms();
    assert_true(pr_store_add_event(st, 1, "power.on", "ops", "{\"port\":1}") > first);
    assert_true(pr_store_add_event(st, 2, "dhcp.offer", "pirackd", NULL) > 0);
    assert_true(pr_store_add_event(st, 1, "tftp.file", "pirackd", "{\"path\":\"start.elf\"}") > 0);

    assert_int_equal(pr_store_each_event(st, 1, false, 0, 0, event_cb, &s), 0);
    assert_string_equal(s.text, "1:power.on 1:tftp.file ");
    s.text[0] = '\0';
    assert_int_equal(pr_store_each_event(st, 0, true, 0, 0, event_cb, &s), 0);
    assert_string_equal(s.text, "0:rack.start ");
    s.text[0] = '\0';
    assert_int_equal(pr_store_each_event(st, 0, false, first, 2, event_cb, &s), 0);
    assert_string_equal(s.text, "1:power.on 2:dhcp.offer ");
    assert_err(pr_store_each_event(st, 999, false, 0, 0, event_cb, &s), -ENOENT, st, "no slot 999");

    /* times are unix ms */
    assert_int_equal(store_raw_int(fx->path, "SELECT count(*) FROM events"
                                             " WHERE time_ms >= 1700000000000"),
                     4);
    assert_true(store_raw_int(fx->path, "SELECT max(time_ms) FROM events") >= t0);

    /* refusals */
    assert_err(pr_store_add_event(st, 999, "boot.up", "pirackd", NULL), -EINVAL, st, "no slot 999");
    assert_err(pr_store_add_event(st, 1, "Boot Up", "pirackd", NULL), -EINVAL, st,
               "'Boot Up' is not an event kind (a-z, 0-9, '.', '_', '-', at most 31)");
    assert_err(pr_store_add_event(st, 1, "boot.up", "", NULL), -EINVAL, st,
               "an event's actor has 1 to 63 bytes");
    assert_err(pr_store_add_event(st, 1, "boot.up", "pirackd", "[1,2]"), -EINVAL, st,
               "an event's detail is a JSON object of at most 1023 bytes");
    assert_int_equal(pr_store_add_event(st, 1, "boot.up", "pirackd", "{nope"), -EINVAL);
    char big[1100];
    memset(big, 'x', sizeof(big));
    memcpy(big, "{\"a\":\"", 6);
    strcpy(big + sizeof(big) - 3, "\"}");
    assert_int_equal(pr_store_add_event(st, 1, "boot.up", "pirackd", big), -EINVAL);

    /* append-only: no update, no delete, not even by raw SQL */
    assert_int_equal(store_raw_sql(fx->path, "UPDATE events SET kind = 'forged'"),
                     SQLITE_CONSTRAINT_TRIGGER);
    assert_int_equal(store_raw_sql(fx->path, "DELETE FROM events WHERE slot = 1"),
                     SQLITE_CONSTRAINT_TRIGGER);
    assert_int_equal(store_raw_sql(fx->path, "DELETE FROM events WHERE slot IS NULL"),
                     SQLITE_CONSTRAINT_TRIGGER);
    assert_int_equal(store_count_events(st, 0), 4);
}

static int detail_cb(const struct pr_event_row *row, void *ctx)
{
    *(struct pr_event_row *)ctx = *row;
    return 0;
}

static void test_event_paging(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = fx->st;
    struct pr_event_row row;

    /* more events than a page, interleaved between two slots */
    for (int i = 0; i < 100; i++)
        assert_true(pr_store_add_event(st, 1 + (unsigned)(i % 2), "tick", "test", NULL) > 0);
    assert_int_equal(store_count_events(st, 0), 100);
    assert_int_equal(store_count_events(st, 1), 50);
    assert_int_equal(pr_store_each_event(st, 2, false, 0, 40, detail_cb, &row), 0);
    assert_int_equal(row.slot, 2);
    assert_int_equal(row.id, 80); /* the 40th event of slot 2 */
    assert_int_equal(pr_store_each_event(st, 0, false, 60, 0, detail_cb, &row), 0);
    assert_int_equal(row.id, 100);

    int64_t id = pr_store_add_event(st, 3, "power.on", "customer:alice",
                                    "{\"port\": 3, \"why\": \"r\\u00e9boot\"}");
    assert_int_equal(pr_store_each_event(st, 3, false, 0, 0, detail_cb, &row), 0);
    assert_int_equal(row.id, id);
    assert_int_equal(row.slot, 3);
    assert_string_equal(row.kind, "power.on");
    assert_string_equal(row.actor, "customer:alice");
    assert_string_equal(row.detail, "{\"port\": 3, \"why\": \"r\\u00e9boot\"}");
    assert_true(row.time_ms > 1700000000000);
}

struct ops {
    char text[256];
};

static int op_cb(const struct pr_power_op *op, void *ctx)
{
    struct ops *o = ctx;
    size_t n = strlen(o->text);
    snprintf(o->text + n, sizeof(o->text) - n, "%u:%s:%s:%s ", op->slot, op->action, op->phase,
             op->actor);
    return 0;
}

static void test_power_ops(void **state)
{
    struct store_fixture *fx = *state;
    struct pr_store *st = fx->st;
    struct ops o = { "" };

    int64_t a = pr_store_power_op_begin(st, 1, "cycle", "ops");
    int64_t b = pr_store_power_op_begin(st, 2, "on", "policy");
    int64_t c = pr_store_power_op_begin(st, 3, "off", "customer:alice");
    assert_true(a > 0 && b > a && c > b);
    char want[128];
    snprintf(want, sizeof(want),
             "slot 1 already has a power operation in flight (#%lld, cycle, pending)",
             (long long)a);
    assert_err((int)pr_store_power_op_begin(st, 1, "on", "ops"), -EEXIST, st, want);
    assert_err((int)pr_store_power_op_begin(st, 999, "on", "ops"), -EINVAL, st, "no slot 999");
    assert_err((int)pr_store_power_op_begin(st, 4, "toggle", "ops"), -EINVAL, st,
               "'toggle' is not a power action (on, off or cycle)");

    assert_int_equal(pr_store_power_op_phase(st, a, "off-sent"), 0);
    assert_int_equal(pr_store_power_op_phase(st, a, "holding"), 0);
    assert_err(pr_store_power_op_phase(st, a, "done"), -EINVAL, st,
               "not a phase of a running power operation (pending, off-sent, holding, "
               "on-sent; finish ends one)");
    assert_int_equal(pr_store_power_op_phase(st, a, "sideways"), -EINVAL);
    assert_err(pr_store_power_op_phase(st, 9999, "holding"), -ENOENT, st,
               "no power operation #9999");
    assert_int_equal(pr_store_power_op_finish(st, b, true, "port 2 on"), 0);
    snprintf(want, sizeof(want), "power operation #%lld is already finished", (long long)b);
    assert_err(pr_store_power_op_phase(st, b, "pending"), -EINVAL, st, want);
    assert_err(pr_store_power_op_finish(st, b, false, NULL), -EINVAL, st, want);
    assert_int_equal(pr_store_power_op_finish(st, 9999, true, NULL), -ENOENT);

    /* a restart finds the interrupted ones, in order */
    pr_store_close(st);
    store_fixture_reopen(fx);
    assert_int_equal(pr_store_each_unfinished_power_op(fx->st, op_cb, &o), 0);
    assert_string_equal(o.text, "1:cycle:holding:ops 3:off:pending:customer:alice ");
    /* a finished slot may start again */
    assert_true(pr_store_power_op_begin(fx->st, 2, "off", "ops") > c);
    assert_int_equal(pr_store_power_op_finish(fx->st, a, false, "switch timed out"), 0);
    assert_int_equal(store_raw_int(fx->path,
                                   "SELECT count(*) FROM power_ops WHERE phase = 'failed'"
                                   " AND result = 'switch timed out' AND finished_ms > 0"),
                     1);
    assert_int_equal(
        store_raw_sql(fx->path, "UPDATE power_ops SET phase = 'pending' WHERE phase = 'done'"),
        SQLITE_CONSTRAINT_TRIGGER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, store_fixture_setup, store_fixture_teardown)
        T(test_board_in_one_slot_only),
        T(test_no_two_slots_share_an_address),
        T(test_state_and_power),
        T(test_listing_slots),
        T(test_pis),
        T(test_images),
        T(test_events),
        T(test_event_paging),
        T(test_power_ops),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
