#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make verify: check every spin model under SC and under x86-TSO, its
# litmus tests under the weak memory model (models/litmus.sh), liveness
# (models/live.pml), the weak model against LKMM (models/litmus/classic),
# and the step tags tying models to the C (models/tags.sh).
#
#   models/verify.sh            every model
#   models/verify.sh NAME...    only these (models/verify.sh --list)
#
# A model expected safe must be proven: an exhaustive search (pan -DSAFETY)
# with no assertion violation, not cut short by the depth limit, that
# reaches both the free and the walker's read of the table (else it would
# be safe for want of trying).  A model expected broken must be refuted: a
# counterexample that violates the walker's assertion, replayed as a short
# interleaving (breadth-first search finds the shortest).  Either
# expectation unmet is a failure, and so is a model that does not build.
# Exit status: 0 all as expected, 1 a failure, 2 bad usage.
set -u

here=$(cd "$(dirname "$0")" && pwd)
SPIN=${SPIN:-spin}
PAN_CC=${PAN_CC:-${CC:-cc}}
PAN_DEPTH=${PAN_DEPTH:-100000}	# pan -m: a search that hits it is a failure

# name, model file, spin -D flags, expected under SC, expected under TSO,
# and the litmus tests (models/litmus/NAME.litmus) that check the same
# pattern under the weak memory model; their expected result is the one
# each file states.  "-": not run under that memory model.
RUNS="
none                   ipi_sync.pml         -DNOSYNC          refuted refuted none
ipi                    ipi_sync.pml         -                 proven  proven  ipi-handler-after-walk,ipi-handler-before-walk
ipi-irqs-on            ipi_sync.pml         -DIRQS_ON         refuted refuted ipi-irqs-on
ipi-nowait             -                    -                 -       -       ipi-nowait
ipi-unlock-plain       -                    -                 -       -       ipi-unlock-plain
ipi-3-walkers          ipi_sync.pml         -DW3              proven  proven  -
rcu                    rcu_gp.pml           -                 proven  proven  rcu
rcu-outside-section    rcu_gp.pml           -DIRQS_ON         refuted refuted rcu-outside-section
rcu-exp-irqs-on        rcu_gp.pml           -DIRQS_ON,-DEXPEDITED refuted refuted -
pt-reclaim-irqs-on     pt_reclaim.pml       -DIRQS_ON         refuted refuted -
rcu-exp                rcu_gp.pml           -DEXPEDITED       proven  proven  rcu-exp
pt-reclaim             pt_reclaim.pml       -                 proven  proven  pt-reclaim
pt-reclaim-early       pt_reclaim.pml       -DEARLY           refuted refuted pt-reclaim-early
targeted               targeted.pml         -                 proven  proven  targeted-handler-after-walk,targeted-handler-before-walk
targeted-release       targeted.pml         -DNOENDMB         proven  proven  targeted-release
targeted-irqs-on       targeted.pml         -DIRQS_ON         refuted refuted -
targeted-noendmb       targeted.pml         -DNOENDMB         proven  proven  targeted-noendmb
targeted-nobeginmb     -                    -                 -       -       targeted-nobeginmb
targeted-rmb           targeted.pml         -DRMB             proven  refuted targeted-rmb
eqs                    eqs.pml              -                 proven  proven  eqs-handler-after-walk,eqs-handler-before-walk
eqs-irqs-on            eqs.pml              -DIRQS_ON         refuted refuted -
eqs-noentermb          eqs.pml              -DNOENTERMB       proven  proven  eqs-noentermb
eqs-nofreewmb          -                    -                 -       -       eqs-nofreewmb
eqs-racy               eqs.pml              -DRACY            proven  refuted eqs-racy
targeted-unshare       targeted_unshare.pml -                 proven  proven  -
targeted-unshare-irqs-on targeted_unshare.pml -DIRQS_ON       refuted refuted -
targeted-v4-unshare    targeted_unshare.pml -DV4              refuted refuted -
targeted-v4-on-native  targeted_unshare.pml -DV4,-DNATIVE_FLUSH proven proven -
targeted-v4-on-native-irqs-on targeted_unshare.pml -DV4,-DNATIVE_FLUSH,-DIRQS_ON refuted refuted -
flush-ipi              flush_ipi.pml        -                 proven  proven  ipi-handler-after-walk,ipi-handler-before-walk
flush-ipi-irqs-on      flush_ipi.pml        -DIRQS_ON         refuted refuted -
flush-ipi-on-pv        flush_ipi.pml        -DPV              proven  proven  rcu
flush-ipi-on-pv-irqs-on flush_ipi.pml       -DPV,-DIRQS_ON    refuted refuted -
flush-ipi-pv           flush_ipi.pml        -DPV,-DSKIP_SYNC  refuted refuted none
khugepaged             khugepaged.pml       -                 proven  proven  ipi-handler-after-walk,ipi-handler-before-walk
khugepaged-rcu         khugepaged.pml       -DSYNC_GP         proven  proven  rcu
khugepaged-irqs-on     khugepaged.pml       -DIRQS_ON         refuted refuted -
khugepaged-rcu-irqs-on khugepaged.pml       -DSYNC_GP,-DIRQS_ON refuted refuted -
khugepaged-nosync      khugepaged.pml       -DNOSYNC          refuted refuted none
hugetlb-unshare        hugetlb_unshare.pml  -                 proven  proven  ipi-handler-after-walk,ipi-handler-before-walk
hugetlb-unshare-irqs-on hugetlb_unshare.pml -DIRQS_ON        refuted refuted -
hugetlb-flush-is-sync  hugetlb_unshare.pml  -DFLUSH_IS_SYNC   refuted refuted -
hugetlb-unshare-nosync hugetlb_unshare.pml  -DNOSYNC          refuted refuted none
hugetlb-unshare3       hugetlb_unshare3.pml -                 proven  proven  -
unshare3-mm-only       hugetlb_unshare3.pml -DSYNC_MM_ONLY    refuted refuted -
unshare3-mm-every      hugetlb_unshare3.pml -DSYNC_MM_ONLY,-DEVERY_GATHER proven proven -
"

