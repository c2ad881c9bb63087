// Linux calls that Swift's Glibc module does not export (they sit behind _GNU_SOURCE or in headers it
// leaves out). Each wrapper is one call; errors come back as -1 with errno set, as from the call itself.
#ifndef CMAI_SYSTEM_H
#define CMAI_SYSTEM_H

#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/types.h>

/// The fields of a signalfd record that the supervisor uses.
typedef struct {
    int32_t signo;
    int32_t code;
    int32_t pid;
} cmai_signal_record;

int cmai_sigrtmin(void);
int cmai_sigrtmax(void);
int cmai_signalfd(const sigset_t *mask);
/// Reads one record; returns 1 on success, 0 when none is pending, -1 with errno on error.
int cmai_read_signal(int fd, cmai_signal_record *out);
int cmai_set_child_subreaper(void);
int cmai_spawn_add_closefrom(posix_spawn_file_actions_t *actions, int lowfd);
int cmai_spawn_add_tcsetpgrp(posix_spawn_file_actions_t *actions, int tcfd);
/// pipe2 with O_CLOEXEC, so that no child inherits an end by accident.
int cmai_pipe_cloexec(int fds[2]);
/// fcntl(F_SETPIPE_SZ): Linux only, so not in Swift's Glibc module.
int cmai_set_pipe_size(int fd, int bytes);

/// setgroups(2): the supplementary groups of a child before it drops root (grp.h hides it behind _DEFAULT_SOURCE).
int cmai_setgroups(size_t count, const gid_t *groups);
/// getrandom(2) with no flags: blocks only until the kernel's pool is first initialized, never after.
long cmai_getrandom(void *buffer, size_t length);
/// renameat2(2) with RENAME_NOREPLACE: fails with EEXIST instead of replacing the target.
int cmai_rename_noreplace(int fromfd, const char *from, int tofd, const char *to);
/// openat(2) of a folder with O_PATH | O_DIRECTORY | O_CLOEXEC (and O_NOFOLLOW when `nofollow`): a handle for
/// the *at calls that needs only search permission on the way (O_PATH sits behind _GNU_SOURCE).
int cmai_open_folder(int dirfd, const char *name, int nofollow);

#endif
