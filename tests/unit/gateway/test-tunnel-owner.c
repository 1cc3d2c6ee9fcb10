/* test-tunnel-owner.c — vmconsole-tunnel-check's pure parts: the listeners
 * of a port in /proc/net/tcp and tcp6 text (at and past the bound), the
 * parent pid and status fields, the sshd paths, the port grammar. */
#include <glib.h>
#include <string.h>

#include "tunnel-owner.h"

static const char tcp[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n"
    "   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        "
    "0 1066 1 0000000000000000 100 0 0 10 0\n"
    "   1: 0100007F:9617 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1004        "
    "0 810617 1 0000000000000000 100 0 0 10 0\n"
    /* an established connection on the same port: not a listener */
    "   2: 0100007F:9617 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1004        "
    "0 810700 1 0000000000000000 20 4 30 10 -1\n";

static const char tcp6[] =
    "  sl  local_address                         remote_address                        st "
    "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000000000000000000001000000:9617 00000000000000000000000000000000:0000 0A "
    "00000000:00000000 00:00000000 00000000  1004        0 810616 1 0000000000000000 100 0 0 "
    "10 0\n";

static void
test_listeners(void)
{
    unsigned long inodes[VMC_TUNNEL_LISTENERS_MAX];
    size_t n = 0;
    g_assert_cmpint(vmc_tunnel_listeners(tcp, strlen(tcp), 0x9617, inodes, 4, &n), ==, 0);
    g_assert_cmpint(vmc_tunnel_listeners(tcp6, strlen(tcp6), 0x9617, inodes, 4, &n), ==, 0);
    g_assert_cmpuint(n, ==, 2);
    g_assert_cmpuint(inodes[0], ==, 810617);
    g_assert_cmpuint(inodes[1], ==, 810616);
    n = 0;
    g_assert_cmpint(vmc_tunnel_listeners(tcp, strlen(tcp), 2024, inodes, 4, &n), ==, 0);
    g_assert_cmpuint(n, ==, 1);
    n = 0;
    g_assert_cmpint(vmc_tunnel_listeners(tcp, strlen(tcp), 47113, inodes, 4, &n), ==, 0);
    g_assert_cmpuint(n, ==, 0); /* nobody: not ours */
    /* at the bound: max listeners fit; one more is an error, never a cut list */
    n = 0;
    g_assert_cmpint(vmc_tunnel_listeners(tcp, strlen(tcp), 0x9617, inodes, 1, &n), ==, 0);
    g_assert_cmpint(vmc_tunnel_listeners(tcp6, strlen(tcp6), 0x9617, inodes, 1, &n), ==, -1);
    /* damaged text */
    static const char *const bad[] = {
        "header\n   0: 0100007F:9617\n",
        "header\n   0: 0100007F9617 00000000:0000 0A a b c d e 1\n",
        "header\n   0: 0100007F:96G7 00000000:0000 0A a b c d e 1\n",
        "header\n   0: 0100007F:9617 00000000:0000 0A a b c d e -1\n",
        "header\n   0: 0100007F:9617 00000000:0000 0A a b c d e 123456789012345678901\n",
        "no newline at all",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        n = 0;
        if (vmc_tunnel_listeners(bad[i], strlen(bad[i]), 0x9617, inodes, 4, &n) != -1)
            g_error("bad case %zu accepted", i);
    }
    n = 0;
    g_assert_cmpint(vmc_tunnel_listeners("", 0, 1, inodes, 4, &n), ==, 0);
}

static void
test_proc_fields(void)
{
    static const char stat[] = "25200 (sshd) S 25157 25200 25200 0 -1 4194560 ...\n";
    g_assert_cmpint(vmc_tunnel_stat_ppid(stat, strlen(stat)), ==, 25157);
    /* a command name holding ") R 1 " cannot fake the parent */
    static const char tricky[] = "4242 (evil) R 1 (x) S 77 4242 0\n";
    g_assert_cmpint(vmc_tunnel_stat_ppid(tricky, strlen(tricky)), ==, 77);
    g_assert_cmpint(vmc_tunnel_stat_ppid("4242 (x)", 8), ==, -1);
    g_assert_cmpint(vmc_tunnel_stat_ppid("no paren", 8), ==, -1);
    static const char status[] = "Name:\tsshd\nUmask:\t0022\nUid:\t1004\t1004\t1004\t1004\n"
                                 "FDSize:\t64\nGid:\t1004\n";
    g_assert_cmpint(vmc_tunnel_status_field(status, strlen(status), "Uid"), ==, 1004);
    g_assert_cmpint(vmc_tunnel_status_field(status, strlen(status), "FDSize"), ==, 64);
    g_assert_cmpint(vmc_tunnel_status_field(status, strlen(status), "Gid"), ==, 1004);
    g_assert_cmpint(vmc_tunnel_status_field(status, strlen(status), "Pid"), ==, -1);
    g_assert_cmpint(vmc_tunnel_status_field("Uid:\t-1\n", 8, "Uid"), ==, -1);
}

static void
test_names_and_ports(void)
{
    g_assert_true(vmc_tunnel_is_sshd("/usr/sbin/sshd"));
    g_assert_true(vmc_tunnel_is_sshd("/usr/lib/openssh/sshd-session"));
    g_assert_false(vmc_tunnel_is_sshd("/tmp/sshd"));
    g_assert_false(vmc_tunnel_is_sshd("/usr/sbin/sshd (deleted)"));
    g_assert_false(vmc_tunnel_is_sshd(NULL));
    static const struct {
        const char *text;
        long want;
    } ports[] = {{"1", 1},   {"65535", 65535}, {"65536", -1},  {"0", -1},    {"01", -1},
                 {"+1", -1}, {"", -1},         {"123456", -1}, {"4713 ", -1}};
    for (gsize i = 0; i < G_N_ELEMENTS(ports); i++)
        g_assert_cmpint(vmc_tunnel_parse_port(ports[i].text), ==, ports[i].want);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tunnel-owner/listeners", test_listeners);
    g_test_add_func("/tunnel-owner/proc-fields", test_proc_fields);
    g_test_add_func("/tunnel-owner/names-and-ports", test_names_and_ports);
    return g_test_run();
}
