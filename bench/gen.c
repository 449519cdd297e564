/*
 * Load generator for the per-event and output benchmarks.
 *
 * Makes N getppid() system calls through syscall(2) so that no libc cache can
 * answer them in user space, then prints its pid, N, the loop's duration on
 * the monotonic clock and the CPU time the loop used.  BPF programs attached
 * to the syscall tracepoints run in this thread's context, so the CPU time
 * holds their cost even when other work on the machine delays the loop.
 * The executable is named "benchgen" so scripts can filter on that comm.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long clock_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000000;
	if (n <= 0) {
		fprintf(stderr, "usage: benchgen N (N > 0)\n");
		return 2;
	}
	long long start = clock_ns(CLOCK_MONOTONIC);
	long long cpu_start = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	long long cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
	long long elapsed = clock_ns(CLOCK_MONOTONIC) - start;
	printf("pid=%d n=%ld ns=%lld cpu_ns=%lld\n", (int)getpid(), n, elapsed, cpu);
	return 0;
}
