/*
 * spawn.c: the only C in Berth. It covers the stretch between clone() and execve() where a copy
 * of a multithreaded .NET process must not run managed code (DESIGN.md: such a child can wait
 * forever for a garbage collection that never happens in the copy). Everything here is plain
 * system calls on memory prepared by the managed caller: no malloc, no locks, no stdio.
 *
 * Two entry points:
 *   berth_spawn()       clone a child into new and/or joined namespaces, optionally make it wait
 *                       for the parent's "go" (uid/gid maps written, cgroup joined), then either
 *                       execve a program or run berth_final_exec() in it.
 *   berth_final_exec()  the last steps of a container process on the calling thread: working
 *                       directory, rlimits, user and groups, capabilities, no_new_privs, seccomp,
 *                       execve with a PATH search in the container's environment. Used by the
 *                       init stage (managed, a freshly executed process) and by `exec` (a cloned
 *                       child, through berth_spawn).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

/* Steps, reported with errno when one fails (BerthNative.cs has the same numbers). */
enum {
    STEP_CLONE = 1, STEP_SETNS, STEP_UNSHARE_TIME, STEP_TIME_OFFSETS, STEP_WAIT_GO,
    STEP_BECOME_ROOT, STEP_FD_MAP, STEP_CHDIR, STEP_RLIMIT, STEP_UMASK, STEP_SETGROUPS, STEP_SETGID,
    STEP_SETUID, STEP_BOUNDING, STEP_CAPSET, STEP_AMBIENT, STEP_NO_NEW_PRIVS, STEP_SECCOMP,
    STEP_SECCOMP_LISTENER, STEP_EXEC, STEP_CONSOLE, STEP_SETSID, STEP_PERSONALITY, STEP_CLOSE_FDS
};

struct berth_rlimit {
    int32_t resource;
    uint64_t soft, hard;
};

struct berth_final {
    const char *cwd;                 /* NULL: leave as is */
    int32_t set_user;                /* 0: keep the current uid/gid/groups */
    uint32_t uid, gid;
    const uint32_t *groups;
    int32_t ngroups;                 /* -1: do not call setgroups */
    int32_t set_caps;
    int32_t last_cap;
    uint64_t cap_bounding, cap_effective, cap_permitted, cap_inheritable, cap_ambient;
    int32_t no_new_privs;
    const struct sock_filter *seccomp;
    int32_t seccomp_len;             /* 0: no filter */
    uint32_t seccomp_flags;
    int32_t seccomp_listener_socket; /* where to send a SECCOMP_FILTER_FLAG_NEW_LISTENER fd, or -1 */
    const struct berth_rlimit *rlimits;
    int32_t nrlimits;
    int32_t umask;                   /* -1: leave */
    int32_t console_socket;          /* -1: no terminal; else make a pty and send the master here */
    uint16_t console_rows, console_cols;
    int32_t setsid;
    int32_t personality;             /* -1: leave */
    int32_t cloexec_from;            /* fds from this one up are closed by the execve; -1: leave */
};

struct berth_spawn_request {
    const char *path;                /* program to execve (init path), or argv[0] to search */
    char *const *argv;
    char *const *envp;
    uint64_t clone_flags;            /* CLONE_NEW* created by the clone (not TIME, not CGROUP) */
    const int32_t *join_fds;         /* namespace fds to setns() in this order (user first) */
    int32_t join_count;
    int32_t unshare_time;            /* a new time namespace, offsets written before anyone enters */
    const char *time_offsets;        /* the text for /proc/self/timens_offsets, or NULL */
    int32_t go_fd;                   /* the child reads one byte here before its last steps; -1 */
    int32_t become_root;             /* after the go: uid/gid 0 in its new user namespace */
    const int32_t *fd_map;           /* pairs (from, to) */
    int32_t fd_map_count;
    const struct berth_final *final; /* NULL: plain execve of path */
};

struct report {
    int32_t kind; /* 1: pid, 2: error */
    int32_t a, b; /* pid | step, errno */
};

static void write_report(int fd, int32_t kind, int32_t a, int32_t b)
{
    struct report r = { kind, a, b };
    ssize_t n;
    do n = write(fd, &r, sizeof r); while (n < 0 && errno == EINTR);
}

static _Noreturn void fail(int fd, int step, int err)
{
    write_report(fd, 2, step, err);
    _exit(127);
}

static long raw_clone(uint64_t flags)
{
    /* fork semantics: no new stack, so the child continues on a copy of ours */
    return syscall(SYS_clone, (unsigned long)flags, NULL, NULL, NULL, 0UL);
}

