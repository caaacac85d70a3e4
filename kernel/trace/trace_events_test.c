// SPDX-License-Identifier: MIT
/*
 * Trace events (kernel/trace/trace_events.c): the drop count.
 *
 * What breaks if these fail: a trace whose buffers filled says in its
 * file how many events are missing, so a reader knows the timeline has
 * holes.  The file once said "dropped":0 while stderr said 196,784,
 * because trace_close() cleared the global before counting through it.
 * Here the buffers are made tiny and overfilled by a known amount: the
 * count before closing, the one in the file and the arithmetic agree.
 */
#include <string.h>

#include "ptsync/strategy.h"
#include "ptsync/trace.h"
#include "tap.h"

#define CAP	32	/* records per CPU buffer: the smallest trace_open() takes is 16 */

/* The "dropped":N of the file at @path, -1 if absent. */
static long long file_dropped(const char *path, long long *events)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	const char *p;
	long long d = -1;

	if (f)
		fclose(f);
	buf[n] = 0;
	p = strstr(buf, "\"dropped\":");
	if (p)
		d = strtoll(p + strlen("\"dropped\":"), NULL, 10);
	*events = 0;
	for (p = buf; (p = strstr(p, "\"cat\":")); p++)
		(*events)++;
	return d;
}

int main(void)
{
	char path[] = "/tmp/ptsync-trace-test-XXXXXX";
	struct pt_sync_ops ops = { .name = "test" };
	struct cpu cpus[2];
	struct ptsync_run run;
	long long in_file, events;
	uint64_t before;
	int fd = mkstemp(path);

	(void)test_run_start;	/* tap.h's CPU harness: not needed here */
	if (fd < 0) {
		ok(0, "mkstemp: %s", path);
		return done_testing();
	}
	close(fd);
	memset(&run, 0, sizeof(run));
	memset(cpus, 0, sizeof(cpus));
	run.ops = &ops;
	run.nr_cpus = 2;
	run.cpus = cpus;
	run.cfg.hz = 250;
	cpus[0].role = ROLE_FREER;
	cpus[1].role = ROLE_BYSTANDER;

	ok(trace_open(path, 2, CAP, 1) == 0, "trace_open: 2 CPUs, %d records each", CAP);
	trace_run_begin(&run);
	/* CPU 0 overfills by 3 * CAP; CPU 1 and the callback worker fit. */
	for (int i = 0; i < 4 * CAP; i++)
		trace_event(0, TR_IPI_SEND, 1);
	for (int i = 0; i < 10; i++)
		trace_event(1, TR_IPI_RECV, -1);
	for (int i = 0; i < 5; i++)
		trace_event(-1, TR_FREE_BATCH, 7);
	before = trace_dropped();
	ok(before == 3 * CAP, "trace_dropped() %llu = the %d events past CPU 0's buffer",
	   (unsigned long long)before, 3 * CAP);
	ok(trace_close() == 0, "trace_close() wrote the file");
	ok(trace_dropped() == 0, "after closing nothing is traced: trace_dropped() 0");
	in_file = file_dropped(path, &events);
	ok(in_file == (long long)before, "the file's \"dropped\" %lld = the count reported (%llu)",
	   in_file, (unsigned long long)before);
	ok(events == CAP + 10 + 5, "the file has the %d events kept (%lld)", CAP + 10 + 5, events);
	unlink(path);
	return done_testing();
}
