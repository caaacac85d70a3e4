# SPDX-License-Identifier: MIT
# ptsync: plain make, pkg-config for liburcu.
#
#   make            build build/ptsync
#   make check      unit tests + short torture runs (TAP, prove), then the
#                   same again built with -fsanitize=address,undefined
#   make torture-long  a long sweep of every strategy (TLB modes x archs)
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
TOOL_SRCS := $(sort $(wildcard tools/*.c))

LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
TESTS     := $(TEST_SRCS:%.c=$(BUILD)/%)
PTSYNC    := $(BUILD)/ptsync

all: deps-check $(PTSYNC)

deps-check:
	@$(PKG_CONFIG) --exists liburcu-qsbr jansson || { scripts/deps.sh --check; exit 1; }

$(BUILD)/%.o: %.c $(wildcard include/ptsync/*.h tools/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libptsync.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(PTSYNC): $(TOOL_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/libptsync.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(JANSSON_LIBS)
$(BUILD)/tools/%.o: CPPFLAGS += $(JANSSON_CFLAGS)

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

# One pass of the suite against one build.
test: $(PTSYNC) $(TESTS)
	PTSYNC=$(PTSYNC) prove -v --exec '' $(TESTS) $(sort $(wildcard tests/*.t))

check: deps-check
	$(MAKE) test BUILD=$(BUILD)
	$(MAKE) test BUILD=$(BUILD)/san OPT=-O1 \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

# Long runs, not part of check: a 300 s sweep per safe strategy.
torture-long: $(PTSYNC)
	PTSYNC=$(PTSYNC) prove -v tests/long/torture-long.sh

-include tests/memcheck.mk

clean:
	rm -rf build

.PHONY: all deps-check test check torture-long clean FORCE
.SECONDARY:
-include bench/bench.mk
-include models/models.mk
-include tests/mutants/mutants.mk
