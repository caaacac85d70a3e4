#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make mutants: does the test suite catch the bugs that matter, and for the
# right reason?
#
# Each tests/mutants/NN-name.patch is one plausible bug.  Its header says
# what it breaks and which check must catch it:
#
#   # what: the bug, in kernel terms
#   # expect: the test file that catches it (build/mm/gup_test, tests/torture.t)
#   # property: text of the `not ok N - <text>` line that must fail there
#   # violation: text of torture's violation report that must follow that
#                `not ok` line ("ptsync torture violation: ... strategy
#                eqs: ..." from a plain run, "ptsync torture sweep: first
#                violation after ..." from --sweep)
#
# (at least one of property and violation; with both, both must match:
# the violation in the diagnostics of the failing assertion, not anywhere
# in the file).
#
# First the unmutated tree: built, and every test file run; each must pass,
# or the run stops (exit 2): a kill would mean nothing.  Then for each
# patch: copy the tree (the sources git sees, and the plain build's objects
# so that make rebuilds only what the patch touched), apply, build, run the
# expected file.  The verdict:
#
#   killed        the expected file failed the named assertion (or printed
#                 the named violation): the table quotes that line.
#   SURVIVED      every test file passed.
#   INCONCLUSIVE  anything else: the mutant did not build; or the expected
#                 file timed out, died on a signal, exited non-zero, bailed
#                 out or ran short of its plan without a failing assertion;
#                 or it failed only assertions other than the named one; or
#                 only another file failed.  A timeout or a crash is not a
#                 detection, and a check that fails for a reason other than
#                 the one the header names is not evidence the suite sees
#                 that bug.
#
# When the expected file does not kill, the other files run (unit tests,
# then tests/torture.t, then the rest by cost) and the first one that
# fails is reported beside the verdict, to say where the mutant shows.
#
#   scripts/mutants.sh [NAME...]   NAME: a patch name or a prefix ("03")
#   scripts/mutants.sh --refresh [NAME...]
#                                  rewrite patches that only apply with
#                                  fuzz or offset against the current tree
#
# Environment: MUTANTS (names, as arguments), PTSYNC_SEED (the torture
# seed, printed; the same seed reproduces the workloads), MUTANTS_OUT
# (build/mutants), MUTANTS_TIMEOUT (seconds per test file, 300),
# MUTANTS_JOBS (make -j, nproc), MUTANTS_SUITES (only the test files whose
# path contains one of these words, e.g. "_test": the baseline runs those
# and the expected file of every mutant to run; a mutant its expected
# file does not kill runs those).  An optional "# applies-to:" header
# says which tree a patch was written against; a patch that does not
# apply quotes it.
#
# Exit status: 0 every mutant killed by its named check; 1 a mutant
# survived or was inconclusive; 2 a patch does not apply or lacks its
# header (checked for all before anything runs), the unmutated tree does
# not build or fails a test, or bad usage.  Output: a table on stdout and
# in $MUTANTS_OUT/report.txt (results.md is the same table, results.tsv
# the raw rows, kills.tsv the kills per test file); every build and test
# log in $MUTANTS_OUT/logs/NAME/.
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
case $timeout_s in ''|*[!0-9]*) die "MUTANTS_TIMEOUT=$timeout_s: want whole seconds" ;; esac
dir=tests/mutants

refresh=0
if [ "${1:-}" = "--refresh" ]; then
	refresh=1
	shift
