/*
 * mydocker-init: the container's first process, for the few things a Node process cannot do.
 *
 * The runtime (TypeScript) creates the container's namespaces on its own main thread and
 * spawns this helper inside them, so it starts as PID 1 of a new PID namespace. The runtime
 * then sets up the root filesystem itself through koffi. What it cannot do it asks of this
 * helper over a SOCK_SEQPACKET control socket:
 *   - mount a filesystem that must be mounted from inside the PID namespace (proc);
 *   - chdir (for --no-pivot, before the runtime moves the rootfs onto /);
 *   - "console": make the pty slave sent along (SCM_RIGHTS) its controlling terminal and stdio;
 *   - "setns": join the namespace sent along (for `exec`: the container's mount namespace);
 *   - "personality": personality(2), which execve keeps;
 *   - for user namespaces, where the runtime cannot create the namespaces itself: "unshare" them,
 *     "setid" (become the new namespace's root once the runtime wrote the id maps), and "fork"
 *     (our child becomes PID 1 of a PID namespace we unshared, and takes over the conversation);
 *   - "unshare": a new cgroup namespace, once the runtime has moved us into the container's cgroup
 *     (its root is the cgroup we are in when it is created);
 *   - finally "exec": take on the process' identity (no_new_privs, seccomp, capabilities,
 *     uid/gid/groups, cwd, umask), answer "ready", block on the exec fifo until `start`
 *     writes a byte, and execve the user program.
 * Every decision (which path, which capabilities, which filter) is made by the runtime; this
 * file only carries it out. Messages are NUL-separated fields, the first being the command.
 * Replies: "ok" or "err <errno> <what>".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#endif

#define MAX_MSG (1 << 20)
#define MAX_FIELDS 65536

static int ctl = -1;
static int passed_fd = -1; /* an fd that came with the last message (SCM_RIGHTS) */
static char msg[MAX_MSG + 1];
static char *fields[MAX_FIELDS];
static size_t field_len[MAX_FIELDS];

static void reply(const char *text) {
	if (send(ctl, text, strlen(text), MSG_NOSIGNAL) < 0) _exit(120);
}

static void reply_errno(int err, const char *what) {
	char buf[512];
	snprintf(buf, sizeof buf, "err %d %s", err, what);
	reply(buf);
}

/* Fatal error during exec set-up: tell the runtime, then die. */
static void fail(int err, const char *what) {
	reply_errno(err, what);
	_exit(121);
}

static int split(ssize_t n) {
	int count = 0;
	char *p = msg, *end = msg + n;
	while (p < end && count < MAX_FIELDS) {
		char *z = memchr(p, '\0', (size_t)(end - p));
		if (!z) z = end;
		fields[count] = p;
		field_len[count] = (size_t)(z - p);
		count++;
		p = z + 1;
	}
	return count;
}

static unsigned long long hex(const char *s) { return strtoull(s, NULL, 16); }

static struct sock_fprog filter;
static unsigned int filter_flags;
static int have_filter;

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

/* Sends a message with one fd attached (SCM_RIGHTS). */
static void send_fd(const char *text, int fd) {
	struct iovec iov = {(void *)text, strlen(text)};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	memset(&control, 0, sizeof control);
	struct msghdr mh = {0};
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = control.buf;
	mh.msg_controllen = sizeof control.buf;
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(ctl, &mh, MSG_NOSIGNAL) < 0) _exit(120);
}

/* With SCMP_ACT_NOTIFY the kernel hands back a listener fd: it goes to the runtime, which passes
 * it on to the config's listenerPath. */
static void load_filter(void) {
	if (!have_filter) return;
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, filter_flags, &filter);
	if (fd < 0) fail(errno, "seccomp");
	if (filter_flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
		send_fd("listener", (int)fd);
		close((int)fd);
	}
	have_filter = 0;
}

static int last_cap(void) {
	int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	char buf[16] = {0};
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n > 0) return atoi(buf);
	}
	return 40;
}

static void reset_signals(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &sa, NULL);
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

/*
 * exec fields, in order:
 *  1 uid  2 gid  3 groups (comma list, may be empty)  4 umask (octal, "" = keep)  5 cwd
 *  6 no_new_privs (0/1)  7 bounding  8 effective  9 permitted  10 inheritable  11 ambient (hex masks,
 *  "" = leave all)  12 chroot "." first (0/1)  13 fifo fd (-1: exec at once, for `exec`)
 *  14 first fd to close (3 + preserved)
 *  15 cap_last_cap read early (the runtime passes it: /proc may be masked later)
 *  16 executable path  17 argc  then argv...  then envc  then env...
 */