# Liveness (models/live.pml, pan -a -f without -DSAFETY): name, model
# file, spin -D flags, expected (holds: every freer's wait ends under weak
# fairness; violated: a run in which it never does), under SC.
# hugetlb_unshare.pml is left out: its i_mmap lock is a spin in the model,
# and weak fairness does not make a lock that is free only between the
# other CPU's holds fair; its sync is the SYNC_ONE() that ipi-live checks.
# flush_ipi.pml -DPV likewise: its host may preempt a vCPU each time it
# could report its quiescent state, which weak fairness allows.
LIVE="
ipi-live               ipi_sync.pml         -                 holds
ipi-lost-ipi           ipi_sync.pml         -DLOST_IPI        violated
rcu-live               rcu_gp.pml           -                 holds
rcu-exp-live           rcu_gp.pml           -DEXPEDITED       holds
pt-reclaim-live        pt_reclaim.pml       -DNFREES=2        holds
targeted-live          targeted.pml         -                 holds
targeted-lost-ipi      targeted.pml         -DLOST_IPI        violated
eqs-live               eqs.pml              -                 holds
flush-ipi-live         flush_ipi.pml        -                 holds
khugepaged-live        khugepaged.pml       -                 holds
khugepaged-rcu-live    khugepaged.pml       -DSYNC_GP         holds
"

# VERIFY_W3=1 adds targeted with three walkers (1.4 million states under
# TSO, about 26 s: too slow for every make verify; docs/incoming/wmm.md).
[ -n "${VERIFY_W3:-}" ] && RUNS="$RUNS
targeted-3-walkers     targeted.pml         -DW3              proven  proven  -
"

names() { printf '%s\n%s\n' "$RUNS" "$LIVE" | awk 'NF { print $1 }'; }

usage() {
	echo "usage: models/verify.sh [--list] [MODEL...]"
	echo "models: $(names | tr '\n' ' ')"
}

want=""
for a in "$@"; do
	case $a in
	-h|--help) usage; exit 0 ;;
	--list) names; exit 0 ;;
	-*) echo "verify: unknown option $a (models/verify.sh --help)" >&2; exit 2 ;;
	*)
		names | grep -qx -- "$a" ||
			{ echo "verify: no model named '$a' (models/verify.sh --list)" >&2; exit 2; }
		want="$want $a" ;;
	esac
done

for tool in "$SPIN" "$PAN_CC"; do
	command -v "$tool" >/dev/null 2>&1 ||
		{ echo "verify: $tool not found (scripts/deps.sh installs it)" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ptsync-verify.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }

# One model under one memory model, in its own directory.  Writes
# `verdict` (one line: pass|fail, then the text for the report) and, for
# a counterexample, `cex` (the interleaving).
run_one() {	# dir name file defs mm expect
	local dir=$1 name=$2 file=$3 defs=$4 mm=$5 expect=$6
	local -a d=()
	local t0 t1 states depth err line
	cd "$dir" || return
	cp "$here"/*.pml .
	[ "$defs" != - ] && IFS=, read -r -a d <<<"$defs"
	[ "$mm" = TSO ] && d+=(-DTSO)

	build() {	# extra pan -D flags
		"$SPIN" "${d[@]}" -a "$file" >spin.log 2>&1 &&
			"$PAN_CC" -O0 -w -DSAFETY "$@" -o pan pan.c >cc.log 2>&1
	}
	# The replayed trail: the models' own printf lines, numbered, then
	# the assertion that failed.
	replay() {
		"$SPIN" "${d[@]}" -T -t "$file" >replay.log 2>&1
		grep -E '^(CPU[0-9]|rcu:|host:)' replay.log | awk '{ printf "  %3d  %s\n", NR, $0 }' >cex
		line=$(sed -n 's/^spin: \(.*\), Error: assertion violated$/\1/p' replay.log | head -n 1)
		sed -n "s/^spin: text of failed assertion: \(.*\)/       => violated: \1 at $line/p" \
			replay.log | head -n 1 >>cex
	}

	build_failed() {
		echo "fail FAIL: does not build: $(cat spin.log cc.log 2>/dev/null |
			grep -m 2 -i error | tr '\n' ' ')" >verdict
	}

	if [ "$expect" = proven ]; then
		build || { build_failed; return; }
		t0=$(now_ms)
		./pan -m"$PAN_DEPTH" -w20 >pan.log 2>&1
		t1=$(now_ms)
	else
		build -DBFS || { build_failed; return; }
		t0=$(now_ms)
		./pan -w20 >pan.log 2>&1
		t1=$(now_ms)
	fi
	states=$(awk '/states, stored$/ { print $1; exit }' pan.log)
	err=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' pan.log | head -n 1)
	depth=$(sed -n 's/.*depth reached \([0-9]*\).*/\1/p' pan.log | head -n 1)
	local secs
	secs=$(awk -v ms=$((t1 - t0)) 'BEGIN { printf "%.2f", ms / 1000 }')

	if [ -z "$states" ] || [ -z "$err" ]; then
		echo "fail FAIL: pan did not finish: $(tail -n 2 pan.log | tr '\n' ' ')" >verdict
		return
	fi
	if grep -qE 'max search depth too small|out of memory|Search not completed' pan.log &&
	   [ "$err" = 0 ]; then
		echo "fail FAIL: search incomplete (depth reached $depth): $(grep -m1 -E 'max search depth|out of memory|not completed' pan.log)" >verdict
		return
	fi

	if [ "$expect" = proven ]; then
		if [ "$err" != 0 ]; then
			# Rebuild breadth-first for a short trail to show.
			rm -f ./*.trail
			build -DBFS && ./pan -w20 >pan-bfs.log 2>&1
			replay
			echo "fail FAIL: expected proven, counterexample found ($states states)" >verdict
			return
		fi
		# Vacuity: the free and the walker's table read must be reached.
		local lines bad=""
		lines=$(grep -nE '(READ_TABLE|PT_FREE)\(' "$file" | grep -v '#define' | cut -d: -f1)
		for l in $lines; do
			grep -qE "^[[:space:]]+$file:$l, " pan.log && bad="$bad $l"
		done
		if [ -n "$bad" ]; then
			echo "fail FAIL: vacuous: never reached: $file line$bad" >verdict
			return
		fi
		echo "pass proven ($states states, depth $depth, ${secs} s)" >verdict
	else
		if [ "$err" = 0 ]; then
			echo "fail FAIL: expected a counterexample, search proved it safe ($states states)" >verdict
			return
		fi
		replay
		if ! grep -q '!=poison' cex; then
			echo "fail FAIL: the error found is not the walker's: $(grep -m1 '^pan:1:' pan.log)" >verdict
			return
		fi
		echo "pass refuted as expected ($(($(wc -l <cex) - 1)) steps, ${states} states, ${secs} s)" >verdict
	fi
}

# Every selected run, as "index name file defs mm expect"; for the weak
# memory model, file is the comma list of litmus tests and expect "-".
jobs_list() {
	local i=0
	echo "$RUNS" | while read -r name file defs sc tso weak; do
		[ -n "$name" ] || continue
		if [ -n "$want" ]; then
			case "$want " in
			*" $name "*) ;;
			*) continue ;;
			esac
		fi
		[ "$sc" != - ] && { i=$((i + 1)); echo "$i $name $file $defs SC $sc"; }
		[ "$tso" != - ] && { i=$((i + 1)); echo "$i $name $file $defs TSO $tso"; }
		[ "$weak" != - ] && { i=$((i + 1)); echo "$i $name $weak - WEAK -"; }
	done
	local n
	n=$(echo "$RUNS" | awk -v w=" $want " 'NF { if (w == "  " || index(w, " " $1 " ")) n += ($4 != "-") + ($5 != "-") + ($6 != "-") } END { print n + 0 }')
	echo "$LIVE" | while read -r name file defs expect; do
		[ -n "$name" ] || continue
		if [ -n "$want" ]; then
			case "$want " in
			*" $name "*) ;;
			*) continue ;;
			esac
		fi
		n=$((n + 1)); echo "$n $name $file $defs LIVE $expect"
	done
}

# Liveness: the model inside live.pml, pan -a -f (no -DSAFETY).
run_live() {	# dir name file defs expect
	local dir=$1 name=$2 file=$3 defs=$4 expect=$5 t0 t1 err states
	local -a d=()
	cd "$dir" || return
	cp "$here"/*.pml .
	[ "$defs" != - ] && IFS=, read -r -a d <<<"$defs"
	sed "s|^#include MODEL|#include \"$file\"|" live.pml >live_run.pml
	if ! "$SPIN" -DLIVE "${d[@]}" -a live_run.pml >spin.log 2>&1 ||
	   ! "$PAN_CC" -O0 -w -DNOREDUCE -DNFAIR=5 -o pan pan.c >cc.log 2>&1; then
		echo "fail FAIL: does not build: $(cat spin.log cc.log 2>/dev/null | grep -m 2 -i error | tr '\n' ' ')" >verdict
		return
	fi
	t0=$(now_ms)
	./pan -a -f -m"$PAN_DEPTH" -w22 >pan.log 2>&1
	t1=$(now_ms)
	states=$(awk '/states, stored/ { print $1; exit }' pan.log)
	err=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' pan.log | head -n 1)
	local secs
	secs=$(awk -v ms=$((t1 - t0)) 'BEGIN { printf "%.2f", ms / 1000 }')
	if [ -z "$err" ] || grep -qE 'max search depth too small|out of memory' pan.log; then
		echo "fail FAIL: pan did not finish: $(grep -m1 -E 'max search|out of memory' pan.log || tail -n 1 pan.log)" >verdict
		return
	fi
	if [ "$expect" = holds ]; then
		if [ "$err" = 0 ]; then
			echo "pass holds: every wait ends ($states states, weak fairness, ${secs} s)" >verdict
		else
			echo "fail FAIL: a run where the freer never frees ($(grep -m1 '^pan:' pan.log))" >verdict
		fi
	else
		if grep -q 'acceptance cycle' pan.log && [ "$err" != 0 ]; then
			"$SPIN" -DLIVE "${d[@]}" -t live_run.pml 2>&1 |
				grep -E '^ *(CPU[0-9]|rcu:|host:)' | sed 's/^ *//' |
				awk '{ printf "  %3d  %s\n", NR, $0 }' >cex.all
			{ grep -E 'CPU0|irq:' cex.all | head -n 40
			  echo "  ... ($(wc -l <cex.all) steps in all; the walkers go on walking and"
			  echo "      the freer waits forever: an acceptance cycle under weak fairness)"; } >cex
			echo "pass violated as expected: the freer waits forever ($states states, ${secs} s)" >verdict
		else
			echo "fail FAIL: expected a run where the freer waits forever, found none ($states states)" >verdict
		fi
	fi
}