fi
case "${1:-}" in -*) die "unknown option $1 (usage: scripts/mutants.sh [--refresh] [NAME...])" ;; esac
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
# A header line of a patch: "# what: ...", "# expect: ...", ...
header() { sed -n "s/^# $2: *//p" "$1" | head -n 1; }
# The files a patch changes.
patch_files() { sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$1"; }
# A field for the tables: no tabs, no pipes, no CR, at most 160 characters.
cell() { printf '%s' "$1" | tr -d '\r' | tr '\t|' '  ' | cut -c 1-160; }
elapsed() { echo "$(date +%s.%N) $1" | awk '{ printf "%.1f", $1 - $2 }'; }

# The tree as a tarball: the sources git knows about (tracked and new, as
# they are in the working tree), and with $2=1 the plain build's objects.
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
		find build -path build/san -prune -o -path "${out#"$root"/}" -prune \
			-o -path build/mutants -prune -o -type f -print >>"$list"
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

# ---- the suites of `make test`: unit tests, torture, the rest by cost ----
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
all_tests=$(make -s --no-print-directory mutants-tests) || die "make mutants-tests failed"
ordered_tests() {
	local t
	for t in $all_tests; do
		suite_wanted "$t" && echo "$(rank "$t") $t"
	done | sort -s -k1,1n | cut -d' ' -f2
}

# ---- every patch must apply, and say what must kill it, before anything runs ----
bad=0
for p in "${patches[@]}"; do
	n=$(name_of "$p")
	if ! patch -p1 --dry-run -s -f -F0 <"$p" >/dev/null 2>&1; then
		a=$(header "$p" applies-to)
		echo "mutants: $n: patch does not apply to this tree${a:+ (written against $a)}" \
		     "(make mutants-refresh, or re-make it)"
		bad=1
	fi
	[ -n "$(header "$p" what)" ] || { echo "mutants: $n: no '# what:' line"; bad=1; }
	e=$(header "$p" expect)
	# shellcheck disable=SC2086
	if [ -z "$e" ]; then
		echo "mutants: $n: no '# expect:' line (the test file that must kill it)"
		bad=1
	elif ! printf '%s\n' ${all_tests} | grep -qxF -- "$e"; then
		echo "mutants: $n: '# expect: $e' is not a test file of make test ($all_tests)"
		bad=1
	fi
	if [ -z "$(header "$p" property)$(header "$p" violation)" ]; then
		echo "mutants: $n: neither '# property:' nor '# violation:' (the check that must fail)"
		bad=1
	fi
done
[ $bad = 0 ] || exit 2
# The files the baseline runs: those MUTANTS_SUITES selects, and every
# expected file of the mutants to run.
for p in "${patches[@]}"; do
	e=$(header "$p" expect)
	suite_wanted "$e" || MUTANTS_SUITES="${MUTANTS_SUITES:-} $e"
done
tests=$(ordered_tests)

seed=${PTSYNC_SEED:-$(date +%s)}
export PTSYNC_SEED=$seed
t_start=$(date +%s.%N)
echo "mutants: ${#patches[@]} mutant(s), seed $seed (PTSYNC_SEED=$seed reproduces the torture workloads)," \
     "make -j$jobs, $(nproc) CPUs, ${timeout_s} s a test file${MUTANTS_SUITES:+, suites: $MUTANTS_SUITES}"

rm -rf "$out/logs" "$out/work" "$out/report.txt" "$out/results.md" "$out/results.tsv" "$out/kills.tsv"
mkdir -p "$out/logs"
make -s --no-print-directory -j"$jobs" mutants-build >"$out/logs/build.log" 2>&1 ||
	die "the unmutated tree does not build: see $out/logs/build.log"
snapshot "$out/tree.tar" 1

extract() {	# extract DIR: a fresh copy of the tree
	rm -rf "$1" && mkdir -p "$1" && tar -xf "$out/tree.tar" -C "$1"
}

# run_file TREE TEST LOG: run one test file, then classify it.  Sets
#   f_state  pass | fail (a `not ok` line) | inconclusive
#   f_notok  the first `not ok` line (TODO lines are not failures)
#   f_why    for inconclusive: what happened instead
run_file() {
	local tree=$1 t=$2 log=$3 rc plan count sig
	# (The braces keep bash's own "Aborted" or "Killed" line out of stderr.)
	{ (cd "$tree" && PTSYNC=build/ptsync exec timeout -k 10 "$timeout_s" "./$t") >"$log" 2>&1; } 2>/dev/null
	rc=$?
	f_notok=$(grep -E '^not ok [0-9]+' "$log" | grep -v -E '#[[:space:]]*TODO' | head -n 1)
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
	count=$(grep -cE '^(not )?ok [0-9]+' "$log")
	f_why=''
	if [ -n "$f_notok" ]; then
		f_state=fail
		return
	fi
	f_state=inconclusive
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		f_why="timed out after ${timeout_s} s"
	elif [ $rc -gt 128 ]; then
		sig=$(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))
		f_why="died on SIG$sig"
	elif grep -q '^Bail out!' "$log"; then
		f_why=$(grep -m 1 '^Bail out!' "$log")
	elif [ $rc -ne 0 ]; then
		f_why="exit $rc without a failing assertion: $(grep -m 1 -E 'BUG|watchdog|ptsync:' "$log" || tail -n 1 "$log")"
	elif [ -z "$plan" ] || [ "$plan" -ne "$count" ]; then
		f_why="plan 1..${plan:-?} but $count tests ran"
	else
		f_state=pass
	fi
	f_why=$(cell "$f_why")
}

