#define _GNU_SOURCE
#include "CMaiSystem.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <unistd.h>

int cmai_sigrtmin(void) { return SIGRTMIN; }
int cmai_sigrtmax(void) { return SIGRTMAX; }

int cmai_signalfd(const sigset_t *mask) {
    return signalfd(-1, mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

int cmai_read_signal(int fd, cmai_signal_record *out) {
    struct signalfd_siginfo info;
    ssize_t n;
    do {
        n = read(fd, &info, sizeof info);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return (errno == EAGAIN) ? 0 : -1;
    if (n != (ssize_t)sizeof info) { errno = EIO; return -1; }
    out->signo = (int32_t)info.ssi_signo;
    out->code = info.ssi_code;
    out->pid = (int32_t)info.ssi_pid;
    return 1;
}

int cmai_set_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

int cmai_spawn_add_closefrom(posix_spawn_file_actions_t *actions, int lowfd) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowfd);
}

int cmai_spawn_add_tcsetpgrp(posix_spawn_file_actions_t *actions, int tcfd) {
    return posix_spawn_file_actions_addtcsetpgrp_np(actions, tcfd);
}

int cmai_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int cmai_set_pipe_size(int fd, int bytes) { return fcntl(fd, F_SETPIPE_SZ, bytes); }

int cmai_setgroups(size_t count, const gid_t *groups) { return setgroups(count, groups); }

long cmai_getrandom(void *buffer, size_t length) { return (long)getrandom(buffer, length, 0); }

int cmai_rename_noreplace(int fromfd, const char *from, int tofd, const char *to) {
    return renameat2(fromfd, from, tofd, to, RENAME_NOREPLACE);
}

int cmai_open_folder(int dirfd, const char *name, int nofollow) {
    return openat(dirfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
}
