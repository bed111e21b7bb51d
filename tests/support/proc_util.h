/* Helpers for integration tests: start a sample and read its ground truth, run the vmmap binary and
 * capture what it says, read snapshot JSON, read /proc counters.
 *
 * Every function reports failure by its return value (0 = ok, -1 = failed, with a message in the
 * pu_last_error() buffer); none calls a cmocka assertion, so they are usable from setup/teardown
 * code and from any test binary.  Processes started here are our own children and are only ever
 * signalled by their pid.  Children get PR_SET_PDEATHSIG(SIGKILL) so a crashing test leaves none
 * behind.
 */
#ifndef VMMAP_TESTS_SUPPORT_PROC_UTIL_H
#define VMMAP_TESTS_SUPPORT_PROC_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

/* The message of the last failure of a pu_* function (thread-local is not needed: tests are
 * single-threaded). */
const char *pu_last_error(void);
/* Sets that message (for the other helpers of tests/support); returns -1. */
int pu_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* getenv("VMMAP_BUILD"), or "build". */
const char *pu_build_dir(void);
/* "<build dir>/<rel>" in a malloc'd string (NULL when out of memory). */
char *pu_build_path(const char *rel);

/* ---- a started program with its stdin/stdout on pipes (samples, `sleep`) ---- */
typedef struct pu_child {
    pid_t pid;        /* 0 when not running / reaped */
    int stdin_fd;     /* write end of the child's stdin, -1 when closed */
    int stdout_fd;    /* read end of the child's stdout, -1 when closed */
    char *first_line; /* first line the child printed (without the newline), or NULL */
    cJSON *truth;     /* first_line parsed as JSON (pu_sample_start), or NULL */
    int status;       /* waitpid status once reaped */
    bool reaped;
} pu_child;

/* Starts argv[0] (a path) with argv; its stdin and stdout are pipes to us, stderr is inherited.
 * Does not read anything. */
int pu_child_start(pu_child *c, char *const argv[]);

/* Reads the child's first stdout line into c->first_line, waiting up to timeout_ms. */
int pu_child_read_line(pu_child *c, int timeout_ms);

/* Starts a sample (argv[0] a path) and waits up to timeout_ms for its ground truth line, which
 * must parse as a JSON object (c->truth). On failure the child is killed and reaped. */
int pu_sample_start(pu_child *c, char *const argv[], int timeout_ms);

/* Starts `sleep SECONDS` (/usr/bin/sleep or /bin/sleep) and waits until the child runs it (its
 * exe names sleep, not the test between fork and exec), then 50 ms more (past the loader). */
int pu_sleep_start(pu_child *c, const char *seconds);

/* Ends the child gently: closes its stdin, waits up to timeout_ms/2, then SIGTERM and waits the
 * rest, then SIGKILL.  Always reaps it and closes the pipes; frees first_line/truth.  Returns 0
 * when the child exited with status 0 on its own or after SIGTERM, -1 otherwise.
 * If the ground truth names a file ("file_mapping"."path") that still exists afterwards (the child
 * was killed before it could clean up), it is removed.  Safe to call twice and on a zeroed struct. */
int pu_child_stop(pu_child *c, int timeout_ms);

/* SIGKILL the child (ours, by pid) and reap it; then like pu_child_stop's cleanup. */
void pu_child_kill(pu_child *c);

/* ---- running a program and capturing its output (the vmmap binary) ---- */
typedef struct pu_run_opts {
    const char *env_name;   /* optional extra environment variable (replaces one of that name) */
    const char *env_value;
    bool as_nobody;         /* setgroups(0)/setresgid/setresuid(65534) in the child before exec */
    int timeout_ms;         /* 0: 60 s.  On timeout the program is killed and timed_out set. */
} pu_run_opts;

typedef struct pu_proc {
    pid_t pid;
    int out_fd, err_fd;
    int exec_fd;            /* CLOEXEC pipe: the child writes errno here when exec fails */
} pu_proc;