/* Default dispositions and an empty mask, so the program starts as after a fresh fork+exec. */
static void reset_signals(void)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < _NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP || (sig >= 32 && sig < SIGRTMIN))
            continue;
        sigaction(sig, &dfl, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static int send_fd(int sock, int fd, const char *name)
{
    char cbuf[CMSG_SPACE(sizeof(int))];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = { (void *)name, strlen(name) };
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf;
    msg.msg_controllen = sizeof cbuf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    ssize_t n;
    do n = sendmsg(sock, &msg, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

/*
 * Makes a pty inside the container (the caller's /dev/ptmx), sends its master to console_socket
 * (as runc does with --console-socket) and makes the slave the controlling terminal and stdio.
 */
int berth_console(int console_socket, uint16_t rows, uint16_t cols, int32_t *step)
{
    *step = STEP_CONSOLE;
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) return -1;
    int unlock = 0;
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0) goto fail_master;
    int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    if (slave < 0) goto fail_master;
    if (rows || cols) {
        struct winsize ws = { .ws_row = rows, .ws_col = cols };
        if (ioctl(master, TIOCSWINSZ, &ws) < 0) goto fail_both;
    }
    if (send_fd(console_socket, master, "/dev/ptmx") < 0) goto fail_both;
    close(master);
    *step = STEP_SETSID;
    if (setsid() < 0 && errno != EPERM) goto fail_slave;
    if (ioctl(slave, TIOCSCTTY, 0) < 0) goto fail_slave;
    for (int fd = 0; fd < 3; fd++)
        if (dup2(slave, fd) < 0) goto fail_slave;
    if (slave > 2) close(slave);
    return 0;
fail_both:
    { int e = errno; close(slave); errno = e; }
fail_master:
    { int e = errno; close(master); errno = e; }
    return -1;
fail_slave:
    { int e = errno; close(slave); errno = e; }
    return -1;
}

static int set_caps(const struct berth_final *f)
{
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    data[0].effective = (uint32_t)f->cap_effective;
    data[1].effective = (uint32_t)(f->cap_effective >> 32);
    data[0].permitted = (uint32_t)f->cap_permitted;
    data[1].permitted = (uint32_t)(f->cap_permitted >> 32);
    data[0].inheritable = (uint32_t)f->cap_inheritable;
    data[1].inheritable = (uint32_t)(f->cap_inheritable >> 32);
    return (int)syscall(SYS_capset, &hdr, data);
}

static int install_seccomp(const struct berth_final *f)
{
    struct sock_fprog prog = { (unsigned short)f->seccomp_len, (struct sock_filter *)f->seccomp };
    long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->seccomp_flags, &prog);
    if (fd < 0) return STEP_SECCOMP;
    if ((f->seccomp_flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) && f->seccomp_listener_socket >= 0) {
        int rc = send_fd(f->seccomp_listener_socket, (int)fd, "seccomp");
        close((int)fd);
        if (rc < 0) return STEP_SECCOMP_LISTENER;
    }
    return 0;
}

/*
 * Loads a seccomp filter on the calling thread now (not at exec) and returns its notification
 * listener fd, for profiles with SCMP_ACT_NOTIFY: the runtime must hand the fd to the profile's
 * listenerPath while `create` still runs, as runc does.
 */
int berth_seccomp_listener(const struct sock_filter *filter, int32_t len, uint32_t flags)
{
    struct sock_fprog prog = { (unsigned short)len, (struct sock_filter *)filter };
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags | SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
}

/* execve with a PATH search in the container's environment, as execvpe does with the caller's. */
static int exec_search(const char *file, char *const *argv, char *const *envp)
{
    if (strchr(file, '/')) {
        execve(file, argv, envp);
        return -1;
    }
    const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (char *const *e = envp; e && *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0) { path = *e + 5; break; }
    size_t flen = strlen(file);
    char buf[4096];
    int saw_eacces = 0;
    for (const char *p = path;; ) {
        const char *end = strchr(p, ':');
        size_t dlen = end ? (size_t)(end - p) : strlen(p);
        if (dlen == 0) { buf[0] = '.'; dlen = 1; } else if (dlen < sizeof buf) memcpy(buf, p, dlen);
        if (dlen + 1 + flen + 1 <= sizeof buf) {
            buf[dlen] = '/';
            memcpy(buf + dlen + 1, file, flen + 1);
            execve(buf, argv, envp);
            if (errno == EACCES) saw_eacces = 1;
            else if (errno != ENOENT && errno != ENOTDIR) return -1;
        }
        if (!end) break;
        p = end + 1;
    }
    errno = saw_eacces ? EACCES : ENOENT;
    return -1;
}