# The weak memory model: the run's litmus tests, each checked once
# against the result it states by models/litmus.sh --out before the runs
# start.  Refuted when they state Sometimes.
run_weak() {	# dir name tests
	local dir=$1 name=$2 tests=$3 f want="" got cex=""
	cd "$dir" || return
	for f in ${tests//,/ }; do
		[ -r "$tmp/weak/$f.res" ] ||
			{ echo "fail FAIL: no litmus test models/litmus/$f.litmus" >verdict; return; }
		got=$(cat "$tmp/weak/$f.res")
		case $got in FAIL*) echo "fail FAIL: $f.litmus: ${got#FAIL: }" >verdict; return ;; esac
		want="$want $got"
		[ -s "$tmp/weak/$f.cex" ] && [ -z "$cex" ] && cex=$tmp/weak/$f.cex
	done
	[ -n "$cex" ] && cp "$cex" cex
	case $(echo $want | tr ' ' '\n' | sort -u | tr '\n' ' ') in
	"Never ") echo "pass proven (litmus: ${tests//,/ })" >verdict ;;
	"Sometimes ") echo "pass refuted as expected ($(wc -l <cex) steps; litmus: ${tests//,/ })" >verdict ;;
	*) echo "fail FAIL: the litmus tests ${tests//,/ } state different results" >verdict ;;
	esac
}

