/*
 * A QEMU TCG plugin that counts the guest instructions executed, for
 * `insn-per-request.sh`: for every byte written to the FIFO named by its
 * `ctl=` argument it appends "insns <count>\n" to the file named by `out=`,
 * so a script can read the count before and after a batch of requests
 * without stopping the guest. (Not a signal: QEMU uses SIGUSR1 itself.)
 *
 * Built against QEMU's documented plugin API (docs/devel/tcg-plugins.rst,
 * API version 1, QEMU 5.x to 8.1: Debian 12 ships 7.2). The few declarations
 * it needs are written out here because Debian does not package
 * qemu-plugin.h.
 *
 *   gcc -shared -fPIC -O2 -o insn-count.so insn-count.c
 *   mkfifo /tmp/ctl
 *   qemu-system-arm ... -plugin file=./insn-count.so,ctl=/tmp/ctl,out=/tmp/n
 *   printf x > /tmp/ctl; tail -1 /tmp/n
 */
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id,
                                               struct qemu_plugin_tb *tb);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                           qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
                                              enum qemu_plugin_op op,
                                              void *ptr, uint64_t imm);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* One vCPU (mps2-an386 is a single Cortex-M4): a plain counter is exact. */
static volatile uint64_t insns;
static int out_fd = -1;
static const char *ctl_path;

static void report(void)
{
    char buf[32];
    char digits[24];
    uint64_t v = insns;
    int n = 0;
    size_t len = 0;

    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0 && n < (int)sizeof(digits));
    memcpy(buf, "insns ", 6);
    len = 6;
    while (n > 0) {
        buf[len++] = digits[--n];
    }
    buf[len++] = '\n';
    if (out_fd >= 0) {
        (void)write(out_fd, buf, len);
    }
}

/* Answers every byte written to the control FIFO with one report. */
static void *control(void *arg)
{
    char c;

    (void)arg;
    for (;;) {
        int fd = open(ctl_path, O_RDONLY);
        if (fd < 0) {
            return NULL;
        }
        while (read(fd, &c, 1) == 1) {
            report();
        }
        close(fd);
    }
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
                                             (void *)&insns,
                                             qemu_plugin_tb_n_insns(tb));
}

__attribute__((visibility("default"))) int
qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                    char **argv)
{
    pthread_t t;
    int i;

    (void)info;
    for (i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) == 0) {
            out_fd = open(argv[i] + 4, O_WRONLY | O_CREAT | O_APPEND, 0644);
        } else if (strncmp(argv[i], "ctl=", 4) == 0) {
            ctl_path = argv[i] + 4;
        }
    }
    if (out_fd < 0 || ctl_path == NULL) {
        return -1;
    }
    if (pthread_create(&t, NULL, control, NULL) != 0) {
        return -1;
    }
    pthread_detach(t);
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    return 0;
}