# Torture's own evidence of a violation: a line of its report (plain runs:
# "ptsync torture violation: cpu ... strategy S: <kind>"; --sweep: "ptsync
# torture sweep: first violation after T s, in interval N").  torture.t
# prints a flagged run's report as the diagnostics right after its `not
# ok` line.
VIOLATION_RE='ptsync torture (violation: |sweep: first violation after )'
# evidence LOG NOTOK: the evidence lines in the diagnostics after NOTOK.
evidence() {
	awk -v want="$2" 'found && !/^#/ { exit }
		found { sub(/^# ?/, ""); print }
		$0 == want { found = 1 }' "$1" | grep -E "$VIOLATION_RE"
}

# ---- the baseline: every test file passes unmutated, always first ----
extract "$out/work"
b0=$(date +%s.%N)
mkdir -p "$out/logs/baseline"
for t in $tests; do
	run_file "$out/work" "$t" "$out/logs/baseline/$(echo "$t" | tr / _).log"
	case $f_state in
	pass) ;;
	fail) die "baseline: the unmutated tree fails $t ($f_notok): a kill would mean nothing; see $out/logs/baseline/" ;;
	*) die "baseline: the unmutated tree is inconclusive on $t ($f_why): see $out/logs/baseline/" ;;
	esac
done
baseline_s=$(elapsed "$b0")
echo "mutants: baseline: all $(echo "$tests" | wc -w) test files pass unmutated, in $baseline_s s"

# judge_mutant TREE LOGS PATCH: sets m_result, m_file, m_line, m_viol, m_why, m_s
judge_mutant() {
	local tree=$1 logs=$2 p=$3 e prop viol t0 t log ok_prop ok_viol
	e=$(header "$p" expect)
	prop=$(header "$p" property)
	viol=$(header "$p" violation)
	t0=$(date +%s.%N)
	m_file=$e m_line='' m_viol='' m_why=''
	log=$logs/$(echo "$e" | tr / _).log
	run_file "$tree" "$e" "$log"
	if [ "$f_state" = fail ]; then
		ok_prop=1 ok_viol=1
		if [ -n "$prop" ]; then
			m_line=$(grep -E '^not ok [0-9]+' "$log" | grep -v -E '#[[:space:]]*TODO' |
				grep -F -m 1 -- "$prop")
			[ -n "$m_line" ] || ok_prop=0
		else
			m_line=$f_notok
		fi
		if [ -n "$viol" ]; then
			m_viol=$(evidence "$log" "$m_line" | grep -F -m 1 -- "$viol")
			[ -n "$m_viol" ] || ok_viol=0
		else
			m_viol=$(evidence "$log" "$m_line" | head -n 1)
		fi
		if [ $ok_prop = 1 ] && [ $ok_viol = 1 ]; then
			m_result=killed
			m_s=$(elapsed "$t0")
			return
		fi
		m_result=INCONCLUSIVE
		m_line=$f_notok
		m_why="failed, but not the named check"
		[ $ok_prop = 1 ] || m_why="$m_why (no 'not ok' line with: $prop)"
		[ $ok_viol = 1 ] || m_why="$m_why (no violation line with: $viol)"
		m_s=$(elapsed "$t0")
		return
	fi
	if [ "$f_state" = inconclusive ]; then
		m_result=INCONCLUSIVE
		m_why="$f_why"
	else
		m_result=SURVIVED
		m_why="$e passed"
	fi
	# Where else does it show?  The other files, until one fails.
	for t in $tests; do
		[ "$t" = "$e" ] && continue
		run_file "$tree" "$t" "$logs/$(echo "$t" | tr / _).log"
		case $f_state in
		fail)
			m_result=INCONCLUSIVE
			m_why="$m_why; only $t failed: $f_notok"
			break ;;
		inconclusive)
			m_result=INCONCLUSIVE
			m_why="$m_why; $t: $f_why" ;;
		esac
	done
	m_why=$(cell "$m_why")
	m_s=$(elapsed "$t0")
}

