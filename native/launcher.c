/*
 * mydocker-runtime: the program clients run. It starts Node on the bundled runtime
 * (mydocker-runtime.js next to this file) after doing what Node cannot do for itself:
 *  - record the caller's RLIMIT_NOFILE in MYDOCKER_CALLER_NOFILE ("soft:hard"): Node raises its
 *    soft limit to the hard limit before any JavaScript runs, and a container must get what the
 *    caller had (as it does with runc);
 *  - drop NODE_EXTRA_CA_CERTS: the runtime makes no TLS connections, and Node would otherwise
 *    parse that CA bundle at every start (about 30 ms).
 *    (The manager, `mydocker`, is built with KEEP_EXTRA_CA_CERTS: it talks TLS to registries.)
 *  - NODE_FLAGS (the runtime's; scripts/bundle-options.mjs RUNTIME_NODE_FLAGS, via build.mjs):
 *    --jitless: V8 without its compilers. The runtime never gets hot enough for them to pay;
 *    the price, Node's embedded code cache for its own modules refused (it is made with the
 *    default flags) and those outside the start-up snapshot compiled from source, is small for
 *    the runtime, which loads only node:vm and node:os: `run` of /bin/true 98.6 -> 94.7 ms
 *    median (same-run A/B, 50 rounds), 127 fewer page faults, about 8 ms less CPU (compile
 *    threads). The manager keeps the compilers: its commands load node:net and node:stream
 *    (4.4 -> 10.3 ms from source) and `pull` parses every tar header in JavaScript; jitless
 *    `mydocker pull` of busybox measured 108.8 against 99.7 ms with them (21 rounds, same-run
 *    A/B), of the 53 MB bench image 953 against 981 ms (7 rounds).
 *    --no-expose-wasm: jitless has no WebAssembly (the runtime does not use it), and V8 warns on
 *    stderr at every start otherwise.
 *    --no-rehash-snapshot: V8 keeps the string-hash seed baked into Node's start-up snapshot
 *    instead of drawing one and rehashing the snapshot's strings. On Node 20.20 drawing one
 *    derives rapidhash secrets whose primality V8 tests with a bit-serial Miller-Rabin: `node
 *    --jitless` on an empty file 23.1-24.1 -> 17.7-18.1 ms CPU (perf stat, 40 runs), the
 *    largest single item of Node's start. A known seed matters only against hash flooding by
 *    untrusted keys; the runtime's inputs (config.json, process.json, its own state) come from
 *    its root caller. The manager, which parses registries' JSON and layers' file names, keeps
 *    a random seed.
 *  - KEEPER_COMMANDS (the runtime's create, run and exec): start the cgroup migration keeper
 *    below before Node starts, its pid in MYDOCKER_MIGRATION_KEEPER.
 * The Node binary is the one the project was built with (MYDOCKER_NODE at build time), or
 * `node` from PATH.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef MYDOCKER_NODE
#define MYDOCKER_NODE "node"
#endif
#ifndef MYDOCKER_SCRIPT
#define MYDOCKER_SCRIPT "mydocker-runtime.js"
#endif

#ifdef KEEPER_COMMANDS
/*
 * The cgroup migration keeper. Every write to a cgroup.procs file takes the kernel's global
 * cgroup_threadgroup_rwsem for writing; the first writer after a quiet spell waits for an RCU
 * grace period (rcu_sync_enter, 8-19 ms here), and writers within one grace period of the last
 * one do not. runc's init start overlaps that wait; Node's start (about 20 ms) cannot be
 * overlapped from inside Node. So for the commands that move processes into cgroups the launcher
 * forks this keeper first: it moves itself into the cgroup it is already in (a no-op
 * migration: "0" is the writer itself) at once, which pays the grace period while Node starts,
 * and again every KEEPER_INTERVAL_MS, which keeps the fast path open until the runtime has moved
 * its process. The runtime then kills and reaps it (runtime/cgroups/migration-keeper.ts).
 * It dies with the runtime in any case (PR_SET_PDEATHSIG) and ends by itself after
 * KEEPER_LIFETIME_MS. Best effort: without a cgroup it can move itself in, it exits at once.
 */
#define KEEPER_INTERVAL_MS 2
#define KEEPER_LIFETIME_MS 2000

static const char *const keeper_commands[] = {KEEPER_COMMANDS};
static const char *const value_flags[] = {VALUE_FLAGS};

static int listed(const char *arg, const char *const *list, size_t n) {
	for (size_t i = 0; i < n; i++)
		if (strcmp(arg, list[i]) == 0) return 1;
	return 0;
}

/* The command: the first argument that is neither a flag nor the value of a global flag. */
static int wants_keeper(int argc, char **argv) {
	for (int i = 1; i < argc; i++) {
		if (listed(argv[i], value_flags, sizeof value_flags / sizeof value_flags[0])) i++;
		else if (argv[i][0] != '-') return listed(argv[i], keeper_commands, sizeof keeper_commands / sizeof keeper_commands[0]);
	}
	return 0;
}

static size_t read_file(const char *path, char *buf, size_t size) {
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return 0;
	size_t len = 0;
	ssize_t n;
	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0) len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return len;
}

/* True when every name of the comma-separated `names` is one of the comma-separated `options`. */
static int all_in(const char *names, size_t names_len, const char *options) {
	const char *name = names, *end = names + names_len;
	while (name < end) {
		const char *comma = memchr(name, ',', (size_t)(end - name));
		size_t len = (size_t)((comma ? comma : end) - name);
		int found = 0;
		for (const char *o = options; *o && !found;) {
			size_t olen = strcspn(o, ",");
			found = olen == len && strncmp(o, name, len) == 0;
			o += olen + (o[olen] == ',');
		}
		if (!found) return 0;
		name += len + 1;
	}
	return 1;
}

