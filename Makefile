# SPDX-License-Identifier: MIT
# ptsync: plain make, pkg-config for liburcu.
#
#   make            build build/ptsync
#   make check      unit tests + short torture runs (TAP, prove), then the
#                   same again built with -fsanitize=address,undefined
#   make bench      benchmarks (bench/README.md)
#   make clean

CC         ?= cc
PKG_CONFIG ?= pkg-config
BUILD      ?= build
SAN        ?=
OPT        ?= -O2

URCU_CFLAGS := $(shell $(PKG_CONFIG) --cflags liburcu-qsbr 2>/dev/null)
URCU_LIBS   := $(shell $(PKG_CONFIG) --libs liburcu-qsbr 2>/dev/null)

CPPFLAGS += -Iinclude -D_GNU_SOURCE $(URCU_CFLAGS)
CFLAGS   += -std=c11 $(OPT) -g -Wall -Wextra -Werror -Wshadow \
            -Wstrict-prototypes -Wmissing-prototypes -pthread $(SAN)
LDFLAGS  += -pthread $(SAN)
LDLIBS   += $(URCU_LIBS) -lm

LIB_SRCS := arch/tlbflush.c init/main.c \
            kernel/cpu.c kernel/fork.c kernel/smp.c kernel/watchdog.c \
            kernel/rcu/tree.c kernel/pttorture.c \
            mm/gup.c mm/memory.c mm/mmu_gather.c mm/page_alloc.c \
            $(sort $(wildcard strategy/*.c))
TEST_SRCS := $(sort $(wildcard kernel/*_test.c kernel/rcu/*_test.c mm/*_test.c))
LIB_SRCS  := $(filter-out $(TEST_SRCS),$(LIB_SRCS))

LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
TESTS     := $(TEST_SRCS:%.c=$(BUILD)/%)
PTSYNC    := $(BUILD)/ptsync

all: deps-check $(PTSYNC)

deps-check:
	@$(PKG_CONFIG) --exists liburcu-qsbr || { scripts/deps.sh --check; exit 1; }

$(BUILD)/%.o: %.c $(wildcard include/ptsync/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libptsync.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(PTSYNC): $(BUILD)/tools/ptsync.o $(BUILD)/libptsync.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%_test: $(BUILD)/%_test.o $(BUILD)/libptsync.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# One pass of the suite against one build.
test: $(PTSYNC) $(TESTS)
	PTSYNC=$(PTSYNC) prove -v --exec '' $(TESTS) $(sort $(wildcard tests/*.t))

check: deps-check
	$(MAKE) test BUILD=build
	$(MAKE) test BUILD=build/san OPT=-O1 \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

clean:
	rm -rf build

.PHONY: all deps-check test check clean
.SECONDARY:
