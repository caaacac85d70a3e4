# SPDX-License-Identifier: MIT
# make bench: repeatable measurements of the walker and the freer.
#
# Why: the torture test proves a strategy safe but not what it costs; these
# are the costs (a walk's protection, the batched freeing path), one
# command away so that a change can be measured before it is argued over.
# Included from the top-level Makefile, so it shares its variables (BUILD,
# CFLAGS, the $(BUILD)/%.o rule).  Benchmarks are not tests: they assert
# nothing about time, and check never runs them.  See bench/README.md.

BENCH_SRCS := $(sort $(wildcard bench/*.c))
BENCH_BINS := $(BENCH_SRCS:%.c=$(BUILD)/%)

$(BENCH_BINS): $(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libptsync.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench-build: deps-check $(BENCH_BINS)

bench: bench-build
	@echo "== machine: $$(nproc) CPUs, $$(LC_ALL=C lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), kernel $$(uname -r)"
	bench/walk_insns.sh $(BUILD)/bench/walk_insns
	$(BUILD)/bench/table_free
	$(BUILD)/bench/fanout
	$(BUILD)/bench/trace_overhead

# How often the blind sweep catches each unsafe strategy, and how fast, at
# the host's CPU count and at 16 (tens of minutes; RUNS, SECONDS_EACH and
# CPUS_LIST shorten it; see the script).
bench-detect: $(PTSYNC)
	bench/detect.sh $(PTSYNC)

.PHONY: bench bench-build bench-detect