typedef struct pu_run_result {
    int exit_code;          /* exit status, or -1 when killed by a signal */
    int term_signal;        /* the signal, when killed */
    bool timed_out;
    int exec_errno;         /* non-zero: the program could not be started (or privileges not dropped) */
    char *out;              /* NUL-terminated stdout (malloc'd, never NULL after success) */
    size_t out_len;
    char *err;              /* NUL-terminated stderr */
    size_t err_len;
    long max_rss_kb;        /* the program's peak resident set (ru_maxrss), 0 when not reaped */
} pu_run_result;

/* Starts argv (argv[0] a path) with stdout/stderr captured; pair with pu_proc_collect. */
int pu_proc_spawn(pu_proc *p, char *const argv[], const pu_run_opts *opts);
/* Reads stdout/stderr until both close, then reaps.  Kills the program after timeout_ms (0: 60 s). */
int pu_proc_collect(pu_proc *p, int timeout_ms, pu_run_result *r);
/* spawn + collect. */
int pu_run(char *const argv[], const pu_run_opts *opts, pu_run_result *r);
/* pu_run with the program and its arguments one by one, ending with (char *)NULL (at most
 * PU_RUNL_MAX of them; more are dropped); pu_runv the same from a va_list. */
#define PU_RUNL_MAX 31
int pu_runl(pu_run_result *r, const pu_run_opts *opts, const char *arg0, ...);
int pu_runv(pu_run_result *r, const pu_run_opts *opts, const char *arg0, va_list ap);
void pu_run_result_free(pu_run_result *r);
/* pu_runl of the vmmap binary (<build dir>/vmmap) with the arguments, ending with (char *)NULL. */
int pu_vmmap(pu_run_result *r, const pu_run_opts *opts, const char *arg1, ...);
int pu_vmmapv(pu_run_result *r, const pu_run_opts *opts, const char *arg1, va_list ap);
/* The same, the result by value for a test to check at once; when vmmap cannot be run at all,
 * exit_code is -1 and err (never NULL) says why. */
pu_run_result pu_vmmap_result(const char *arg1, ...);
/* /bin/sh -c cmd, for redirections (`vmmap show X > full-device`). */
int pu_run_shell(const char *cmd, pu_run_result *r);
/* `build/vmmap snapshot --self -q -o path`: a snapshot for a test to read; 0 when it was written. */
int pu_snapshot_self(const char *path);
/* A cmocka group setup's usual start: a new temporary directory into dir and pu_snapshot_self
 * of "self.json" in it into snap (its path); 0, or -1 with the reason on stderr. */
int pu_tempdir_with_self_snapshot(char *dir, size_t dirlen, char *snap, size_t snaplen);
/* `build/vmmap snapshot PID -o path -q [extra1 [extra2]]` run with opts (NULL: defaults), loaded
 * and the file removed; NULL with pu_last_error() when it failed. */
cJSON *pu_snapshot_pid(pid_t pid, const char *path, const char *extra1, const char *extra2, const pu_run_opts *opts);
/* A snapshot of the bundled sample (build/samples/sample, started and stopped here) with the
 * extra snapshot option (NULL: none), e.g. "--heap-blocks": glibc heaps whatever vmmap is built
 * with (a sanitizer build's own heaps are not glibc's).  0 when it was written. */
int pu_snapshot_sample(const char *path, const char *option);

/* ---- JSON ---- */
/* Reads and parses a JSON file; NULL on failure (see pu_last_error). */
cJSON *pu_json_load(const char *path);
/* Parses "0x..." (lowercase or uppercase hex) into *out; 0 on success. */
int pu_parse_hex(const char *s, uint64_t *out);
/* Hex string member `key` of obj as a number; 0 on success. */
int pu_json_hex(const cJSON *obj, const char *key, uint64_t *out);
/* Integer member `key` of obj; 0 on success (fails on null or non-number). */
int pu_json_u64(const cJSON *obj, const char *key, uint64_t *out);
/* String member `key`, or NULL. */
const char *pu_json_str(const cJSON *obj, const char *key);

/* The block of regions[].blocks[] whose [address, address+size) contains addr, or NULL; the region
 * holding it is stored in *region_out when region_out is not NULL. */
