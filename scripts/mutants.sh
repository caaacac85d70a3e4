#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make mutants: does the test suite catch the bugs that matter?
#
# Each tests/mutants/NN-name.patch is one plausible bug (its "# what:" line
# says which, in kernel terms).  For each, in order: copy the tree (the
# sources as git sees them, plus the plain build/ so that make rebuilds only
# what the patch touched), apply the patch, build, and run the suites of
# `make test` one file at a time, cheapest and most sensitive first, until a
# test file fails: the mutant is killed by that file.  A mutant whose every
# test passes survived, and the run fails: either the suite is missing a
# test or the patch is not a bug (then say why and delete it; never weaken
# a mutant to make it die).
#
#   scripts/mutants.sh [NAME...]   NAME: a patch name or a prefix ("03")
#   scripts/mutants.sh --refresh [NAME...]
#                                  rewrite patches that only apply with
#                                  fuzz or offset against the current tree
#
# Environment: MUTANTS (names, as arguments), PTSYNC_SEED (the torture
# seed, printed; the same seed reproduces the workloads), MUTANTS_OUT
# (build/mutants), MUTANTS_TIMEOUT (seconds per test file, 300),
# MUTANTS_BASELINE (1: first run the unmutated suite; default on for a full
# run, off when names are given), MUTANTS_JOBS (make -j, nproc),
# MUTANTS_SUITES (only the test files whose path contains one of these
# words, e.g. "torture.t": which suites alone kill a mutant).
#
# Exit status: 0 every mutant killed; 1 a mutant survived; 2 a patch does
# not apply (checked for all before anything runs), a mutant does not
# build, the unmutated suite fails, or bad usage.  Output: a table on
# stdout and in $MUTANTS_OUT/results.md and results.tsv; every build and
# test log in $MUTANTS_OUT/logs/NAME/.
set -u

