# SPDX-License-Identifier: MIT
# make mutants: plausible one-change bugs (tests/mutants/*.patch), each
# applied to a copy of the tree, built, and run against the suites of
# `make test` until one fails.  Every mutant must be killed; a survivor
# fails the run.  Not part of check (a full run takes minutes).
#
#   make mutants                     every mutant, after an unmutated run
#   make mutants MUTANTS=03          one (a name or a prefix; several with
#                                    spaces or commas)
#   make mutants PTSYNC_SEED=N       reproduce the torture workloads
#   make mutants-refresh             re-cut patches the tree has drifted from
#
# Results: build/mutants/results.md and results.tsv; logs under
# build/mutants/logs/.  See scripts/mutants.sh.  Adding a mutant is adding
# a patch: NN-short-name.patch, a "# what:" line first.

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
