#ifndef CLABSPAWN_H
#define CLABSPAWN_H
// Process spawning for the native runtime (implemented in spawn.c).
//
// Why C: between fork() and exec() a multi-threaded program may only call async-signal-safe
// functions, which rules out Swift. And why one dedicated thread: PR_SET_PDEATHSIG fires when
// the *thread* that forked the child exits, not the process. Swift concurrency threads come and
// go, so every fork happens on one long-lived pthread created on first use; the child then dies
// when labctl dies (crash, SIGKILL), and no orphan keeps a port or a data directory busy.
//
// The child:
//   - gets a process group of its own (setpgid), so stopping it can signal the whole group;
//   - optionally switches to another uid/gid (PostgreSQL refuses to run as root); this is done
//     BEFORE prctl(PR_SET_PDEATHSIG), because changing credentials clears the death signal;
//   - has stdin on /dev/null and stdout+stderr appended to a log file;
//   - has default signal dispositions and an empty signal mask, and no inherited descriptors.
#include <sys/types.h>

typedef struct {
    const char *path;           // absolute path of the program
    char *const *argv;          // NULL-terminated, argv[0] included
    char *const *envp;          // NULL-terminated
    const char *cwd;            // working directory, or NULL to inherit
    const char *log_path;       // stdout+stderr are appended here (created 0644), or NULL for /dev/null
    int uid;                    // -1: keep; else setuid() to it in the child
    int gid;                    // -1: keep; else setgid()+setgroups() to it in the child
    int death_signal;           // sent to the child when labctl dies (0: none)
} clabspawn_request;

// Spawns the program. Returns the child's pid (> 0), or -errno when fork or exec failed
// (exec errors are reported back from the child through a close-on-exec pipe).
// `failed_step` (if not NULL) receives a static string naming the step that failed.
pid_t clabspawn_spawn(const clabspawn_request *request, const char **failed_step);

// Non-blocking reap: 0 while the child runs, the pid once it has exited (then *status holds
// the wait status), or -errno. Thin wrappers so Swift does not need the W* macros.
pid_t clabspawn_reap(pid_t pid, int *status);
int clabspawn_exited(int status);       // WIFEXITED
int clabspawn_exit_code(int status);    // WEXITSTATUS
int clabspawn_signaled(int status);     // WIFSIGNALED
int clabspawn_term_signal(int status);  // WTERMSIG

#endif
