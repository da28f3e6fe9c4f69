/*
 * mydocker-runtime: the program clients run. It starts Node on the bundled runtime
 * (mydocker-runtime.js next to this file) after doing two things Node cannot do for itself:
 *  - record the caller's RLIMIT_NOFILE in MYDOCKER_CALLER_NOFILE ("soft:hard"): Node raises its
 *    soft limit to the hard limit before any JavaScript runs, and a container must get what the
 *    caller had (as it does with runc);
 *  - drop NODE_EXTRA_CA_CERTS: the runtime makes no TLS connections, and Node would otherwise
 *    parse that CA bundle at every start (about 30 ms).
 *    (The manager, `mydocker`, is built with KEEP_EXTRA_CA_CERTS: it talks TLS to registries.)
 *  - with JITLESS (both programs): run V8 without its compilers (--jitless). A runtime command
 *    lives for tens of milliseconds and never gets hot; the compilers cost it more than they
 *    give: same-run A/B of `run` of /bin/true 98.6 -> 94.7 ms median (50 rounds), 127 fewer
 *    page faults, about 8 ms less CPU (compile threads). The manager's heavy work is native
 *    (zlib, sha256, writes): pulling a 53 MB layer took 1065 -> 1045 ms (7 rounds), the
 *    compile threads no longer compete with zlib for the two CPUs; busybox pull and `run`
 *    were the same either way. --no-expose-wasm: jitless has no WebAssembly (neither program
 *    uses it; we do not use fetch/undici), and V8 warns on stderr at every start otherwise.
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

#ifdef JITLESS
	const char *flags[] = {"--jitless", "--no-expose-wasm"};
#else
	const char *flags[] = {NULL};
#endif
	size_t nflags = flags[0] ? sizeof flags / sizeof flags[0] : 0;
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