die() { echo "mutants: $*" >&2; exit 2; }

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || die "cannot cd to $root"
# We call make ourselves, not as a sub-make: leave the caller's jobserver.
unset MAKEFLAGS MFLAGS MAKELEVEL
jobs=${MUTANTS_JOBS:-$(nproc 2>/dev/null || echo 2)}
out=${MUTANTS_OUT:-build/mutants}
case $out in /*) ;; *) out=$root/$out ;; esac
timeout_s=${MUTANTS_TIMEOUT:-300}
dir=tests/mutants

refresh=0
if [ "${1:-}" = "--refresh" ]; then
	refresh=1
	shift
fi
# shellcheck disable=SC2206
names=($* ${MUTANTS:-})
names=("${names[@]//,/ }")
# shellcheck disable=SC2206
names=(${names[*]})

patches=()
if [ ${#names[@]} -eq 0 ]; then
	for p in "$dir"/[0-9]*.patch; do
		[ -e "$p" ] && patches+=("$p")
	done
	[ ${#patches[@]} -gt 0 ] || die "no patches in $dir"
else
	for n in "${names[@]}"; do
		n=${n%.patch}
		n=${n##*/}
		match=("$dir/$n".patch)
		[ -e "${match[0]}" ] || match=("$dir/$n"*.patch)
		[ -e "${match[0]}" ] || die "no mutant named $n in $dir (see ls $dir)"
		[ ${#match[@]} -eq 1 ] || die "$n names ${#match[@]} mutants: ${match[*]##*/}"
		patches+=("${match[0]}")
	done
fi

name_of() { local b=${1##*/}; echo "${b%.patch}"; }
# The header lines of a patch: "# what: ..." and "# expect: ...".
header() { sed -n "s/^# $2: *//p" "$1" | head -n 1; }
# The files a patch changes.
patch_files() { sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$1"; }

# The tree as a tarball: the sources git knows about (tracked and new, as
# they are in the working tree), and with $1 the plain build's objects.
snapshot() {	# snapshot TAR WITH_BUILD
	local list
	list=$(mktemp) || die "mktemp failed"
	if git rev-parse --git-dir >/dev/null 2>&1; then
		git ls-files -co --exclude-standard | while IFS= read -r f; do
			[ -f "$f" ] && printf '%s\n' "$f"
		done >"$list"
	else
		find . -path ./build -prune -o -path ./.git -prune -o -type f -print >"$list"
	fi
	if [ "$2" = 1 ] && [ -d build ]; then
		find build -path build/san -prune -o -path build/mutants -prune \
			-o -type f -print >>"$list"
	fi
	tar -cf "$1" -T "$list" || die "cannot write $1"
	rm -f "$list"
}

# ---- --refresh: re-cut patches against the tree as it is now ----
if [ $refresh = 1 ]; then
	tmp=$(mktemp -d) || die "mktemp failed"
	trap 'rm -rf "$tmp"' EXIT
	snapshot "$tmp/src.tar" 0
	rc=0
	for p in "${patches[@]}"; do
		n=$(name_of "$p")
		rm -rf "$tmp/w" && mkdir "$tmp/w" && tar -xf "$tmp/src.tar" -C "$tmp/w"
		if ! (cd "$tmp/w" && patch -p1 -s -f --no-backup-if-mismatch <"$root/$p" >"$tmp/log" 2>&1); then
			echo "mutants: $n: does not apply even with fuzz: re-make it by hand"
			sed 's/^/  /' "$tmp/log"
			rc=2
			continue
		fi
		{
			grep '^#' "$p"
			for f in $(patch_files "$p"); do
				diff -up --label "a/$f" --label "b/$f" "$f" "$tmp/w/$f"
			done
		} >"$tmp/new"
		if cmp -s "$tmp/new" "$p"; then
			echo "mutants: $n: applies as it is"
		else
			cp "$tmp/new" "$p"
			echo "mutants: $n: refreshed: check the hunks still make the bug the header names"
		fi
	done
	exit $rc
fi

# ---- every patch must apply before anything runs ----
bad=0
for p in "${patches[@]}"; do
	if ! patch -p1 --dry-run -s -f -F0 <"$p" >/dev/null 2>&1; then
		echo "mutants: $(name_of "$p"): patch does not apply to this tree (make mutants-refresh, or re-make it)"
		bad=1
	fi
	[ -n "$(header "$p" what)" ] || { echo "mutants: $(name_of "$p"): no '# what:' line"; bad=1; }
done
[ $bad = 0 ] || exit 2

seed=${PTSYNC_SEED:-$(date +%s)}
export PTSYNC_SEED=$seed
baseline=${MUTANTS_BASELINE:-$([ ${#names[@]} -eq 0 ] && echo 1 || echo 0)}
t_start=$(date +%s)
echo "mutants: ${#patches[@]} mutant(s), seed $seed (PTSYNC_SEED=$seed reproduces the torture workloads), make -j$jobs, $(nproc) CPUs"

rm -rf "$out/logs" "$out/work" "$out/results.md" "$out/results.tsv"
mkdir -p "$out/logs"
make -s --no-print-directory -j"$jobs" mutants-build >"$out/logs/build.log" 2>&1 ||
	die "the unmutated tree does not build: see $out/logs/build.log"
snapshot "$out/tree.tar" 1

# The suites of `make test`, killers first: the unit tests (each well
# under a second), then torture, then the rest by cost.
rank() {
	case $1 in
	*.t) case ${1##*/} in
		torture.t)	echo 1 ;;
		usage.t)	echo 2 ;;
		hostcheck.t)	echo 3 ;;
		compare.t)	echo 5 ;;
		*)		echo 4 ;;
		esac ;;
	*) echo 0 ;;
	esac
}
suite_wanted() {
	local w
	[ -z "${MUTANTS_SUITES:-}" ] && return 0
	for w in ${MUTANTS_SUITES//,/ }; do
		case $1 in *"$w"*) return 0 ;; esac
	done
	return 1
}
ordered_tests() {	# in the tree $1
	local t
	for t in $(make -s --no-print-directory -C "$1" mutants-tests); do
		suite_wanted "$t" && echo "$(rank "$t") $t"
	done | sort -s -k1,1n | cut -d' ' -f2
}

# run_suite TREE LOGDIR: sets kill_by, kill_line, kill_s; returns 0 when
# every test file passed.
run_suite() {
	local tree=$1 logs=$2 t0 t log rc plan count first
	t0=$(date +%s.%N)
	kill_by='' kill_line='' kill_s=''
	mkdir -p "$logs"
	for t in $(ordered_tests "$tree"); do
		log=$logs/$(echo "$t" | tr / _).log
		(cd "$tree" && PTSYNC=build/ptsync timeout -k 10 "$timeout_s" "./$t") >"$log" 2>&1
		rc=$?
		first=$(grep -m 1 '^not ok' "$log")
		plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
		count=$(grep -cE '^(not )?ok ' "$log")
		if [ $rc -eq 0 ] && [ -z "$first" ] && [ -n "$plan" ] && [ "$plan" -eq "$count" ]; then
			continue
		fi
		if [ -n "$first" ]; then
			kill_line=$first
		elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
			kill_line="timed out after ${timeout_s} s"
		elif [ $rc -gt 128 ]; then
			kill_line="killed by signal $((rc - 128))"
		elif [ $rc -ne 0 ]; then
			kill_line="exit $rc: $(grep -m 1 -E 'BUG|ptsync:|Bail out' "$log" || tail -n 1 "$log")"
		else
			kill_line="plan 1..${plan:-?} but $count tests ran"
		fi
		kill_line=$(echo "$kill_line" | tr -d '\r|' | cut -c 1-150)
		kill_by=$t
		break
	done
	kill_s=$(echo "$(date +%s.%N) $t0" | awk '{ printf "%.1f", $1 - $2 }')
	[ -z "$kill_by" ]
}

extract() {	# extract DIR: a fresh copy of the tree
	rm -rf "$1" && mkdir -p "$1" && tar -xf "$out/tree.tar" -C "$1"
}

if [ "$baseline" = 1 ]; then
	extract "$out/work"
	if ! run_suite "$out/work" "$out/logs/baseline"; then
		die "baseline: the unmutated tree fails $kill_by ($kill_line): a kill would mean nothing; see $out/logs/baseline/"
	fi
	echo "mutants: baseline: every test file passes unmutated, in $kill_s s"
fi

tsv=$out/results.tsv
printf 'mutant\tresult\tkilled_by\tfirst_failure\ttest_s\tbuild_s\texpect\n' >"$tsv"
survived=0 broken=0
for p in "${patches[@]}"; do
	n=$(name_of "$p")
	logs=$out/logs/$n
	mkdir -p "$logs"
	extract "$out/work"
	(cd "$out/work" && patch -p1 -s -F0 --no-backup-if-mismatch <"$root/$p") >"$logs/patch.log" 2>&1 ||
		die "$n: patch did not apply to the copy: see $logs/patch.log"
	b0=$(date +%s.%N)
	if ! make -s --no-print-directory -C "$out/work" -j"$jobs" mutants-build >"$logs/build.log" 2>&1; then
		build_s=$(echo "$(date +%s.%N) $b0" | awk '{ printf "%.1f", $1 - $2 }')
		line=$(grep -m 1 -E 'error|Error' "$logs/build.log" | tr -d '|' | cut -c 1-150)
		printf '%s\tBUILD FAILED\t\t%s\t\t%s\t%s\n' "$n" "$line" "$build_s" "$(header "$p" expect)" >>"$tsv"
		echo "mutants: $n: BUILD FAILED: $line (see $logs/build.log)"
		broken=$((broken + 1))
		continue
	fi
	build_s=$(echo "$(date +%s.%N) $b0" | awk '{ printf "%.1f", $1 - $2 }')
	if run_suite "$out/work" "$logs"; then
		printf '%s\tSURVIVED\t\tevery test file passed\t%s\t%s\t%s\n' "$n" "$kill_s" "$build_s" "$(header "$p" expect)" >>"$tsv"
		echo "mutants: $n: SURVIVED all tests in $kill_s s (logs: $logs)"
		survived=$((survived + 1))
	else
		expect=$(header "$p" expect)
		printf '%s\tkilled\t%s\t%s\t%s\t%s\t%s\n' "$n" "$kill_by" "$kill_line" "$kill_s" "$build_s" "$expect" >>"$tsv"
		echo "mutants: $n: killed by $kill_by ($kill_line) in $kill_s s"
		[ -z "$expect" ] || [ "$expect" = "$kill_by" ] ||
			echo "mutants: $n: note: its header expects $expect to kill it"
	fi
done
rm -rf "$out/work" "$out/tree.tar"

total=$(( $(date +%s) - t_start ))
killed=$(( ${#patches[@]} - survived - broken ))
md=$out/results.md
{
	echo "| mutant | result | killed by | first failure | s |"
	echo "|---|---|---|---|---|"
	awk -F'\t' 'NR > 1 { by = $3 == "" ? "-" : $3
		if ($3 != "" && $7 != "" && $7 != $3) by = by " (header expects " $7 ")"
		printf "| %s | %s | %s | %s | %s |\n", $1, $2, by, $4, $5 == "" ? "-" : $5 }' "$tsv"
	echo
	echo "$killed of ${#patches[@]} killed, $survived survived, $broken did not build;" \
	     "seed $seed; $total s in all on $(nproc) CPUs ($(uname -r))"
} >"$md"
echo
cat "$md"
echo "mutants: results in ${md#"$root"/} and ${tsv#"$root"/}"
[ $broken -eq 0 ] || exit 2
[ $survived -eq 0 ] || exit 1
exit 0
