#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Check C litmus files under ptsync's weak memory model (models/litmus2pml.pl).
#
#   models/litmus.sh [--table] [--trail] [--out DIR] FILE.litmus...
#
# For each file: translate it to Promela, search every execution with spin,
# and compare the outcome (Sometimes: some execution satisfies the exists
# clause; Never: none does) with the "Result:" its comment states.  A file
# that also states "Model: Never|Sometimes (limitation ...)" is one where
# this model is knowingly stronger than LKMM: it is checked against that
# line and reported as a limitation, never counted as agreeing with LKMM.
# --table prints the classic-litmus table (test, ours, LKMM, source);
# --trail prints, for each Sometimes, the numbered interleaving of C-level
# steps that reaches the exists clause.  --out DIR leaves, per file,
# DIR/NAME.res (the outcome or FAIL: why) and DIR/NAME.cex (the trail).
# Exit status: 0 all as stated, 1 a disagreement or a file that does not
# translate, 2 bad usage.
set -u
here=$(cd "$(dirname "$0")" && pwd)
SPIN=${SPIN:-spin}
PAN_CC=${PAN_CC:-${CC:-cc}}
table=0 trail=0 out=""
files=()
while [ $# -gt 0 ]; do
	a=$1; shift
	case $a in
	--out) out=${1:-}; shift; [ -d "$out" ] || { echo "litmus: --out needs a directory" >&2; exit 2; } ;;
	--table) table=1 ;;
	--trail) trail=1 ;;
	-h|--help) sed -n '3,19p' "$0"; exit 0 ;;
	-*) echo "litmus: unknown option $a (models/litmus.sh --help)" >&2; exit 2 ;;
	*) [ -r "$a" ] || { echo "litmus: cannot read $a" >&2; exit 2; }; files+=("$a") ;;
	esac
done
[ ${#files[@]} -gt 0 ] || { echo "usage: models/litmus.sh [--table] [--trail] FILE.litmus..." >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ptsync-litmus.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# One file in its own directory; writes `res` (ours), `err` on failure.
check_one() {	# dir file
	local dir=$1 f=$2
	mkdir -p "$dir" && cd "$dir" || return
	if ! perl "$here/litmus2pml.pl" "$f" >t.pml 2>err; then
		echo untranslatable >res; return
	fi
	if ! "$SPIN" -a t.pml >spin.log 2>&1 ||
	   ! "$PAN_CC" -O0 -w -DSAFETY -o pan pan.c >cc.log 2>&1; then
		echo "does not build: $(grep -m1 -i error spin.log cc.log)" >err
		echo untranslatable >res; return
	fi
	./pan -E -m10000 >pan.log 2>&1
	local e
	e=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' pan.log | head -n 1)
	if [ -z "$e" ] || grep -qE 'max search depth too small|out of memory' pan.log; then
		echo "pan did not finish: $(tail -n 1 pan.log)" >err; echo error >res; return
	fi
	if [ "$e" != 0 ]; then
		grep -q 'assertion violated' pan.log || { echo "error not the exists clause: $(grep -m1 '^pan:' pan.log)" >err; echo error >res; return; }
		echo Sometimes >res
		# Pointer values are 100 + the location's number: name them.
		local names
		names=$(sed -n 's/^#define LOC_\([A-Za-z0-9_]*\) \([0-9]*\)$/s|=\2]|=\1]|/p' t.pml)
		"$SPIN" -t t.pml 2>&1 | grep -E '^ *P[0-9]+: ' | sed "$names" |
			awk '{ sub(/^ +/, ""); sub(/ +$/, ""); printf "  %3d  %s\n", NR, $0 }' >cex
	else
		# Never must not be vacuous: the exists check was reached.
		if grep -A3 'unreached in init' pan.log | grep -q 'ALL_DONE\|assert'; then
			echo "vacuous: no execution finishes" >err; echo error >res; return
		fi
		echo Never >res
	fi
}

i=0
for f in "${files[@]}"; do
	i=$((i + 1))
	( check_one "$tmp/$i" "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" ) &
	[ $((i % $(nproc 2>/dev/null || echo 2))) = 0 ] && wait
done
wait

fail=0 agree=0 limit=0
[ $table = 1 ] && printf '  %-52s %-9s %-9s %s\n' test ours LKMM "source of the LKMM result"
i=0
for f in "${files[@]}"; do
	i=$((i + 1))
	name=$(sed -n 's/^C \(.*\)/\1/p' "$f" | head -n 1)
	want=$(sed -n 's/.*Result: *\(Never\|Sometimes\).*/\1/p' "$f" | head -n 1)
	model=$(sed -n 's/.*Model: *\(Never\|Sometimes\).*/\1/p' "$f" | head -n 1)
	src=$(sed -n 's/.*LKMM: *\([^ ]*\).*/\1/p' "$f" | head -n 1)
	got=$(cat "$tmp/$i/res" 2>/dev/null || echo error)
	verdict=agrees
	if [ "$got" = untranslatable ] || [ "$got" = error ]; then
		verdict="FAIL ($(head -n 1 "$tmp/$i/err"))"; fail=$((fail + 1))
	elif [ -n "$model" ]; then
		if [ "$got" = "$model" ]; then verdict="differs: documented limitation, not counted"; limit=$((limit + 1))
		else verdict="FAIL (model line says $model)"; fail=$((fail + 1)); fi
	elif [ "$got" != "$want" ]; then
		verdict="FAIL (ours $got, stated $want)"; fail=$((fail + 1))
	else
		agree=$((agree + 1))
	fi
	if [ $table = 1 ]; then
		printf '  %-52s %-9s %-9s %s  %s\n' "$name" "$got" "$want" "${src:-?}" "$verdict"
	else
		printf '  %-52s %-9s stated %-9s %s\n' "$name" "$got" "$want" "$verdict"
	fi
	if [ -n "$out" ]; then
		b=$(basename "$f" .litmus)
		case $verdict in FAIL*) echo "FAIL: $verdict" ;; *) echo "$got" ;; esac >"$out/$b.res"
		cp "$tmp/$i/cex" "$out/$b.cex" 2>/dev/null || : >"$out/$b.cex"
	fi
	if [ $trail = 1 ] && [ -s "$tmp/$i/cex" ]; then
		echo "    an execution that satisfies the exists clause ($(basename "$f")):"
		cat "$tmp/$i/cex"
	fi
done
echo "litmus: $agree agree, $limit documented limitations, $fail failed"
[ $fail = 0 ]
