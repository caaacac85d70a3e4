#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The long torture matrix (make torture-long): every safe strategy that
# `ptsync list --tsv` names, for DURATION seconds (default 60) each, at
# --batch-fail=1 and 0.01, under every TLB mode it supports, with random
# IRQs-off walk delays and the store-buffer window; each must take the
# fallback at least 1000 times with no violation, with khugepaged's
# collapse and hugetlb's unshare driven at the same time (the default
# --callsite, which gives them at most a quarter of the freer's time:
# each must still happen).  Then each safe strategy at collapse alone and
# at unshare alone (three mms), DURATION seconds under every TLB mode,
# each at least 1000 times with no violation.  Every unsafe one once,
# 10 s, under each mode where it is unsafe: it must be caught.  And `none`
# at each call site alone: caught there.  TAP output.
. "$(dirname "$0")/../tap.sh"
dur=${DURATION:-60}
seed=${PTSYNC_SEED:-$(date +%s)}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "# seed $seed, $dur s per run"
teeth="--walk-delay=random --sb-window-ns=5000"

site_num() {	# site_num FILE SITE KEY: callsites.SITE.KEY of a torture JSON
	perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>);
		print $j->{callsites}{$ARGV[0]}{$ARGV[1]}' "$2" "$3" <"$1" 2>/dev/null
}

for site in fallback collapse unshare; do
	"$PTSYNC" torture --json --no-progress --seed="$seed" --strategy=none \
		--callsite="$site" --mms=3 --walk-delay=20us --duration=10 >"$tmp/out.json" 2>"$tmp/err"
	rc=$?
	v=$(site_num "$tmp/out.json" "$site" violations)
	ok $(( rc == 1 && ${v:-0} > 0 ? 0 : 1 )) "none --callsite=$site: 10 s, $v violations there, exit $rc"
done

"$PTSYNC" list --tsv >"$tmp/list"
while IFS=$'\t' read -r name verdict modes unsafe_modes _; do
	if [ "$verdict" = unsafe ]; then
		for m in ${unsafe_modes//,/ }; do
			# shellcheck disable=SC2086
			"$PTSYNC" torture --json --no-progress --seed="$seed" --strategy="$name" \
				--tlb="$m" --batch-fail=1 $teeth --duration=10 >"$tmp/out.json" 2>"$tmp/err"
			rc=$?
			v=$(json_num "$tmp/out.json" violations)
			t=$(json_num "$tmp/out.json" first_violation_s)
			ok $(( rc == 1 && ${v:-0} > 0 ? 0 : 1 )) \
				"$name --tlb=$m: 10 s, $v violations, first after ${t}s, exit $rc"
		done
		continue
	fi
	for m in ${modes//,/ }; do
		for bf in 1 0.01; do
			# shellcheck disable=SC2086
			"$PTSYNC" torture --json --no-progress --seed="$seed" --strategy="$name" \
				--tlb="$m" --batch-fail="$bf" $teeth --duration="$dur" \
				>"$tmp/out.json" 2>"$tmp/err"
			rc=$?
			v=$(json_num "$tmp/out.json" violations)
			fb=$(json_num "$tmp/out.json" fallbacks)
			co=$(site_num "$tmp/out.json" collapse events)
			un=$(site_num "$tmp/out.json" unshare events)
			ok $(( rc == 0 && ${v:-1} == 0 && ${fb:-0} >= 1000 && ${co:-0} >= 1 &&
			       ${un:-0} >= 1 ? 0 : 1 )) \
				"$name --tlb=$m --batch-fail=$bf: ${dur}s, violations $v, fallbacks $fb, collapses $co, unshares $un, exit $rc"
		done
		for site in collapse unshare; do
			# shellcheck disable=SC2086
			"$PTSYNC" torture --json --no-progress --seed="$seed" --strategy="$name" \
				--tlb="$m" --callsite="$site" --mms=3 $teeth --duration="$dur" \
				>"$tmp/out.json" 2>"$tmp/err"
			rc=$?
			v=$(json_num "$tmp/out.json" violations)
			ev=$(site_num "$tmp/out.json" "$site" events)
			ok $(( rc == 0 && ${v:-1} == 0 && ${ev:-0} >= 1000 ? 0 : 1 )) \
				"$name --tlb=$m --callsite=$site: ${dur}s, violations $v, events $ev, exit $rc"
		done
	done
done <"$tmp/list"
done_testing
