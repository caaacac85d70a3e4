// SPDX-License-Identifier: MIT
/*
 * fanout: what a broadcast to K spinning targets, waiting until all K have
 * taken it, costs the sender, per delivery mechanism, on this host, beside
 * the kernel's own broadcast measured the same way.
 *
 * Why: ptsync's IPIs are one real-time signal per target (kernel/smp.c),
 * one syscall each, where the kernel queues the call on every target and
 * sends the whole mask at once.  The model's broadcast therefore grows
 * faster with K than the kernel's, and its figures do not carry to other
 * core counts.  This bench looks for a delivery, or a structure of
 * senders, whose cost against K stays within 2x of the kernel's at every K
 * the host has, and, where none does, shows why.  bench/README.md has the
 * method and the results.
 *
 * Targets spin, each pinned alone on a CPU other than the sender's (K =
 * 1, 2, 4, ... up to the usable CPUs - 1).  One round: the sender bumps a
 * shared sequence number, delivers, and spins until every target has
 * stored that number in its own cache line (an acquire load of each).
 *
 *   thread targets (one process):
 *     pthread_kill      one pthread_kill() per target (what ptsync does)
 *     tgkill            one raw tgkill(2) per target
 *     sigqueueinfo      one rt_tgsigqueueinfo(2) per target
 *     relay             a binary tree: the sender signals target 0, each
 *                       target's handler signals its two children first
 *                       (adds two syscalls to a target's cost)
 *     futex             targets sleep in FUTEX_WAIT on the sequence word;
 *                       one FUTEX_WAKE wakes all (targets must sleep, not
 *                       run: a different workload, noted)
 *     poll              targets poll the sequence word in their loop: no
 *                       kernel at all, the floor (the workload pays the
 *                       polling, noted)
 *     kernel-private    membarrier(PRIVATE_EXPEDITED): the kernel IPIs the
 *                       CPUs running this mm, i.e. the K spinners
 *   process targets (K processes in one process group):
 *     kill-pgid         one kill(-pgid): the kernel signals all K
 *     kernel-global     membarrier(GLOBAL_EXPEDITED), the K processes
 *                       registered: hostcheck's kernel broadcast
 *
 * Nothing hangs: every wait for acknowledgements gives up after a second
 * (the round is counted lost and the mechanism stops at that K), spinners
 * leave when told or when their parent dies, and a watchdog alarm ends
 * the program if a whole K takes far too long.
 *
 * Usage: fanout [--max-k=N] [--rounds=N] [--ms=N]
 *   --max-k   largest K (default: usable CPUs - 1)
 *   --rounds  most rounds per mechanism per K (default 20000)
 *   --ms      most milliseconds per mechanism per K (default 300)
 * Prints one line per mechanism: p50 (us) at each K, its least-squares
 * per-target cost and fixed cost where there are 2+ K, and its p50 over
 * the kernel's (kernel-global) at each K.  The kernel interrupts only
 * targets on their CPUs at that instant, so on a busy host many kernel
 * rounds reach no one; the kernel rows say what fraction did
 * (/proc/interrupts), and the ratio is taken against the median of the
 * rounds that did (the slowest fraction r, estimated, where r < 0.9).  Times are noisy on a busy host:
 * this asserts nothing.
 */
#include <errno.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROG "fanout"
#include "bench.h"
#include "ptsync/compiler.h"
#include "ptsync/linfit.h"
#include "ptsync/stats.h"
#include "ptsync/util.h"

#define MAX_K		255
#define MAX_KS		16
#define ACK_TIMEOUT_NS	1000000000ull
#define SIG_FANOUT	(SIGRTMIN + 3)
/* Untimed pause between rounds: handlers finish, futex targets fall asleep. */
#define GAP_NS		20000ull

enum mech {
	M_PTHREAD_KILL, M_TGKILL, M_SIGQUEUE, M_RELAY, M_FUTEX, M_POLL, M_KERNEL_PRIVATE,
	M_KILL_PGID, M_KERNEL_GLOBAL, NR_MECH
};

static const char *const mech_name[NR_MECH] = {
	"pthread_kill", "tgkill", "sigqueueinfo", "relay", "futex", "poll",
	"kernel-private", "kill-pgid", "kernel-global",
};