/* Order as runc: seccomp early only when it needs CAP_SYS_ADMIN (no no_new_privs), bounding set
 * before the uid change, keepcaps across it, then the capability sets, no_new_privs, seccomp. */
int berth_final_exec(const struct berth_final *f, const char *path, char *const *argv, char *const *envp,
                     int32_t *step)
{
    int chdir_done = 0;
    if (f->console_socket >= 0) {
        if (berth_console(f->console_socket, f->console_rows, f->console_cols, step) < 0) return -1;
    } else if (f->setsid) {
        *step = STEP_SETSID;
        if (setsid() < 0) return -1;
    }
    for (int i = 0; i < f->nrlimits; i++) {
        struct rlimit rl = { f->rlimits[i].soft, f->rlimits[i].hard };
        *step = STEP_RLIMIT;
        if (setrlimit(f->rlimits[i].resource, &rl) < 0) return -1;
    }
    if (f->umask >= 0) umask((mode_t)f->umask);
    if (f->cwd && chdir(f->cwd) == 0) chdir_done = 1;
    if (f->seccomp_len > 0 && !f->no_new_privs) {
        int s = install_seccomp(f);
        if (s) { *step = s; return -1; }
    }
    if (f->set_caps) {
        *step = STEP_BOUNDING;
        for (int cap = 0; cap <= f->last_cap; cap++)
            if (!(f->cap_bounding & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
                return -1;
    }
    if (f->set_user) {
        if (f->set_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) { *step = STEP_SETUID; return -1; }
        if (f->ngroups >= 0) {
            *step = STEP_SETGROUPS;
            if (syscall(SYS_setgroups, (size_t)f->ngroups, f->groups) < 0) return -1;
        }
        *step = STEP_SETGID;
        if (syscall(SYS_setresgid, f->gid, f->gid, f->gid) < 0) return -1;
        *step = STEP_SETUID;
        if (syscall(SYS_setresuid, f->uid, f->uid, f->uid) < 0) return -1;
        if (f->set_caps && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return -1;
    }
    if (f->cwd && !chdir_done) {
        *step = STEP_CHDIR;
        if (chdir(f->cwd) < 0) return -1;
    }
    if (f->set_caps) {
        *step = STEP_CAPSET;
        if (set_caps(f) < 0) return -1;
        *step = STEP_AMBIENT;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) return -1;
        for (int cap = 0; cap <= f->last_cap; cap++)
            if ((f->cap_ambient & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
                return -1;
    }
    if (f->personality >= 0) {
        *step = STEP_PERSONALITY;
        if (personality((unsigned long)f->personality) < 0) return -1;
    }
    if (f->no_new_privs) {
        *step = STEP_NO_NEW_PRIVS;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return -1;
    }
    reset_signals();
    /* Only stdio and --preserve-fds reach the program, whatever the caller let us inherit. */
    if (f->cloexec_from >= 0 && syscall(SYS_close_range, (unsigned)f->cloexec_from, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
        *step = STEP_CLOSE_FDS;
        return -1;
    }
    if (f->seccomp_len > 0 && f->no_new_privs) {
        int s = install_seccomp(f);
        if (s) { *step = s; return -1; }
    }
    *step = STEP_EXEC;
    exec_search(path, argv, envp);
    return -1;
}

/* Moves each "from" fd to its "to" number without clobbering a "from" still to be moved. */
static int map_fds(const int32_t *map, int count)
{
    int tmp[64];
    if (count > 64) { errno = EINVAL; return -1; }
    int highest = 2;
    for (int i = 0; i < count; i++) if (map[2 * i + 1] > highest) highest = map[2 * i + 1];
    for (int i = 0; i < count; i++) {
        tmp[i] = fcntl(map[2 * i], F_DUPFD_CLOEXEC, highest + 1);
        if (tmp[i] < 0) return -1;
    }
    for (int i = 0; i < count; i++) {
        if (dup2(tmp[i], map[2 * i + 1]) < 0) return -1;
        close(tmp[i]);
    }
    return 0;
}

static _Noreturn void stage2(const struct berth_spawn_request *req, int report)
{
    if (req->go_fd >= 0) {
        char go;
        ssize_t n;
        do n = read(req->go_fd, &go, 1); while (n < 0 && errno == EINTR);
        if (n != 1) fail(report, STEP_WAIT_GO, n == 0 ? EPIPE : errno);
    }
    if (req->become_root) {
        if (syscall(SYS_setresgid, 0, 0, 0) < 0 || syscall(SYS_setresuid, 0, 0, 0) < 0)
            fail(report, STEP_BECOME_ROOT, errno);
    }
    if (req->fd_map_count > 0 && map_fds(req->fd_map, req->fd_map_count) < 0) fail(report, STEP_FD_MAP, errno);
    if (req->final) {
        int32_t step = 0;
        berth_final_exec(req->final, req->path, req->argv, req->envp, &step);
        fail(report, step, errno);
    }
    reset_signals();
    execve(req->path, req->argv, req->envp);
    fail(report, STEP_EXEC, errno);
}

struct vfork_args {
    const struct berth_spawn_request *req;
    int report;
};

static int vfork_child(void *arg)
{
    const struct vfork_args *a = arg;
    stage2(a->req, a->report);
}

static int write_all_path(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    int e = errno;
    close(fd);
    if (n != (ssize_t)len) { errno = n < 0 ? e : EIO; return -1; }
    return 0;
}

/*
 * Starts the child. Returns its pid (>0), or -1 with *step and errno set. *report_fd receives the
 * read end of a close-on-exec pipe: it reaches EOF when the child has executed its program, or
 * carries a struct report {2, step, errno} when a step failed (the child then exits with 127).
 */
pid_t berth_spawn(const struct berth_spawn_request *req, int32_t *report_fd, int32_t *step)
{
    int pipefd[2];
    *step = STEP_CLONE;
    if (pipe2(pipefd, O_CLOEXEC) < 0) return -1;

    /* No signal handler of the runtime may run in the copy: block everything across the clone. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);

    int two_stage = req->join_count > 0 || req->unshare_time;
    long pid;
    if (!two_stage && req->go_fd < 0) {
        /* Nothing to wait for: share our memory until the child's execve (vfork semantics), which
         * spares copying the page tables of a large process. The child writes only its own stack. */
        static const size_t stack_size = 64 * 1024;
        char *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (stack == MAP_FAILED) {
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            close(pipefd[0]);
            close(pipefd[1]);
            return -1;
        }
        struct vfork_args args = { req, pipefd[1] };
        pid = clone(vfork_child, stack + stack_size, (int)(req->clone_flags | CLONE_VM | CLONE_VFORK | SIGCHLD), &args);
        int e = errno;
        munmap(stack, stack_size);
        errno = e;
    } else {
        pid = raw_clone(two_stage ? SIGCHLD : (req->clone_flags | SIGCHLD));
    }
    if (pid == 0) {
        close(pipefd[0]);
        if (!two_stage) stage2(req, pipefd[1]);
        for (int i = 0; i < req->join_count; i++)
            if (setns(req->join_fds[i], 0) < 0) fail(pipefd[1], STEP_SETNS, errno);
        if (req->unshare_time) {
            if (unshare(CLONE_NEWTIME) < 0) fail(pipefd[1], STEP_UNSHARE_TIME, errno);
            if (req->time_offsets && req->time_offsets[0] &&
                write_all_path("/proc/self/timens_offsets", req->time_offsets) < 0)
                fail(pipefd[1], STEP_TIME_OFFSETS, errno);
        }
        long child = raw_clone(req->clone_flags | CLONE_PARENT | SIGCHLD);
        if (child == 0) stage2(req, pipefd[1]);
        if (child < 0) fail(pipefd[1], STEP_CLONE, errno);
        write_report(pipefd[1], 1, (int32_t)child, 0);
        _exit(0);
    }
    int clone_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(pipefd[1]);
    if (pid < 0) {
        close(pipefd[0]);
        errno = clone_errno;
        return -1;
    }
    if (two_stage) {
        int status;
        while (waitpid((pid_t)pid, &status, 0) < 0 && errno == EINTR) { }
        struct report r;
        ssize_t n;
        do n = read(pipefd[0], &r, sizeof r); while (n < 0 && errno == EINTR);
        if (n != (ssize_t)sizeof r || r.kind != 1) {
            close(pipefd[0]);
            if (n == (ssize_t)sizeof r && r.kind == 2) { *step = r.a; errno = r.b; }
            else { *step = STEP_CLONE; errno = ECHILD; }
            return -1;
        }
        pid = r.a;
    }
    *report_fd = pipefd[0];
    *step = 0;
    return (pid_t)pid;
}