static void do_exec(int n) {
	if (n < 18) fail(EINVAL, "exec message");
	uid_t uid = (uid_t)strtoul(fields[1], NULL, 10);
	gid_t gid = (gid_t)strtoul(fields[2], NULL, 10);
	int nnp = fields[6][0] == '1';
	int caps_given = fields[7][0] != '\0';
	unsigned long long bounding = hex(fields[7]), effective = hex(fields[8]), permitted = hex(fields[9]);
	unsigned long long inheritable = hex(fields[10]), ambient = hex(fields[11]);
	int fifo = atoi(fields[13]);
	int first_closed = atoi(fields[14]);
	int cap_last = fields[15][0] ? atoi(fields[15]) : last_cap();
	const char *path = fields[16];
	int argc = atoi(fields[17]);
	if (argc < 1 || 18 + argc >= n) fail(EINVAL, "exec argv");
	char **argv = calloc((size_t)argc + 1, sizeof *argv);
	for (int i = 0; i < argc; i++) argv[i] = fields[18 + i];
	int envc = atoi(fields[18 + argc]);
	if (19 + argc + envc > n) fail(EINVAL, "exec env");
	char **envp = calloc((size_t)envc + 1, sizeof *envp);
	for (int i = 0; i < envc; i++) envp[i] = fields[19 + argc + i];

	gid_t groups[65536];
	int ngroups = 0;
	for (char *g = fields[3]; *g && ngroups < 65536;) {
		groups[ngroups++] = (gid_t)strtoul(g, &g, 10);
		if (*g == ',') g++;
	}

	if (fields[12][0] == '1' && chroot(".") < 0) fail(errno, "chroot");
	if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(errno, "prctl no_new_privs");
	/* Without no_new_privs a filter can only be loaded while we still hold CAP_SYS_ADMIN; a filter
	 * with a listener is loaded now too, while the runtime still listens on the control socket. */
	if (!nnp || (filter_flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)) load_filter();

	if (caps_given) {
		for (int cap = 0; cap <= cap_last; cap++)
			if (!(bounding & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
				fail(errno, "prctl capbset_drop");
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) fail(errno, "prctl keepcaps");
	}
	if (setgroups((size_t)ngroups, groups) < 0) fail(errno, "setgroups");
	if (setresgid(gid, gid, gid) < 0) fail(errno, "setresgid");
	if (setresuid(uid, uid, uid) < 0) fail(errno, "setresuid");
	if (caps_given) {
		struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
		struct __user_cap_data_struct data[2];
		data[0].effective = (uint32_t)effective;
		data[1].effective = (uint32_t)(effective >> 32);
		data[0].permitted = (uint32_t)permitted;
		data[1].permitted = (uint32_t)(permitted >> 32);
		data[0].inheritable = (uint32_t)inheritable;
		data[1].inheritable = (uint32_t)(inheritable >> 32);
		if (syscall(SYS_capset, &hdr, data) < 0) fail(errno, "capset");
		for (int cap = 0; cap <= cap_last; cap++)
			if ((ambient & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
				fail(errno, "prctl cap_ambient_raise");
	}
	if (chdir(fields[5]) < 0) fail(errno, "chdir to cwd");
	/* Unset: the caller's umask stays (config.md: "the runtime SHOULD NOT change it"). */
	if (fields[4][0]) umask((mode_t)strtoul(fields[4], NULL, 8));

	/* Every fd the caller left us beyond stdio and the preserved ones must not reach the program. */
	if (syscall(SYS_close_range, (unsigned)first_closed, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		for (int fd = first_closed; fd < 65536; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	for (int fd = 0; fd < 3; fd++) {
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0 && (fl & O_NONBLOCK)) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	}
	if (fifo >= 0) {
		/* create: tell the runtime we are ready, then block until `start` writes a byte into the exec fifo. */
		reply("ready");
		close(ctl);
		ctl = -1;
		char byte;
		ssize_t r;
		do r = read(fifo, &byte, 1);
		while (r < 0 && errno == EINTR);
		if (r != 1) _exit(122);
		close(fifo);
	}
	/* exec (no fifo): the control socket is close-on-exec, so the runtime reads EOF on success. */
	reset_signals();

	if (nnp) load_filter();
	execve(path, argv, envp);
	int err = errno;
	if (ctl >= 0) fail(err, "execve");
	dprintf(2, "mydocker-runtime: exec %s: %s\n", path, strerror(err));
	_exit(err == ENOENT ? 127 : 126);
}

/* Joins the namespace of the fd sent along (exec: the container's mount namespace). */
static void join_namespace(const char *type) {
	if (passed_fd < 0) {
		reply_errno(EBADF, "setns fd");
		return;
	}
	int nstype = atoi(type);
	int rc = setns(passed_fd, nstype);
	int err = errno;
	close(passed_fd);
	passed_fd = -1;
	if (rc < 0) {
		reply_errno(err, "setns");
		return;
	}
	if (chdir("/") < 0) {
		reply_errno(errno, "chdir /");
		return;
	}
	reply("ok");
}

/*
 * Until the user program runs, a termination signal from the host ends the init (runc's init,
 * a Go program, exits on them too). As PID 1 of its namespace it would otherwise ignore every
 * signal but SIGKILL and SIGSTOP. reset_signals() restores the defaults before execve.
 */
static void die_on_signal(int sig) { _exit(128 + sig); }

static void exit_on_termination_signals(void) {
	static const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE};
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = die_on_signal;
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);
}

/* One message, and the fd attached to it if any. */
static ssize_t receive(void) {
	struct iovec iov = {msg, MAX_MSG};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr mh = {0};
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = control.buf;
	mh.msg_controllen = sizeof control.buf;
	ssize_t n;
	do n = recvmsg(ctl, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	passed_fd = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(&passed_fd, CMSG_DATA(c), sizeof(int));
	return n;
}

/* The pty slave becomes the controlling terminal and stdio of the process. */
static void set_console(void) {
	if (passed_fd < 0) {
		reply_errno(EBADF, "console fd");
		return;
	}
	if (setsid() < 0) {
		reply_errno(errno, "setsid");
		return;
	}
	if (ioctl(passed_fd, TIOCSCTTY, 0) < 0) {
		reply_errno(errno, "ioctl TIOCSCTTY");
		return;
	}
	for (int fd = 0; fd < 3; fd++)
		if (dup2(passed_fd, fd) < 0) {
			reply_errno(errno, "dup2 console");
			return;
		}
	if (passed_fd > 2) close(passed_fd);
	passed_fd = -1;
	reply("ok");
}

int main(int argc, char **argv) {
	exit_on_termination_signals();
	if (argc < 2) {
		fprintf(stderr, "mydocker-init is started by mydocker-runtime, not by hand\n");
		return 2;
	}
	ctl = atoi(argv[1]);
	reply("hello");
	for (;;) {
		ssize_t n = receive();
		if (n <= 0) _exit(123); /* the runtime went away: give up quietly */
		msg[n] = '\0';
		int count = split(n);
		const char *cmd = fields[0];
		if (strcmp(cmd, "mount") == 0 && count >= 5) {
			/* source target fstype flags [data] */
			const char *data = count >= 6 && field_len[5] ? fields[5] : NULL;
			if (mount(fields[1], fields[2], fields[3], strtoul(fields[4], NULL, 10), data) < 0)
				reply_errno(errno, "mount");
			else
				reply("ok");
		} else if (strcmp(cmd, "chdir") == 0 && count >= 2) {
			if (chdir(fields[1]) < 0) reply_errno(errno, "chdir");
			else reply("ok");
		} else if (strcmp(cmd, "seccomp") == 0 && count >= 2) {
			/* flags, then the raw BPF program (struct sock_filter[]) in the rest of the message */
			size_t off = field_len[0] + 1 + field_len[1] + 1;
			size_t len = (size_t)n > off ? (size_t)n - off : 0;
			if (len == 0 || len % sizeof(struct sock_filter) != 0) {
				reply_errno(EINVAL, "seccomp program");
				continue;
			}
			filter_flags = (unsigned)strtoul(fields[1], NULL, 10);
			filter.len = (unsigned short)(len / sizeof(struct sock_filter));
			filter.filter = malloc(len);
			memcpy(filter.filter, msg + off, len);
			have_filter = 1;
			reply("ok");
		} else if (strcmp(cmd, "fork") == 0) {
			/* A new PID namespace made by unshare() applies to children: the child is its PID 1 and
			 * carries on with the conversation; we report its pid and leave. */
			pid_t child = fork();
			if (child < 0) {
				reply_errno(errno, "fork");
			} else if (child > 0) {
				char buf[32];
				snprintf(buf, sizeof buf, "pid %d", (int)child);
				reply(buf);
				_exit(0);
			}
		} else if (strcmp(cmd, "setid") == 0 && count >= 3) {
			/* inside a new user namespace, once the maps are written: become its root */
			if (setresgid((gid_t)strtoul(fields[2], NULL, 10), (gid_t)strtoul(fields[2], NULL, 10), (gid_t)strtoul(fields[2], NULL, 10)) < 0)
				reply_errno(errno, "setresgid");
			else if (setresuid((uid_t)strtoul(fields[1], NULL, 10), (uid_t)strtoul(fields[1], NULL, 10), (uid_t)strtoul(fields[1], NULL, 10)) < 0)
				reply_errno(errno, "setresuid");
			else
				reply("ok");
		} else if (strcmp(cmd, "personality") == 0 && count >= 2) {
			if (personality((unsigned long)strtoul(fields[1], NULL, 10)) < 0) reply_errno(errno, "personality");
			else reply("ok");
		} else if (strcmp(cmd, "unshare") == 0 && count >= 2) {
			if (unshare((int)strtol(fields[1], NULL, 10)) < 0) reply_errno(errno, "unshare");
			else reply("ok");
		} else if (strcmp(cmd, "setns") == 0 && count >= 2) {
			join_namespace(fields[1]);
		} else if (strcmp(cmd, "console") == 0) {
			set_console();
		} else if (strcmp(cmd, "exec") == 0) {
			do_exec(count);
		} else {
			reply_errno(EINVAL, "unknown command");
		}
	}
}