static const char *const mech_note[NR_MECH] = {
	[M_RELAY] = "targets send 2 signals each",
	[M_FUTEX] = "targets sleep, not run",
	[M_POLL] = "targets poll: no interrupt",
	[M_KERNEL_PRIVATE] = "kernel IPI, threads",
	[M_KERNEL_GLOBAL] = "kernel IPI, processes",
};

/* One cache line per target; shared with process targets (MAP_SHARED). */
struct ack {
	_Atomic uint32_t seq;
	_Atomic pid_t tid;
	char pad[64 - 2 * sizeof(uint32_t)];
};

struct shared {
	_Atomic uint32_t seq;		/* the round being delivered */
	char pad0[60];
	_Atomic uint32_t futex_word;	/* futex targets wait on this */
	char pad1[60];
	_Atomic int quit;		/* targets leave */
	_Atomic int ready;		/* targets up and pinned */
	_Atomic int mode;		/* enum mech the targets run for */
	_Atomic int k;
	struct ack ack[MAX_K];
};

static struct shared *sh;
static _Thread_local int my_idx = -1;
static int proc_idx = -1;	/* in a process target */
static pid_t my_pid;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static inline void relax(void)
{
	cpu_relax();
}

static void ack_round(int idx)
{
	/* Release: pairs with the sender's acquire load in wait_acks(). */
	atomic_store_explicit(&sh->ack[idx].seq,
			      atomic_load_explicit(&sh->seq, memory_order_acquire),
			      memory_order_release);
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	int idx = my_idx >= 0 ? my_idx : proc_idx;
	int saved = errno;

	(void)sig;
	(void)si;
	(void)uc;
	if (idx < 0)
		return;
	if (atomic_load_explicit(&sh->mode, memory_order_relaxed) == M_RELAY) {
		int k = atomic_load_explicit(&sh->k, memory_order_relaxed);

		for (int c = 2 * idx + 1; c <= 2 * idx + 2 && c < k; c++)
			syscall(SYS_tgkill, my_pid, atomic_load(&sh->ack[c].tid), SIG_FANOUT);
	}
	ack_round(idx);
	errno = saved;
}

/* A target: pinned, spinning until quit; what it does per round depends on mode. */
static void target_loop(int idx)
{
	atomic_store(&sh->ack[idx].tid, (pid_t)syscall(SYS_gettid));
	atomic_fetch_add(&sh->ready, 1);
	while (!atomic_load_explicit(&sh->quit, memory_order_relaxed)) {
		int mode = atomic_load_explicit(&sh->mode, memory_order_relaxed);

		if (mode == M_POLL) {
			/* Pairs with the release store of seq in deliver(). */
			uint32_t s = atomic_load_explicit(&sh->seq, memory_order_acquire);

			if (atomic_load_explicit(&sh->ack[idx].seq, memory_order_relaxed) != s)
				ack_round(idx);
		} else if (mode == M_FUTEX) {
			/* Pairs with the release store of futex_word in deliver(). */
			uint32_t w = atomic_load_explicit(&sh->futex_word, memory_order_acquire);

			if (atomic_load_explicit(&sh->ack[idx].seq, memory_order_relaxed) != w) {
				ack_round(idx);
				continue;
			}
			/* 10 ms timeout: a missed wake or quit costs no hang. */
			struct timespec ts = { 0, 10000000 };

			syscall(SYS_futex, &sh->futex_word, FUTEX_WAIT, w, &ts, NULL, 0);
		}
		relax();
	}
}

struct tgt {
	pthread_t th;
	int idx, cpu;
};

static void *target_thread(void *p)
{
	struct tgt *t = p;

	my_idx = t->idx;
	pin(t->cpu);
	target_loop(t->idx);
	return NULL;
}

/* Until every target acked @seq, at most a second: 0, or -1 if one did not. */
static int wait_acks(int k, uint32_t seq)
{
	uint64_t since = now_ns();

	for (int i = 0; i < k; i++) {
		/* Pairs with the release store of the ack in ack_round(). */
		while (atomic_load_explicit(&sh->ack[i].seq, memory_order_acquire) != seq) {
			if (now_ns() - since > ACK_TIMEOUT_NS)
				return -1;
			relax();
		}
	}
	return 0;
}

static long membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0);
}

