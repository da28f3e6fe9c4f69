/*
 * mydocker-runtime: the program clients run. It starts Node on the bundled runtime
 * (mydocker-runtime.js next to this file) after doing two things Node cannot do for itself:
 *  - record the caller's RLIMIT_NOFILE in MYDOCKER_CALLER_NOFILE ("soft:hard"): Node raises its
 *    soft limit to the hard limit before any JavaScript runs, and a container must get what the
 *    caller had (as it does with runc);
 *  - drop NODE_EXTRA_CA_CERTS: the runtime makes no TLS connections, and Node would otherwise
 *    parse that CA bundle at every start (about 30 ms).
 *    (The manager, `mydocker`, is built with KEEP_EXTRA_CA_CERTS: it talks TLS to registries.)
 *  - JITLESS_COMMANDS ("*" or a space-separated list): run V8 without its compilers (--jitless)
 *    for those commands. The price: Node's embedded code cache for its own modules is made
 *    with the default V8 flags and is refused, so every built-in module outside the start-up
 *    snapshot is compiled from source (node:net + node:stream + node:zlib: 4.4 -> 10.3 ms).
 *    The runtime ("*") loads none but node:vm, and never gets hot: `run` of /bin/true 98.6 ->
 *    94.7 ms median (same-run A/B, 50 rounds), 127 fewer page faults, about 8 ms less CPU
 *    (compile threads). The manager's `pull` loads net, stream and zlib but its heavy work is
 *    native (zlib, sha256, writes), and without compile threads zlib has the second CPU:
 *    the 53 MB bench image 1065 -> 1045, 1094 -> 1051, 1115 -> 1041 ms, busybox 210 -> 201
 *    ms. Its other commands are start-up and built-in modules: `ps -a` and `run --rm busybox
 *    true` were 3-16 ms slower jitless, so they keep the compilers.
 *    --no-expose-wasm: jitless has no WebAssembly (neither program uses it; we do not use
 *    fetch/undici), and V8 warns on stderr at every start otherwise.
 *    JITLESS_FLAGS: the node flags for that (scripts/bundle-options.mjs NODE_FLAGS, via build.mjs).
 *    The runtime's (RUNTIME_NODE_FLAGS) add --no-rehash-snapshot: V8 keeps the string-hash seed
 *    baked into Node's start-up snapshot instead of drawing one and rehashing the snapshot's
 *    strings. On Node 20.20 drawing one derives rapidhash secrets whose primality V8 tests with
 *    a bit-serial Miller-Rabin: `node --jitless` on an empty file 23.1-24.1 -> 17.7-18.1 ms CPU
 *    (perf stat, 40 runs), the largest single item of Node's start. A known seed matters only
 *    against hash flooding by untrusted keys; the runtime's inputs (config.json, process.json,
 *    its own state) come from its root caller. The manager, which parses registries' JSON and
 *    layers' file names, keeps a random seed.
 *    VALUE_FLAGS: the program's global flags that take a separate value (to find the command).
 * The Node binary is the one the project was built with (MYDOCKER_NODE at build time), or
 * `node` from PATH.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#ifndef MYDOCKER_NODE
#define MYDOCKER_NODE "node"
#endif
#ifndef MYDOCKER_SCRIPT
#define MYDOCKER_SCRIPT "mydocker-runtime.js"
#endif

#ifdef JITLESS_COMMANDS
#if !defined(VALUE_FLAGS) || !defined(JITLESS_FLAGS)
#error VALUE_FLAGS (to find the command) and JITLESS_FLAGS are needed with JITLESS_COMMANDS
#endif
static const char *const value_flags[] = {VALUE_FLAGS, NULL};

static int takes_value(const char *arg) {
	for (int i = 0; value_flags[i]; i++)
		if (strcmp(arg, value_flags[i]) == 0) return 1;
	return 0;
}

/* The command: the first argument that is neither a flag nor a global flag's value. */
static const char *command_of(int argc, char **argv) {
	for (int i = 1; i < argc; i++) {
		if (takes_value(argv[i])) i++;
		else if (argv[i][0] != '-') return argv[i];
	}
	return "";
}

static int jitless(int argc, char **argv) {
	const char *list = JITLESS_COMMANDS;
	if (strcmp(list, "*") == 0) return 1;
	const char *command = command_of(argc, argv);
	size_t len = strlen(command);
	for (const char *p = list; len > 0 && (p = strstr(p, command)) != NULL; p += len) {
		int starts = p == list || p[-1] == ' ';
		int ends = p[len] == '\0' || p[len] == ' ';
		if (starts && ends) return 1;
	}
	return 0;
}
#else
#define JITLESS_FLAGS NULL
static int jitless(int argc, char **argv) {
	(void)argc;
	(void)argv;
	return 0;
}
#endif

int main(int argc, char **argv) {
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

	const char *flags[] = {JITLESS_FLAGS};
	size_t nflags = jitless(argc, argv) ? sizeof flags / sizeof flags[0] : 0;
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
