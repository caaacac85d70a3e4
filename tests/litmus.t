#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The litmus translator (models/litmus2pml.pl) and checker (models/litmus.sh)
# that make verify uses for the weak memory model: bad input is one line
# naming the file's line and the construct, exit 2; a stated result that
# the model contradicts fails the check.
. "$(dirname "$0")/tap.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
m=$(dirname "$0")/../models

untranslatable() {	# LINE-NO WORD: the file in $tmp/t.litmus
	perl "$m/litmus2pml.pl" "$tmp/t.litmus" >/dev/null 2>"$tmp/err"
	local rc=$? lines
	lines=$(wc -l <"$tmp/err")
	ok $(( rc == 2 && lines == 1 ? 0 : 1 )) "untranslatable file -> exit $rc, $lines line(s)"
	grep -q "t.litmus:$1: .*$2" "$tmp/err"
	ok $? "... names line $1 and $2: $(head -c 150 "$tmp/err")"
}

sb() {	# the SB shape with $1 between store and load, stated result $2
	printf 'C t\n(*\n * Result: %s\n *)\n{}\nP0(int *a, int *b)\n{\n\tint r0;\n\tWRITE_ONCE(*a, 1);\n\t%s\n\tr0 = READ_ONCE(*b);\n}\n\nP1(int *a, int *b)\n{\n\tint r0;\n\tWRITE_ONCE(*b, 1);\n\t%s\n\tr0 = READ_ONCE(*a);\n}\nexists (0:r0=0 /\\ 1:r0=0)\n' "$2" "$1" "$1" >"$tmp/t.litmus"
}

sb 'frob(a);' Never;				untranslatable 10 "frob"
sb 'smp_mb();' Never; sed -i 's/^exists.*/exists (0:r7=1)/' "$tmp/t.litmus"
						untranslatable 21 "r7"
sb 'smp_mb();' Never; sed -i 's/^{}$/{ x = ; }/' "$tmp/t.litmus"
						untranslatable 5 "initial-state"
sb 'if (r0 > 1) smp_mb();' Never;		untranslatable 10 "condition"
sb 'smp_mb();' Never; sed -i '/Result/d' "$tmp/t.litmus"
						untranslatable 1 "Result"

# models/tags.sh: a fake tree, tied, then drifted three ways.
mkdir -p "$tmp/r/models" "$tmp/r/strategy"
printf '/* [T:p:1:a] */\n/* [T:p:2:b] */\n' >"$tmp/r/strategy/x.c"
printf '/* [T:p:1:a] */\n/* [T:p:2:b] */\n' >"$tmp/r/models/x.pml"
"$m/tags.sh" "$tmp/r" >"$tmp/out" 2>&1
ok $? "tags: tied: $(cat "$tmp/out")"
printf '/* [T:p:2:b] */\n/* [T:p:1:a] */\n' >"$tmp/r/models/x.pml"
"$m/tags.sh" "$tmp/r" >"$tmp/out" 2>&1
ok $(( $? == 1 ? 0 : 1 )) "tags: the model's order differs: $(grep -m1 order "$tmp/out")"
printf '/* [T:p:1:a] */\n' >"$tmp/r/models/x.pml"
"$m/tags.sh" "$tmp/r" >"$tmp/out" 2>&1
ok $(( $? == 1 ? 0 : 1 )) "tags: a tag in the C only: $(head -n 1 "$tmp/out")"
printf '/* [T:p:1:a] */\n/* [T:p:2:b] */\n/* [T:p:3:c] */\n' >"$tmp/r/models/x.pml"
"$m/tags.sh" "$tmp/r" >"$tmp/out" 2>&1
ok $(( $? == 1 ? 0 : 1 )) "tags: a tag in the model only: $(head -n 1 "$tmp/out")"

if command -v spin >/dev/null 2>&1; then
	sb 'smp_mb();' Never
	"$m/litmus.sh" "$tmp/t.litmus" >"$tmp/out" 2>&1
	ok $? "SB with smp_mb() on both sides: Never, as stated"
	sb 'smp_mb();' Sometimes
	"$m/litmus.sh" "$tmp/t.litmus" >"$tmp/out" 2>&1
	ok $(( $? == 1 ? 0 : 1 )) "... stated Sometimes: the check fails: $(grep -o 'FAIL.*' "$tmp/out")"
	sb 'smp_rmb();' Never
	"$m/litmus.sh" "$tmp/t.litmus" >"$tmp/out" 2>&1
	ok $(( $? == 1 ? 0 : 1 )) "SB with smp_rmb() stated Never: the check fails (rmb orders no store->load)"
	sb 'smp_wmb();' Sometimes
	"$m/litmus.sh" "$tmp/t.litmus" >"$tmp/out" 2>&1
	ok $? "SB with smp_wmb(): Sometimes, as stated"
else
	echo "# spin not installed: the checks that need it are skipped"
fi
done_testing