tsv=$out/results.tsv
printf 'mutant\tresult\ttest_file\tassertion\tviolation\twhy\ttest_s\tbuild_s\n' >"$tsv"
killed=0 survived=0 inconclusive=0
for p in "${patches[@]}"; do
	n=$(name_of "$p")
	logs=$out/logs/$n
	mkdir -p "$logs"
	extract "$out/work"
	(cd "$out/work" && patch -p1 -s -F0 --no-backup-if-mismatch <"$root/$p") >"$logs/patch.log" 2>&1 ||
		die "$n: patch did not apply to the copy: see $logs/patch.log"
	b0=$(date +%s.%N)
	if ! make -s --no-print-directory -C "$out/work" -j"$jobs" mutants-build >"$logs/build.log" 2>&1; then
		build_s=$(elapsed "$b0")
		line=$(cell "$(grep -m 1 -E 'error|Error' "$logs/build.log")")
		printf '%s\tINCONCLUSIVE\t\t\t\tbuild failed: %s\t\t%s\n' "$n" "$line" "$build_s" >>"$tsv"
		echo "mutants: $n: INCONCLUSIVE: does not build: $line (see $logs/build.log)"
		inconclusive=$((inconclusive + 1))
		continue
	fi
	build_s=$(elapsed "$b0")
	judge_mutant "$out/work" "$logs" "$p"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$m_result" "$m_file" "$(cell "$m_line")" \
		"$(cell "$m_viol")" "$(cell "$m_why")" "$m_s" "$build_s" >>"$tsv"
	case $m_result in
	killed)
		killed=$((killed + 1))
		echo "mutants: $n: killed by $m_file: $m_line${m_viol:+ [$m_viol]} ($m_s s)" ;;
	SURVIVED)
		survived=$((survived + 1))
		echo "mutants: $n: SURVIVED: $m_why ($m_s s; logs: $logs)" ;;
	*)
		inconclusive=$((inconclusive + 1))
		echo "mutants: $n: INCONCLUSIVE: $m_why${m_line:+; first failure: $m_line} ($m_s s; logs: $logs)" ;;
	esac
done
rm -rf "$out/work" "$out/tree.tar"

total_s=$(elapsed "$t_start")
# Kills per test file.
awk -F'\t' 'NR > 1 && $2 == "killed" { n[$3]++ } END { for (f in n) printf "%s\t%d\n", f, n[f] }' "$tsv" |
	sort >"$out/kills.tsv"
report=$out/report.txt
{
	echo "| mutant | result | test file | assertion that failed | torture violation | why (not killed) | test s | build s |"
	echo "|---|---|---|---|---|---|---|---|"
	awk -F'\t' 'function d(s) { return s == "" ? "-" : s }
		NR > 1 { printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n",
			$1, $2, d($3), d($4), d($5), d($6), d($7), d($8) }' "$tsv"
	echo
	echo "| test file | mutants killed |"
	echo "|---|---|"
	awk -F'\t' '{ printf "| %s | %d |\n", $1, $2 }' "$out/kills.tsv"
	echo
	echo "$killed of ${#patches[@]} killed, $survived survived, $inconclusive inconclusive;" \
	     "baseline $baseline_s s; $total_s s in all; seed $seed; $(nproc) CPUs ($(uname -r))"
} >"$report"
cp "$report" "$out/results.md"
echo
cat "$report"
echo "mutants: report in ${report#"$root"/} (rows: ${tsv#"$root"/}; logs: ${out#"$root"/}/logs/)"
[ $survived -eq 0 ] && [ $inconclusive -eq 0 ] || exit 1
exit 0
