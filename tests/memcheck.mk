# SPDX-License-Identifier: MIT
# make memcheck: a short torture run of every strategy `ptsync list` names,
# under valgrind's memcheck.  Not part of `make check` (it is slow, and
# valgrind is not one of the deps); run it after touching memory handling.
#
# Takes 3-4 s per strategy once built (a 2 s run plus valgrind's start-up
# and teardown): 10 s for three strategies, 38 s for eleven, on the 2-core
# development VM (AMD EPYC, Linux 6.18, valgrind 3.19), measured with
# other work loading the host.
#
# --fair-sched=yes is not optional.  valgrind runs one thread at a time
# under a big lock, and its default lock lets the threads that spin (walkers,
# bystanders, a CPU waiting for an IPI) keep a runnable thread off it for
# tens of seconds: a CPU whose grace period has already ended then never
# wakes up, and the watchdog rightly reports a stall held up by the host
# scheduler.  With a fair (ticket) lock every runnable thread gets its turn.
#
# Each run must come back with no valgrind error (--error-exitcode) and
# with the exit status torture gives that strategy natively: 0 for a safe
# one; 0 or 1 for one `ptsync list` marks UNSAFE, whose violations are the
# checker working (a short run may not catch one).  Leaks count only when
# definite: liburcu's call_rcu worker lives until exit, by design.

VALGRIND          ?= valgrind
MEMCHECK_DURATION ?= 2
MEMCHECK_FLAGS    := -q --fair-sched=yes --error-exitcode=99 --leak-check=full \
                     --errors-for-leak-kinds=definite --show-leak-kinds=definite

# "NAME safe|unsafe" per strategy, from `ptsync list --tsv` (tab-separated:
# name, verdict, ...); a build whose list has no --tsv prints its table,
# one strategy a line, unsafe ones marked UNSAFE, and that works too.
MEMCHECK_STRATEGIES = awk -F'\t' '{ if (NF > 1) print $$1, $$2; \
	else { split($$0, f, " "); print f[1], ($$0 ~ /UNSAFE/ ? "unsafe" : "safe") } }' \
	$(BUILD)/memcheck-list

memcheck: $(PTSYNC)
	@command -v $(VALGRIND) >/dev/null 2>&1 || \
	    { echo "make memcheck: $(VALGRIND) not found (apt-get install valgrind)"; exit 1; }
	@$(PTSYNC) list --tsv >$(BUILD)/memcheck-list || \
	    { echo "make memcheck: $(PTSYNC) list --tsv failed"; exit 1; }
	@fail=0; start=$$(date +%s); \
	for s in $$($(MEMCHECK_STRATEGIES) | awk '{ print $$1 }'); do \
	    unsafe=$$($(MEMCHECK_STRATEGIES) | awk -v s=$$s '$$1 == s && $$2 == "unsafe" { print 1 }'); \
	    t0=$$(date +%s); \
	    $(VALGRIND) $(MEMCHECK_FLAGS) $(PTSYNC) torture --strategy=$$s \
	        --duration=$(MEMCHECK_DURATION) --no-progress >$(BUILD)/memcheck-$$s.out 2>&1; \
	    rc=$$?; \
	    if [ $$rc -eq 0 ] || { [ -n "$$unsafe" ] && [ $$rc -eq 1 ]; }; then \
	        echo "memcheck: $$s: clean (exit $$rc, $$(( $$(date +%s) - t0 )) s)"; \
	    else \
	        echo "memcheck: $$s: FAILED (exit $$rc; 99 = valgrind errors), $(BUILD)/memcheck-$$s.out:"; \
	        sed 's/^/    /' $(BUILD)/memcheck-$$s.out | grep -v '^    ptsync torture \(cpu\|stats\)'; \
	        fail=1; \
	    fi; \
	done; \
	echo "memcheck: $$(( $$(date +%s) - start )) s"; \
	exit $$fail

.PHONY: memcheck
