#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The measured figures in README.md and docs/ are generated from the results
# files in docs/data/ (scripts/doctable); if one is edited by hand, or its
# data changes without `make docs`, the doc no longer says what the data
# says.  This regenerates every region and fails on any difference, and
# checks that the check itself can fail.
. tests/tap.sh
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT

pages="README.md $(ls docs/*.md)"
for p in $pages; do
	n=$(grep -c '^<!-- doctable ' "$p")
	[ "$n" -eq 0 ] && continue
	scripts/doctable --check "$p" >"$tmp/out" 2>&1
	ok $? "$p: its $n generated tables match their data in docs/data/"
	grep -o '^<!-- doctable [^ ]* [^ ]*' "$p" | cut -d' ' -f4 | while read -r f; do
		[ -f "$f" ] || echo "$p: $f missing"
	done >"$tmp/missing"
	[ ! -s "$tmp/missing" ]
	ok $? "$p: every data file it names exists"
done

# Every region names the command that wrote its data.
! grep -h '^<!-- doctable ' $pages | grep -v ' | [^ ].* -->$' >"$tmp/nocmd"
ok $? "every generated region names the command that produced its data"

# The check must be able to fail: change one figure and it must notice.
mkdir -p "$tmp/docs/data"
printf 'a\tb\n1\t2\n' >"$tmp/docs/data/x.tsv"
printf '<!-- doctable tsv %s | true -->\n<!-- end doctable -->\n' "$tmp/docs/data/x.tsv" >"$tmp/docs/p.md"
scripts/doctable --update "$tmp/docs/p.md" && scripts/doctable --check "$tmp/docs/p.md" >/dev/null
ok $? "a freshly generated page passes the check"
sed -i 's/| 1 | 2 |/| 1 | 3 |/' "$tmp/docs/p.md"
! scripts/doctable --check "$tmp/docs/p.md" >/dev/null
ok $? "a hand-edited figure fails the check"

# A key a results file lacks prints as '-', rows come from the file.
printf '{"strategies":[{"name":"ipi","sync_ns":{"p50":12500}}]}\n' >"$tmp/docs/data/r.json"
printf '<!-- doctable compare-fallback %s | true -->\n<!-- end doctable -->\n' "$tmp/docs/data/r.json" >"$tmp/docs/q.md"
scripts/doctable --update "$tmp/docs/q.md" && grep -q '^| `ipi` | - | 12.5us | - |' "$tmp/docs/q.md"
ok $? "compare-fallback formats the rows a file has and '-' for missing keys"

# doccheck: every sentence of an old page must still be somewhere.
printf 'One fact here. Another fact: there.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n' >"$tmp/old.md"
printf 'Text.  Another fact:\nthere.  One fact here.\n\n| `a` | b |\n| 1 | 2 |\n' >"$tmp/new.md"
scripts/doccheck "$tmp/old.md" "$tmp/new.md" >/dev/null
ok $? "doccheck passes when every sentence and row moved, rewrapped"
sed -i 's/| 1 | 2 |/| 1 | 3 |/' "$tmp/new.md"
scripts/doccheck "$tmp/old.md" "$tmp/new.md" >"$tmp/out"
[ $? -eq 1 ] && grep -q '^missing: 1 2$' "$tmp/out"
ok $? "doccheck names a table row that was dropped"

# The split README's promise: every fact of the README before the split
# (bd53b0e) is still on some page, or listed in scripts/doccheck.reworded
# with why it changed.  Needs the git history; a tree without it skips.
if git cat-file -e bd53b0e:README.md 2>/dev/null; then
	git show bd53b0e:README.md >"$tmp/old-readme.md"
	scripts/doccheck --reworded scripts/doccheck.reworded "$tmp/old-readme.md" >"$tmp/out"
	ok $? "no fact of the pre-split README (bd53b0e) is dropped: $(grep -c '^missing' "$tmp/out") missing"
else
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - # SKIP no git history: the pre-split README cannot be read"
fi

done_testing
