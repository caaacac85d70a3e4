#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Torture every strategy `ptsync list --tsv` names, so a new strategy is
# tortured without editing this file.
#
# What breaks if this fails: a safe strategy that lets a walker into a
# freed table, or a checker that has stopped seeing it.  Unsafe strategies
# (`none`, and each broken twin) must be caught under every TLB mode where
# they are marked unsafe, on every run; if one ever comes back clean, the
# torture test is what is broken.  Safe ones must come back clean while
# taking the fallback, at --batch-fail=1 and 0.01, under every TLB mode
# they support, with random IRQs-off walk delays (some longer than two
# ticks, so a grace period too short cannot hide behind tick rounding) and
# the freer's unhooks held in the emulated store buffer.
#
# Call sites: those runs drive all three at once (the default).  Then each
# of khugepaged's collapse and hugetlb's unshare alone: `none` caught there,
# the violations charged to that site, and every safe strategy clean there
# while the site is exercised (unshare with three mms, so that unshares
# which leave a table shared come before the one that leaves it exclusive).
. "$(dirname "$0")/tap.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
seed=${PTSYNC_SEED:-$(date +%s)}
echo "# seed $seed (PTSYNC_SEED=$seed reproduces the workload)"
teeth="--walk-delay=random --sb-window-ns=5000"

run() {	# run NAME ARGS...: torture with --json into $tmp/NAME.json
	local name=$1; shift
	"$PTSYNC" torture --json --no-progress --seed="$seed" "$@" \
		>"$tmp/$name.json" 2>"$tmp/$name.err"
	echo $? >"$tmp/$name.rc"
}
site_num() {	# site_num FILE SITE KEY: callsites.SITE.KEY of a torture JSON
	perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>);
		print $j->{callsites}{$ARGV[0]}{$ARGV[1]}' "$2" "$3" <"$1" 2>/dev/null
}
site_args() {	# site_args SITE: the options that drive SITE alone
	case "$1" in
	unshare) echo "--callsite=unshare --mms=3" ;;
	*) echo "--callsite=$1" ;;
	esac
}

"$PTSYNC" list --tsv >"$tmp/list" 2>&1
ok $? "ptsync list --tsv"
n=$(wc -l <"$tmp/list")
ok $(( n >= 3 ? 0 : 1 )) "$n strategies listed"

# The checker must catch `none` with default settings, every run.
run none --strategy=none --duration=5
v=$(json_num "$tmp/none.json" violations)
ok $(( $(cat "$tmp/none.rc") == 1 && ${v:-0} > 0 ? 0 : 1 )) \
	"none, defaults: caught, $v violations, exit status $(cat "$tmp/none.rc")"

# `none` at each call site alone, a walker held 20 us in every table it
# enters so that collapses and unshares meet it there: caught, and
# charged to that site.
for site in fallback collapse unshare; do
	# shellcheck disable=SC2046
	run "none-$site" --strategy=none $(site_args "$site") --walk-delay=20us --duration=3
	f="$tmp/none-$site.json"
	v=$(site_num "$f" "$site" violations); ev=$(site_num "$f" "$site" events)
	ok $(( $(cat "$tmp/none-$site.rc") == 1 && ${v:-0} > 0 ? 0 : 1 )) \
		"none --callsite=$site: caught there, $v violations in $ev events"
done

while IFS=$'\t' read -r name verdict modes unsafe_modes _; do
	if [ "$verdict" = unsafe ]; then
		for m in ${unsafe_modes//,/ }; do
			id="$name-$m"
			# shellcheck disable=SC2086
			run "$id" --strategy="$name" --tlb="$m" --batch-fail=1 $teeth --duration=5
			f="$tmp/$id.json"
			v=$(json_num "$f" violations); t=$(json_num "$f" first_violation_s)
			ok $(( $(cat "$tmp/$id.rc") == 1 && ${v:-0} > 0 ? 0 : 1 )) \
				"$name --tlb=$m (unsafe): caught, $v violations, first after ${t}s"
			[ "${v:-0}" -gt 0 ] || sed 's/^/# /' "$tmp/$id.err"
		done
		continue
	fi
	for m in ${modes//,/ }; do
		for bf in 1 0.01; do
			id="$name-$m-$bf"
			# shellcheck disable=SC2086
			run "$id" --strategy="$name" --tlb="$m" --batch-fail="$bf" $teeth --duration=1
			f="$tmp/$id.json"
			rc=$(cat "$tmp/$id.rc")
			v=$(json_num "$f" violations); fb=$(json_num "$f" fallbacks)
			sent=$(json_num "$f" ipis_sent); recv=$(json_num "$f" ipis_received)
			ok $(( rc == 0 && ${v:-1} == 0 && ${fb:-0} > 0 &&
			       ${sent:--1} == ${recv:--2} ? 0 : 1 )) \
				"$name --tlb=$m --batch-fail=$bf: 0 violations ($v), $fb fallbacks, IPIs sent $sent = received $recv, exit $rc"
			[ "$rc" -eq 0 ] || sed 's/^/# /' "$tmp/$id.err"
		done
	done
	for site in collapse unshare; do
		id="$name-$site"
		# shellcheck disable=SC2046,SC2086
		run "$id" --strategy="$name" $(site_args "$site") $teeth --duration=1
		f="$tmp/$id.json"
		rc=$(cat "$tmp/$id.rc")
		v=$(json_num "$f" violations)
		ev=$(site_num "$f" "$site" events); sy=$(site_num "$f" "$site" syncs)
		up=$(site_num "$f" "$site" upstream_syncs)
		ok $(( rc == 0 && ${v:-1} == 0 && ${ev:-0} > 0 && ${sy:-0} > 0 ? 0 : 1 )) \
			"$name --callsite=$site: 0 violations ($v), $ev events, $sy syncs ($up upstream's), exit $rc"
		[ "$rc" -eq 0 ] || sed 's/^/# /' "$tmp/$id.err"
	done
done <"$tmp/list"

# Every key the reports promise is in the JSON.
for key in strategy tlb walks tables_freed fallbacks syncs ipis_sent ipis_received \
	   sync_calls_run tlb_calls_run grace_periods violations first_violation_s \
	   batch_gp_ns pt_reclaim walk_delay callsites collapse hugetlb callsite \
	   khugepaged unshare_sync; do
	grep -q "\"$key\":" "$tmp/none.json"
	ok $? "json has \"$key\""
done

# The violation log names the call site of each violation.
grep -q '"violation_log":\[{[^]]*"site":"collapse"' "$tmp/none-collapse.json"
ok $? "a violation at collapse is logged with its site"

# The repeat line names every option of the run: replaying it shows the
# same parameters (the seed included) at start.
rep=$(sed -n 's/^ptsync torture repeat: ptsync torture //p' "$tmp/none.err")
[ -n "$rep" ]; ok $? "the run printed how to repeat it"
# shellcheck disable=SC2086
"$PTSYNC" torture $rep --duration=0.2 --no-progress >"$tmp/again" 2>&1
grep '^ptsync torture start:' "$tmp/again" | sed 's/duration=[^ ]* //' >"$tmp/p2"
"$PTSYNC" torture --strategy=none --seed="$seed" --duration=0.2 --no-progress 2>&1 |
	grep '^ptsync torture start:' | sed 's/duration=[^ ]* //' >"$tmp/p1"
cmp -s "$tmp/p1" "$tmp/p2"; ok $? "the repeated run has the same parameters: $(head -c 120 "$tmp/p2")"
done_testing