/*
 * The cgroup.procs file of this process' own cgroup in the first cgroup (v1) or cgroup2 mount of
 * a hierarchy's root, as runtime/cgroups/migration-warmup.ts picks it.
 */
static int own_procs_file(char *out, size_t size) {
	static char cgroups[8192], mountinfo[65536];
	if (!read_file("/proc/self/cgroup", cgroups, sizeof cgroups) || !read_file("/proc/self/mountinfo", mountinfo, sizeof mountinfo)) return 0;
	for (char *line = mountinfo, *next; *line; line = next) {
		next = strchr(line, '\n');
		if (next) *next++ = '\0';
		else next = line + strlen(line);
		/* id parent dev root mountpoint options [optional...] - fstype source superoptions */
		char root[PATH_MAX], mountpoint[PATH_MAX], fstype[32], superopts[512];
		const char *dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mountpoint) != 2) continue;
		if (sscanf(dash + 3, "%31s %*s %511s", fstype, superopts) != 2 || strcmp(root, "/") != 0) continue;
		int v2 = strcmp(fstype, "cgroup2") == 0;
		if (!v2 && strcmp(fstype, "cgroup") != 0) continue;
		/* /proc/self/cgroup: hierarchy-id:controllers:path ("0::path" for cgroup2) */
		for (const char *entry = cgroups; *entry;) {
			const char *eol = strchr(entry, '\n');
			size_t entry_len = eol ? (size_t)(eol - entry) : strlen(entry);
			const char *c1 = memchr(entry, ':', entry_len);
			const char *c2 = c1 ? memchr(c1 + 1, ':', entry_len - (size_t)(c1 + 1 - entry)) : NULL;
			if (c2) {
				size_t names_len = (size_t)(c2 - c1 - 1);
				int match = v2 ? names_len == 0 : names_len > 0 && all_in(c1 + 1, names_len, superopts);
				if (match) {
					int path_len = (int)(entry + entry_len - c2 - 1);
					const char *path = c2 + 1;
					if (path_len == 1 && path[0] == '/') path_len = 0;
					int n = snprintf(out, size, "%s%.*s/cgroup.procs", mountpoint, path_len, path);
					return n > 0 && (size_t)n < size;
				}
			}
			entry += entry_len + (eol != NULL);
		}
	}
	return 0;
}

static void keep_migrations_fast(pid_t runtime) {
	/* nothing of the caller's: a pipe it reads to its end must not wait for this process */
	syscall(SYS_close_range, 0U, ~0U, 0U);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != runtime) _exit(0);
	prctl(PR_SET_NAME, "mydocker-keeper");
	char procs[PATH_MAX];
	if (!own_procs_file(procs, sizeof procs)) _exit(0);
	struct timespec interval = {0, KEEPER_INTERVAL_MS * 1000000L}, start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (now = start; (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < KEEPER_LIFETIME_MS;
	     clock_gettime(CLOCK_MONOTONIC, &now)) {
		int fd = open(procs, O_WRONLY | O_CLOEXEC);
		int moved = fd >= 0 && write(fd, "0", 1) == 1;
		if (fd >= 0) close(fd);
		if (!moved) break; /* no cgroup to keep warm: nothing to do but be reaped */
		nanosleep(&interval, NULL);
	}
	_exit(0);
}

static void start_keeper(int argc, char **argv) {
	unsetenv("MYDOCKER_MIGRATION_KEEPER");
	if (!wants_keeper(argc, argv)) return;
	pid_t runtime = getpid();
	pid_t keeper = fork();
	if (keeper == 0) keep_migrations_fast(runtime);
	if (keeper < 0) return;
	char value[32];
	snprintf(value, sizeof value, "%d", (int)keeper);
	setenv("MYDOCKER_MIGRATION_KEEPER", value, 1);
}
#endif

int main(int argc, char **argv) {
#ifdef KEEPER_COMMANDS
	start_keeper(argc, argv);
#endif
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
		char value[64];
		snprintf(value, sizeof value, "%llu:%llu", (unsigned long long)nofile.rlim_cur, (unsigned long long)nofile.rlim_max);
		setenv("MYDOCKER_CALLER_NOFILE", value, 1);
	}
#ifndef KEEP_EXTRA_CA_CERTS
	unsetenv("NODE_EXTRA_CA_CERTS");
#endif

	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n < 0) {
		perror("mydocker-runtime: readlink /proc/self/exe");
		return 1;
	}
	self[n] = '\0';
	char script[PATH_MAX];
	snprintf(script, sizeof script, "%s/%s", dirname(self), MYDOCKER_SCRIPT);

#ifdef NODE_FLAGS
	const char *flags[] = {NODE_FLAGS};
	size_t nflags = sizeof flags / sizeof flags[0];
#else
	const char **flags = NULL;
	size_t nflags = 0;
#endif
	char **args = calloc((size_t)argc + 2 + nflags, sizeof *args);
	if (!args) return 1;
	size_t at = 0;
	args[at++] = "node";
	for (size_t i = 0; i < nflags; i++) args[at++] = (char *)flags[i];
	args[at++] = script;
	for (int i = 1; i < argc; i++) args[at++] = argv[i];
	execv(MYDOCKER_NODE, args);
	execvp("node", args);
	fprintf(stderr, "mydocker-runtime: cannot run node: %s\n", strerror(errno));
	return 127;
}
