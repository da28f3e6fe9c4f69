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
