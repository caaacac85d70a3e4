# SPDX-License-Identifier: MIT
# make verify: the spin models of models/ under SC and x86-TSO, their
# litmus tests (models/litmus/) under a weak memory model close to LKMM
# and ARMv8 (models/litmus2pml.pl), the classic litmus tests against LKMM,
# liveness under weak fairness, and the step tags that tie models to C.
#
# Why: torture finds the races the host's scheduler and memory model happen
# to produce; these are exhaustive over small configurations, and prove
# that the broken variants really are broken.  Included from the top-level
# Makefile.  Needs spin, perl and a C compiler (scripts/deps.sh); no
# build of ptsync.  docs/incoming/wmm.md has what each part checks.  `make verify MODELS="targeted-rmb eqs-racy"` checks only those.
MODELS ?=

verify:
	@PAN_CC="$(CC)" models/verify.sh $(MODELS)

.PHONY: verify