/* One round of @m to @k targets; 0 or -1. */
static int deliver(enum mech m, int k, pthread_t *threads, pid_t pgid)
{
	uint32_t seq = atomic_load_explicit(&sh->seq, memory_order_relaxed) + 1;
	siginfo_t si;

	/* Release: the round number before any delivery of it. */
	atomic_store_explicit(&sh->seq, seq, memory_order_release);
	switch (m) {
	case M_PTHREAD_KILL:
		for (int i = 0; i < k; i++)
			pthread_kill(threads[i], SIG_FANOUT);
		break;
	case M_TGKILL:
		for (int i = 0; i < k; i++)
			syscall(SYS_tgkill, my_pid, atomic_load(&sh->ack[i].tid), SIG_FANOUT);
		break;
	case M_SIGQUEUE:
		for (int i = 0; i < k; i++) {
			memset(&si, 0, sizeof(si));
			si.si_signo = SIG_FANOUT;
			si.si_code = SI_QUEUE;
			si.si_pid = my_pid;
			syscall(SYS_rt_tgsigqueueinfo, my_pid, atomic_load(&sh->ack[i].tid),
				SIG_FANOUT, &si);
		}
		break;
	case M_RELAY:
		syscall(SYS_tgkill, my_pid, atomic_load(&sh->ack[0].tid), SIG_FANOUT);
		break;
	case M_FUTEX:
		atomic_store_explicit(&sh->futex_word, seq, memory_order_release);
		syscall(SYS_futex, &sh->futex_word, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
		break;
	case M_POLL:
		break;
	case M_KERNEL_PRIVATE:
		if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED))
			return -1;
		/* The kernel waited for the IPIs; the targets have no handler to
		 * run, so there is nothing more to wait for. */
		return 0;
	case M_KILL_PGID:
		kill(-pgid, SIG_FANOUT);
		break;
	case M_KERNEL_GLOBAL:
		return membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) ? -1 : 0;
	case NR_MECH:
		break;
	}
	return wait_acks(k, seq);
}

struct result {
	bool measured;
	uint64_t p50, p99;
	uint64_t rounds;
	double reached;		/* kernel rows: IPIs the targets took per round
				 * per target (/proc/interrupts); -1 unknown */
	uint64_t p50_reached;	/* kernel rows with reached < 0.9: the median of
				 * the slowest fraction reached (the rounds that
				 * did interrupt), an estimate; else p50 */
};

static const int *target_cpus;

static struct result res[NR_MECH][MAX_KS];
static unsigned int max_rounds = 20000, max_ms = 300;

static void measure(enum mech m, int ki, int k, pthread_t *threads, pid_t pgid)
{
	struct samples s;
	uint64_t end, rounds = 0;
	int64_t before, after;

	atomic_store(&sh->k, k);
	atomic_store(&sh->mode, (int)m);
	/* Let targets see the mode (futex targets may be asleep 10 ms). */
	for (uint64_t t = now_ns(); now_ns() - t < 20000000ull; )
		relax();
	samples_init(&s, max_rounds);
	for (int w = 0; w < 100; w++)		/* warm-up, untimed */
		if (deliver(m, k, threads, pgid))
			goto lost;
	before = proc_call_ipis_sum(target_cpus, k);
	end = now_ns() + (uint64_t)max_ms * 1000000ull;
	while (s.n < max_rounds && now_ns() < end) {
		uint64_t t0 = now_ns();

		if (deliver(m, k, threads, pgid))
			goto lost;
		samples_add(&s, now_ns() - t0);
		for (uint64_t t1 = now_ns(); now_ns() - t1 < GAP_NS; )
			relax();
	}
	after = proc_call_ipis_sum(target_cpus, k);
	rounds = s.n;
	res[m][ki].reached = before >= 0 && after >= before && rounds ?
		(double)(after - before) / (double)rounds / k : -1;
	res[m][ki].measured = true;
	res[m][ki].rounds = s.n;
	res[m][ki].p50 = samples_percentile(&s, 50);
	res[m][ki].p50_reached = res[m][ki].p50;
	if (res[m][ki].reached > 0 && res[m][ki].reached < 0.9)
		res[m][ki].p50_reached = samples_percentile(&s, 100 - 50 * res[m][ki].reached);
	res[m][ki].p99 = samples_percentile(&s, 99);
	samples_free(&s);
	return;
lost:
	fprintf(stderr, "%s: %s at K=%d: a round was not acknowledged within 1 s (or the "
		"call failed: %s); skipped\n", PROG, mech_name[m], k, strerror(errno));
	samples_free(&s);
}

