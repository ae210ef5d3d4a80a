/*
 * A QEMU TCG plugin that counts the guest instructions executed, for
 * `insn-per-request.sh`. Commands are bytes written to the FIFO named by
 * its `ctl=` argument; answers are appended to the file named by `out=`:
 *   any byte but 'r' and 'd'  "insns <count>\n"
 *   'r'                       zeroes the profile
 *   'd'                       the profile: "<pc> <insns> <runs>\n" per
 *                             translated block run since the last 'r',
 *                             then "end\n"
 * The profile (a count per translated block) is kept only with the
 * argument `profile=on`. So a script can read the count before and after a
 * batch of requests without stopping the guest. (Not a signal: QEMU uses
 * SIGUSR1 itself.)
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id,
                                               struct qemu_plugin_tb *tb);
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index,
                                            void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                           qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
                                              enum qemu_plugin_op op,
                                              void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
                                          qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags,
                                          void *userdata);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* One vCPU (mps2-an386 is a single Cortex-M4): a plain counter is exact. */
static volatile uint64_t insns;
static int out_fd = -1;
static const char *ctl_path;

/* The profile: one entry per translation, in a list built at translation
 * time (a block translated twice has two entries; the script adds them). */
struct block {
    uint64_t pc;
    uint64_t n_insns;
    volatile uint64_t runs;
    struct block *next;
};
static int profiling;
static struct block *volatile blocks;
static pthread_mutex_t blocks_lock = PTHREAD_MUTEX_INITIALIZER;

static void block_ran(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    ((struct block *)udata)->runs++;
}

static void profile_reset(void)
{
    struct block *b;

    pthread_mutex_lock(&blocks_lock);
    for (b = blocks; b != NULL; b = b->next) {
        b->runs = 0;
    }
    pthread_mutex_unlock(&blocks_lock);
}

static void profile_dump(void)
{
    struct block *b;
    char line[80];
    int n;

    pthread_mutex_lock(&blocks_lock);
    for (b = blocks; b != NULL; b = b->next) {
        if (b->runs != 0) {
            n = snprintf(line, sizeof(line), "%llx %llu %llu\n",
                         (unsigned long long)b->pc,
                         (unsigned long long)b->n_insns,
                         (unsigned long long)b->runs);
            (void)write(out_fd, line, (size_t)n);
        }
    }
    pthread_mutex_unlock(&blocks_lock);
    (void)write(out_fd, "end\n", 4);
}

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
            if (c == 'r') {
                profile_reset();
            } else if (c == 'd') {
                profile_dump();
            } else {
                report();
            }
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
    if (profiling) {
        struct block *b = calloc(1, sizeof(*b));
        if (b != NULL) {
            b->pc = qemu_plugin_tb_vaddr(tb);
            b->n_insns = qemu_plugin_tb_n_insns(tb);
            pthread_mutex_lock(&blocks_lock);
            b->next = blocks;
            blocks = b;
            pthread_mutex_unlock(&blocks_lock);
            qemu_plugin_register_vcpu_tb_exec_cb(tb, block_ran,
                                                 QEMU_PLUGIN_CB_NO_REGS, b);
        }
    }
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
        } else if (strcmp(argv[i], "profile=on") == 0) {
            profiling = 1;
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
