# SPDX-License-Identifier: MIT
# make mutants: plausible one-change bugs (tests/mutants/*.patch), each
# applied to a copy of the tree, built, and run against the test file its
# header names (# expect:), which must fail the assertion (# property:) or
# report the torture violation (# violation:) that the header names.  The
# unmutated suite runs first and must pass.  A survivor, or a mutant that
# only times out, crashes, fails to build or fails some other check
# (inconclusive), fails the run.  Not part of check (a full run takes
# minutes).
#
#   make mutants                     every mutant, after the unmutated run
#   make mutants MUTANTS=03          one (a name or a prefix; several with
#                                    spaces or commas); the unmutated run
#                                    still comes first
#   make mutants PTSYNC_SEED=N       reproduce the torture workloads
#   make mutants-refresh             re-cut patches the tree has drifted from
#
# Report: build/mutants/report.txt (a table: each mutant, the test file and
# the line that killed it; kills per test file), results.tsv; logs under
# build/mutants/logs/.  See scripts/mutants.sh.  Adding a mutant is adding
# a patch: NN-short-name.patch, with "# what:", "# expect:" and
# "# property:" or "# violation:" lines first.

MUTANTS ?=

mutants: deps-check
	MUTANTS="$(MUTANTS)" PTSYNC_SEED="$(PTSYNC_SEED)" scripts/mutants.sh

mutants-refresh:
	MUTANTS="$(MUTANTS)" scripts/mutants.sh --refresh

# Used by scripts/mutants.sh inside each mutant's copy of the tree: what
# `test` builds, and what it runs (keep in step with `test` in Makefile).
mutants-build: deps-check $(PTSYNC) $(TESTS)

mutants-tests:
	@echo $(TESTS) $(sort $(wildcard tests/*.t))

.PHONY: mutants mutants-refresh mutants-build mutants-tests
