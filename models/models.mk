# SPDX-License-Identifier: MIT
# make verify: the spin models of models/, each under SC and x86-TSO.
#
# Why: torture finds the races the host's scheduler and memory model happen
# to produce; these are exhaustive over small configurations, and prove
# that the broken variants really are broken.  Included from the top-level
# Makefile.  Needs spin and a C compiler (scripts/deps.sh); no build of
# ptsync.  `make verify MODELS="targeted-rmb eqs-racy"` checks only those.
MODELS ?=

verify:
	@PAN_CC="$(CC)" models/verify.sh $(MODELS)

.PHONY: verify