static void reset_targets(void)
{
	atomic_store(&sh->quit, 0);
	atomic_store(&sh->ready, 0);
	atomic_store(&sh->mode, M_PTHREAD_KILL);
	for (int i = 0; i < MAX_K; i++)
		atomic_store(&sh->ack[i].seq, atomic_load(&sh->seq));
	atomic_store(&sh->futex_word, atomic_load(&sh->seq));
}

static int wait_ready(int k)
{
	uint64_t since = now_ns();

	while (atomic_load(&sh->ready) < k) {
		if (now_ns() - since > 10 * ACK_TIMEOUT_NS)
			return -1;
		usleep(1000);
	}
	return 0;
}

static void run_threads(int ki, int k, const int *cpus)
{
	struct tgt t[MAX_K];
	pthread_t th[MAX_K];

	reset_targets();
	for (int i = 0; i < k; i++) {
		t[i].idx = i;
		t[i].cpu = cpus[i];
		if (pthread_create(&t[i].th, NULL, target_thread, &t[i])) {
			fprintf(stderr, "%s: pthread_create failed\n", PROG);
			exit(4);
		}
		th[i] = t[i].th;
	}
	if (wait_ready(k) == 0) {
		for (int m = M_PTHREAD_KILL; m <= M_KERNEL_PRIVATE; m++)
			measure((enum mech)m, ki, k, th, 0);
	}
	atomic_store(&sh->quit, 1);
	atomic_store(&sh->futex_word, atomic_load(&sh->futex_word) + 1);
	syscall(SYS_futex, &sh->futex_word, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
	for (int i = 0; i < k; i++)
		pthread_join(t[i].th, NULL);
}

static void run_processes(int ki, int k, const int *cpus)
{
	pid_t pids[MAX_K], pgid = 0, parent = getpid();

	reset_targets();
	fflush(NULL);
	for (int i = 0; i < k; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(1);
			setpgid(0, i ? pgid : 0);
			my_pid = getpid();
			proc_idx = i;
			pin(cpus[i]);
			membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED);
			target_loop(i);
			_exit(0);
		}
		if (pids[i] < 0) {
			fprintf(stderr, "%s: fork failed: %s\n", PROG, strerror(errno));
			exit(4);
		}
		if (i == 0)
			pgid = pids[0];
		setpgid(pids[i], pgid);	/* also here: no race with the child's own */
	}
	if (wait_ready(k) == 0) {
		measure(M_KILL_PGID, ki, k, NULL, pgid);
		measure(M_KERNEL_GLOBAL, ki, k, NULL, pgid);
	}
	atomic_store(&sh->quit, 1);
	for (int i = 0; i < k; i++) {
		uint64_t since = now_ns();

		while (waitpid(pids[i], NULL, WNOHANG) != pids[i]) {
			if (now_ns() - since > ACK_TIMEOUT_NS)
				kill(pids[i], SIGKILL);
			usleep(1000);
		}
	}
}

static void print_results(const int *ks, int nk)
{
	printf("\n%-15s", "p50 us at K =");
	for (int i = 0; i < nk; i++)
		printf(" %8d", ks[i]);
	printf("   %-26s %s\n", "per-target + fixed (fit)",
	       "x kernel-global's p50 of rounds that reached, at each K");
	for (int m = 0; m < NR_MECH; m++) {
		double x[MAX_KS], y[MAX_KS];
		size_t n = 0;
		struct linfit f;

		printf("%-15s", mech_name[m]);
		for (int i = 0; i < nk; i++) {
			if (res[m][i].measured) {
				printf(" %8.2f", (double)res[m][i].p50 / 1e3);
				x[n] = ks[i];
				y[n++] = (double)res[m][i].p50;
			} else {
				printf(" %8s", "-");
			}
		}
		f = linfit(x, y, n);
		if (f.ok)
			printf("   %6.2f us/target + %5.2f  ", f.slope / 1e3, f.intercept / 1e3);
		else
			printf("   %-26s", "no fit (one K)");
		for (int i = 0; i < nk; i++) {
			const struct result *kr = &res[M_KERNEL_GLOBAL][i];

			/* Kernel rows against their own rounds that reached, too. */
			uint64_t mine = m == M_KERNEL_PRIVATE || m == M_KERNEL_GLOBAL ?
					res[m][i].p50_reached : res[m][i].p50;

			if (res[m][i].measured && kr->measured && kr->p50_reached)
				printf(" %5.2fx", (double)mine / (double)kr->p50_reached);
			else
				printf(" %6s", "-");
		}
		if (mech_note[m])
			printf("  (%s)", mech_note[m]);
		putchar('\n');
	}
	printf("\nkernel rows, IPIs the targets took per round per target (1: every round "
	       "reached every target; below 1 the p50 is partly of rounds that\ninterrupted "
	       "no one: the targets were off their CPUs, a busy host):\n");
	for (int m = M_KERNEL_PRIVATE; m < NR_MECH; m += M_KERNEL_GLOBAL - M_KERNEL_PRIVATE) {
		printf("%-15s", mech_name[m]);
		for (int i = 0; i < nk; i++)
			if (res[m][i].measured && res[m][i].reached >= 0)
				printf(" %8.2f", res[m][i].reached);
			else
				printf(" %8s", "?");
		printf("   p50 of the rounds that reached (estimated where < 0.9):");
		for (int i = 0; i < nk; i++)
			if (res[m][i].measured)
				printf(" %.2f", (double)res[m][i].p50_reached / 1e3);
		putchar('\n');
	}
	printf("\np99 us:\n");
	for (int m = 0; m < NR_MECH; m++) {
		printf("%-15s", mech_name[m]);
		for (int i = 0; i < nk; i++)
			if (res[m][i].measured)
				printf(" %8.2f", (double)res[m][i].p99 / 1e3);
			else
				printf(" %8s", "-");
		putchar('\n');
	}
}

int main(int argc, char **argv)
{
	unsigned int max_k = 0;
	int cpus[CPU_SETSIZE], nr = 0, sender = -1, ks[MAX_KS], nk = 0;
	struct sigaction sa;
	cpu_set_t allowed;

	for (int i = 1; i < argc; i++) {
		if (parse_uint(argv[i], "--max-k=", 1, MAX_K, &max_k) ||
		    parse_uint(argv[i], "--rounds=", 1, 10000000, &max_rounds) ||
		    parse_uint(argv[i], "--ms=", 1, 60000, &max_ms))
			continue;
		fprintf(stderr, "%s: unknown argument '%s' (--max-k=N --rounds=N --ms=N)\n",
			PROG, argv[i]);
		return 2;
	}
	if (sched_getaffinity(0, sizeof(allowed), &allowed)) {
		perror(PROG ": sched_getaffinity");
		return 4;
	}
	for (int i = 0; i < CPU_SETSIZE; i++) {
		if (!CPU_ISSET(i, &allowed))
			continue;
		if (sender < 0)
			sender = i;
		else if (nr < MAX_K)
			cpus[nr++] = i;
	}
	if (!max_k || (int)max_k > nr)
		max_k = (unsigned int)nr;
	if (max_k < 1) {
		fprintf(stderr, "%s: needs 2 usable CPUs (one sender, one target)\n", PROG);
		return 2;
	}
	for (unsigned int k = 1; k < max_k && nk < MAX_KS - 1; k *= 2)
		ks[nk++] = (int)k;
	ks[nk++] = (int)max_k;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror(PROG ": mmap");
		return 4;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIG_FANOUT, &sa, NULL);
	/* The sender never takes its own broadcast (kill(-pgid) excludes it). */
	my_pid = getpid();
	if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED))
		fprintf(stderr, "%s: cannot register PRIVATE_EXPEDITED: %s\n", PROG,
			strerror(errno));
	/* The watchdog: a K that takes 60 s past its budget is a hang. */
	alarm((unsigned int)(60 + (uint64_t)NR_MECH * (max_ms + 200) * (unsigned int)nk / 1000));
	pin(sender);
	target_cpus = cpus;
	printf("fanout: sender on CPU %d, targets on CPUs", sender);
	for (unsigned int i = 0; i < max_k; i++)
		printf(" %d", cpus[i]);
	printf("; at most %u rounds or %u ms per mechanism per K; %ld usable CPUs\n",
	       max_rounds, max_ms, (long)CPU_COUNT(&allowed));
	for (int i = 0; i < nk; i++) {
		run_threads(i, ks[i], cpus);
		run_processes(i, ks[i], cpus);
	}
	print_results(ks, nk);
	return 0;
}