ncpu=$(nproc 2>/dev/null || echo 2)
list=$(jobs_list)
nruns=$(echo "$list" | wc -l)
echo "ptsync verify: $("$SPIN" -V | head -n 1), $nruns runs on $ncpu CPUs"

t_start=$(now_ms)
# Every litmus test a selected run names, once, under the weak model.
mkdir -p "$tmp/weak"
weak_files=$(echo "$list" | awk '$5 == "WEAK" { print $3 }' | tr ',' '\n' | sort -u |
	while read -r f; do [ -r "$here/litmus/$f.litmus" ] && echo "$here/litmus/$f.litmus"; done)
# shellcheck disable=SC2086
[ -n "$weak_files" ] && "$here/litmus.sh" --out "$tmp/weak" $weak_files >"$tmp/weak/log" 2>&1
running=0
while read -r idx name file defs mm expect; do
	mkdir -p "$tmp/$idx"
	if [ "$mm" = LIVE ]; then
		( run_live "$tmp/$idx" "$name" "$file" "$defs" "$expect" ) &
	elif [ "$mm" = WEAK ]; then
		( run_weak "$tmp/$idx" "$name" "$file" ) &
	else
		( run_one "$tmp/$idx" "$name" "$file" "$defs" "$mm" "$expect" ) &
	fi
	running=$((running + 1))
	if [ $running -ge "$ncpu" ]; then
		wait -n
		running=$((running - 1))
	fi
done <<<"$list"
wait

pass=0 fail=0 failed=""
while read -r idx name file defs mm expect; do
	v=$(cat "$tmp/$idx/verdict" 2>/dev/null || echo "fail FAIL: no verdict")
	printf '  %-24s %-4s %s\n' "$name" "$mm" "${v#* }"
	case $v in fail*) failed="$failed\n  $name under $mm: ${v#* }" ;; esac
	case $v in
	pass*) pass=$((pass + 1)) ;;
	*) fail=$((fail + 1)) ;;
	esac
done <<<"$list"

while read -r idx name file defs mm expect; do
	[ -s "$tmp/$idx/cex" ] || continue
	flags=$([ "$defs" = - ] || echo " ${defs//,/ }")
	echo
	if [ "$mm" = WEAK ]; then
		echo "counterexample: $name, WEAK (models/litmus/${file//,/.litmus models/litmus/}.litmus)"
	else
		echo "counterexample: $name, $mm ($file$flags$([ "$mm" = TSO ] && echo " -DTSO"))"
	fi
	cat "$tmp/$idx/cex"
done <<<"$list"

# The weak memory model itself: the classic litmus tests against LKMM.
echo
echo "the weak memory model against LKMM (models/litmus/classic):"
if [ -z "$want" ]; then
	if "$here/litmus.sh" --table "$here"/litmus/classic/*.litmus; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); failed="$failed\n  classic litmus table under WEAK: a row disagrees with LKMM"
	fi
	# The models tied to the code: step tags on both sides, same order.
	echo
	if "$here/tags.sh" "$here/.."; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); failed="$failed\n  models/tags.sh: a model and the C disagree on an ordering point (above)"
	fi
	# Every litmus test belongs to a run.
	for f in "$here"/litmus/*.litmus; do
		b=$(basename "$f" .litmus)
		echo "$RUNS" | awk '{ print $6 }' | tr ',' '\n' | grep -qx -- "$b" ||
			{ fail=$((fail + 1)); failed="$failed\n  models/litmus/$b.litmus: no run in models/verify.sh checks it"; }
	done
fi

echo
[ -n "$failed" ] && printf "failures (model, memory model, why):$failed\n\n"
echo "$pass passed, $fail failed ($(awk -v ms=$(($(now_ms) - t_start)) 'BEGIN { printf "%.1f", ms / 1000 }') s)"
[ "$fail" = 0 ]