const cJSON *pu_snapshot_find_block(const cJSON *snap, uint64_t addr, const cJSON **region_out);
/* The region of regions[] containing addr, or NULL. */
const cJSON *pu_snapshot_find_region(const cJSON *snap, uint64_t addr);
/* heaps[] entry whose "id" equals id, or NULL. */
const cJSON *pu_snapshot_heap(const cJSON *snap, int64_t id);
/* heaps[] entry linked from a block's "heap": {"id": ...}, or NULL. */
const cJSON *pu_snapshot_block_heap(const cJSON *snap, const cJSON *block);
/* modules[index] linked from a block's "module", or NULL. */
const cJSON *pu_snapshot_block_module(const cJSON *snap, const cJSON *block);
/* A module's sections[] entry named name, or NULL. */
const cJSON *pu_module_section(const cJSON *module, const char *name);

/* Removes from a snapshot what may differ between two captures of a process that holds still:
 * the time, and what depends on which other processes map the same pages at that moment (vmmap
 * itself maps libc; so does every process the test suite starts): Pss, and how the resident
 * pages split into private (mapped once) and shared. */
void pu_snapshot_drop_volatile(cJSON *snap);

/* Sums of a counter over every block of every region.  Returns -1 (and names the block in
 * pu_last_error) when a block lacks the counter or has it null. */
int pu_snapshot_sum(const cJSON *snap, const char *counter, uint64_t *sum);

/* ---- /proc ---- */
typedef struct pu_rollup {
    uint64_t rss, pss, private_clean, private_dirty, swap; /* smaps_rollup, bytes */
    /* Sum of the per-mapping "Pss:" lines of /proc/PID/smaps, read right after the rollup, in bytes.
     * It differs from the rollup's Pss: the rollup sums exact (sub-kB) Pss and truncates once, each
     * smaps line is truncated to kB, so rollup - sum lies in [0, nmaps) kB. */
    uint64_t pss_smaps_sum;
    uint64_t nmaps; /* mappings in that smaps read */
} pu_rollup;

/* Reads /proc/PID/smaps_rollup (values converted from kB to bytes), then /proc/PID/smaps for
 * pss_smaps_sum and nmaps. */
int pu_read_smaps_rollup(pid_t pid, pu_rollup *r);
/* Reads one "Name:   N kB" field of a /proc file into bytes. */
int pu_read_kb_field(const char *path, const char *name, uint64_t *bytes);

/* One mapping of /proc/PID/smaps: its range and the counters the tests compare, in bytes. */
typedef struct pu_smaps_map {
    uint64_t start, end;
    char name[256];       /* the pathname or pseudo-name, "" for none */
    uint64_t rss, pss, swap, private_clean, private_dirty;
} pu_smaps_map;

/* Every mapping of /proc/PID/smaps, parsed by hand (not by vmmap's parser: this is what vmmap's
 * figures are checked against).  *v is malloc'd. */
int pu_read_smaps(pid_t pid, pu_smaps_map **v, size_t *n);

/* A pid that is not in use now (scanning down from pid_max - 1); 0 when none found. */
pid_t pu_find_free_pid(void);

/* ---- files ---- */
/* Makes a fresh private directory under /tmp (template vmmap-test-XXXXXX) into buf. */
int pu_tempdir(char *buf, size_t len);
/* Number of entries in dir other than . and .., or -1. */
int pu_dir_count(const char *dir);
/* Removes the regular files directly inside dir, then dir. */
int pu_tempdir_remove(const char *dir);
/* Removes dir and everything below it (rm -rf: a test's own directory, with what it built). */
int pu_tempdir_remove_tree(const char *dir);
/* "../shared/testdata/REL" (the real-world files, docs/testing.md), or NULL after printing the
 * skip message when the file is absent (a user's clone has none): `if (!p) skip();`.  The path
 * is valid until the next call. */
const char *pu_testdata(const char *rel);
bool pu_file_exists(const char *path);
/* Whole file into a malloc'd NUL-terminated buffer; NULL on failure. */
char *pu_read_file(const char *path, size_t *len);

/* Milliseconds on the monotonic clock; a sleep helper. */
int64_t pu_now_ms(void);
void pu_sleep_ms(int ms);

#endif
