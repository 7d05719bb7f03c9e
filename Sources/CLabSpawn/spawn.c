// See CLabSpawn.h for what this does and why it is written in C.
#define _GNU_SOURCE
#include "CLabSpawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// ---- the child, between fork and exec (async-signal-safe calls only) ----

static void report_and_exit(int pipe_fd, int step, int err) {
    int message[2] = {step, err};
    (void)!write(pipe_fd, message, sizeof message);
    _exit(127);
}

enum { STEP_NONE, STEP_SETPGID, STEP_LOG, STEP_STDIO, STEP_CHDIR, STEP_SETGID, STEP_SETUID,
       STEP_PDEATHSIG, STEP_EXEC };

static const char *step_names[] = {
    "none", "setpgid", "open log file", "redirect stdio", "chdir", "setgid", "setuid",
    "prctl(PR_SET_PDEATHSIG)", "exec",
};

static void close_inherited_descriptors(int keep) {
    // close_range where the kernel has it (Linux 5.9+); otherwise close one by one.
#ifdef SYS_close_range
    if (keep > 3) syscall(SYS_close_range, 3u, (unsigned)keep - 1, 0u);
    if (syscall(SYS_close_range, (unsigned)keep + 1, ~0u, 0u) == 0) return;
#endif
    for (int fd = 3; fd < 65536; fd++) {
        if (fd != keep) close(fd);
    }
}

static void run_child(const clabspawn_request *r, pid_t parent, int pipe_fd) {
    if (setpgid(0, 0) != 0) report_and_exit(pipe_fd, STEP_SETPGID, errno);

    // Default dispositions and an empty mask: the Swift runtime ignores SIGPIPE and NIO may
    // block signals; children must not inherit that.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++) {
        if (s != SIGKILL && s != SIGSTOP) signal(s, SIG_DFL);
    }

    int null_fd = open("/dev/null", O_RDWR);
    int log_fd = r->log_path ? open(r->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644) : null_fd;
    if (log_fd < 0 || null_fd < 0) report_and_exit(pipe_fd, STEP_LOG, errno);
    if (r->uid >= 0 && r->log_path) (void)!fchown(log_fd, (uid_t)r->uid, (gid_t)(r->gid >= 0 ? r->gid : -1));
    if (dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
        report_and_exit(pipe_fd, STEP_STDIO, errno);
    close_inherited_descriptors(pipe_fd);

    if (r->gid >= 0) {
        gid_t gid = (gid_t)r->gid;
        if (setgroups(1, &gid) != 0 || setgid(gid) != 0) report_and_exit(pipe_fd, STEP_SETGID, errno);
    }
    if (r->uid >= 0 && setuid((uid_t)r->uid) != 0) report_and_exit(pipe_fd, STEP_SETUID, errno);
    if (r->cwd && chdir(r->cwd) != 0) report_and_exit(pipe_fd, STEP_CHDIR, errno);

    // After the credential change (which would clear it), then re-check the parent: if labctl
    // died before prctl took effect, the signal will never come, so leave now.
    if (r->death_signal > 0) {
        if (prctl(PR_SET_PDEATHSIG, r->death_signal) != 0) report_and_exit(pipe_fd, STEP_PDEATHSIG, errno);
        if (getppid() != parent) _exit(128 + r->death_signal);
    }

    execve(r->path, r->argv, r->envp);
    report_and_exit(pipe_fd, STEP_EXEC, errno);
}

static pid_t fork_and_exec(const clabspawn_request *r, const char **failed_step) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        if (failed_step) *failed_step = "pipe";
        return -errno;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        close(fds[0]);
        close(fds[1]);
        if (failed_step) *failed_step = "fork";
        return -err;
    }
    if (pid == 0) {
        close(fds[0]);
        run_child(r, parent, fds[1]);
        _exit(127);
    }
    close(fds[1]);
    // Also from the parent, so the group exists before anyone signals it (no race with the child).
    setpgid(pid, pid);

    // exec succeeded when the close-on-exec pipe closes without a message.
    int message[2];
    ssize_t n;
    do { n = read(fds[0], message, sizeof message); } while (n < 0 && errno == EINTR);
    close(fds[0]);
    if (n == (ssize_t)sizeof message) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        if (failed_step) *failed_step = step_names[message[0]];
        return -message[1];
    }
    return pid;
}

// ---- the dedicated spawner thread ----

typedef struct {
    const clabspawn_request *request;
    pid_t result;
    const char *failed_step;
    bool done;
} job;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_ready = PTHREAD_COND_INITIALIZER;
static pthread_cond_t job_done = PTHREAD_COND_INITIALIZER;
static job *pending = NULL;          // one job at a time; callers queue on `lock`
static pthread_once_t started = PTHREAD_ONCE_INIT;

static void *spawner_main(void *unused) {
    (void)unused;
    pthread_mutex_lock(&lock);
    for (;;) {
        while (pending == NULL || pending->done) pthread_cond_wait(&job_ready, &lock);
        job *j = pending;
        j->result = fork_and_exec(j->request, &j->failed_step);
        j->done = true;
        pthread_cond_broadcast(&job_done);
    }
    return NULL;
}

static void start_spawner(void) {
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_create(&thread, &attr, spawner_main, NULL);
    pthread_attr_destroy(&attr);
}

pid_t clabspawn_spawn(const clabspawn_request *request, const char **failed_step) {
    pthread_once(&started, start_spawner);
    job j = {.request = request, .result = 0, .failed_step = NULL, .done = false};
    pthread_mutex_lock(&lock);
    while (pending != NULL) pthread_cond_wait(&job_done, &lock);   // another caller's job
    pending = &j;
    pthread_cond_broadcast(&job_ready);
    while (!j.done) pthread_cond_wait(&job_done, &lock);
    pending = NULL;
    pthread_cond_broadcast(&job_done);
    pthread_mutex_unlock(&lock);
    if (failed_step) *failed_step = j.failed_step;
    return j.result;
}

pid_t clabspawn_reap(pid_t pid, int *status) {
    pid_t r;
    do { r = waitpid(pid, status, WNOHANG); } while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

int clabspawn_exited(int status) { return WIFEXITED(status); }
int clabspawn_exit_code(int status) { return WEXITSTATUS(status); }
int clabspawn_signaled(int status) { return WIFSIGNALED(status); }
int clabspawn_term_signal(int status) { return WTERMSIG(status); }
