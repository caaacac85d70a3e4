# SPDX-License-Identifier: MIT
# ptsync: plain make, pkg-config for liburcu.
#
#   make            build build/ptsync
#   make check      unit tests + short torture runs (TAP, prove), then the
#                   same again built with -fsanitize=address,undefined
#   make torture-long  a long sweep of every strategy (TLB modes x archs)
#   make static     build/ptsync linked statically (runs where liburcu and
#                   jansson are not installed; needs their .a files, which
#                   liburcu-dev and libjansson-dev ship)
#   make docs       regenerate the measured tables in README.md and docs/
#                   from docs/data/ (scripts/doctable) and the compare plots
#   make clean

CC         ?= cc
PKG_CONFIG ?= pkg-config
BUILD      ?= build
SAN        ?=
OPT        ?= -O2

URCU_CFLAGS := $(shell $(PKG_CONFIG) --cflags liburcu-qsbr 2>/dev/null)
URCU_LIBS   := $(shell $(PKG_CONFIG) --libs liburcu-qsbr 2>/dev/null)
# jansson: only the tool reads JSON back (scale, recommend), never the model.
JANSSON_CFLAGS := $(shell $(PKG_CONFIG) --cflags jansson 2>/dev/null)
JANSSON_LIBS   := $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null)

CPPFLAGS += -Iinclude -Itests -D_GNU_SOURCE $(URCU_CFLAGS)
CFLAGS   += -std=c11 $(OPT) -g -Wall -Wextra -Werror -Wshadow \
            -Wstrict-prototypes -Wmissing-prototypes -pthread $(SAN)
LDFLAGS  += -pthread $(SAN)
LDLIBS   += $(URCU_LIBS) -lm

SRC_DIRS  := arch init kernel kernel/rcu kernel/trace lib mm strategy
ALL_SRCS  := $(sort $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c)))
TEST_SRCS := $(filter %_test.c,$(ALL_SRCS))
LIB_SRCS  := $(filter-out $(TEST_SRCS),$(ALL_SRCS))
# tools/: the dispatcher (tools/ptsync.c), one folder per command and
# tools/lib/, the shared option layer, output files and time format.
# Files still at the top level build too.  Every folder is on the include
# path, so "compare.h" is found from any of them.  Unit tests of the
# tool's pure parts (tools/**/*_test.c) link with the objects their rule
# names.
TOOL_DIRS  := tools $(patsubst %/,%,$(sort $(dir $(wildcard tools/*/*.c tools/*/*.h))))
TOOL_ALL   := $(sort $(wildcard tools/*.c tools/*/*.c))
TOOL_SRCS  := $(filter-out %_test.c,$(TOOL_ALL))
TOOL_TESTS := $(patsubst %.c,$(BUILD)/%,$(filter %_test.c,$(TOOL_ALL)))

LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
TESTS     := $(TEST_SRCS:%.c=$(BUILD)/%) $(TOOL_TESTS)
PTSYNC    := $(BUILD)/ptsync

all: deps-check $(PTSYNC)

deps-check:
	@$(PKG_CONFIG) --exists liburcu-qsbr jansson || { scripts/deps.sh --check; exit 1; }

$(BUILD)/%.o: %.c $(wildcard include/ptsync/*.h tools/*.h tools/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libptsync.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

# STATIC=1 (what `make static` sets): -static, and the libraries in a group,
# since pkg-config lists urcu-common before urcu-qsbr, which needs it.
PTSYNC_LIBS := $(LDLIBS) $(JANSSON_LIBS)
ifdef STATIC
LDFLAGS     += -static
PTSYNC_LIBS := -Wl,--start-group $(PTSYNC_LIBS) -Wl,--end-group
endif

$(PTSYNC): $(TOOL_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/libptsync.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PTSYNC_LIBS)

# The objects are the same; only the link differs, so relink every time.
static: deps-check
	rm -f $(PTSYNC)
	$(MAKE) $(PTSYNC) STATIC=1
$(BUILD)/tools/%.o: CPPFLAGS += $(JANSSON_CFLAGS) $(addprefix -I,$(TOOL_DIRS))

# ptsync --version: `git describe` of this checkout, or, outside git, the
# fallback in tools/ptsync.c.  The stamp changes only when the version does.
PTSYNC_VERSION := $(shell git describe --always --dirty 2>/dev/null)
$(BUILD)/tools/ptsync.o: CPPFLAGS += $(if $(PTSYNC_VERSION),-DPTSYNC_VERSION='"$(PTSYNC_VERSION)"')
$(BUILD)/tools/ptsync.o: $(BUILD)/version.stamp
$(BUILD)/version.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(PTSYNC_VERSION)' | cmp -s - $@ || echo '$(PTSYNC_VERSION)' >$@

$(BUILD)/%_test: $(BUILD)/%_test.o $(BUILD)/libptsync.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tools/compare/compare_interp_test: $(BUILD)/tools/compare/compare_interp.o
$(BUILD)/tools/lib/opts_test: $(BUILD)/tools/lib/opts.o
$(BUILD)/tools/lib/fmt_test: $(BUILD)/tools/lib/fmt.o

# One pass of the suite against one build: prove -v, then tests and time
# per file and the five slowest (scripts/prove-summary).
test: $(PTSYNC) $(TESTS)
	PTSYNC=$(PTSYNC) scripts/prove-summary $(TESTS) $(sort $(wildcard tests/*.t))

check: deps-check
	$(MAKE) test BUILD=$(BUILD)
	$(MAKE) test BUILD=$(BUILD)/san OPT=-O1 \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

# Long runs, not part of check: a 120 s sweep per safe strategy (DURATION=S).
torture-long: $(PTSYNC)
	PTSYNC=$(PTSYNC) prove -v tests/long/torture-long.sh

-include tests/memcheck.mk

# Measured tables and plots come from docs/data/, never typed in: the tables
# between doctable markers (tests/docs.t fails when one differs from its
# data), the plots from the data files compare wrote beside its results.json
# and from a trace cut by scripts/trace-trim.
DOC_PAGES := README.md $(wildcard docs/*.md)
COMPARE_DATA := docs/data/compare-2core
docs: $(PTSYNC)
	scripts/doctable --update $(DOC_PAGES)
	@mkdir -p $(BUILD)/docs
	$(PTSYNC) trace-plot --strategies=ipi,rcu --out=$(BUILD)/docs/timeline.png \
	    docs/data/timeline-ipi-rcu.json
	cp $(BUILD)/docs/timeline.png docs/timeline-ipi-vs-rcu.png
	cd $(COMPARE_DATA) && gnuplot plots.gp
	mv $(COMPARE_DATA)/sync_cdf.png docs/compare-2core-sync-cdf.png
	mv $(COMPARE_DATA)/bystander_gaps.png docs/compare-2core-bystander-gaps.png
	rm -f $(COMPARE_DATA)/*.png

clean:
	rm -rf build

.PHONY: all deps-check static test check torture-long docs clean FORCE
.SECONDARY:
-include bench/bench.mk
-include models/models.mk
-include tests/mutants/mutants.mk
