#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Torture every strategy `ptsync list --tsv` names, so a new strategy is
# tortured without editing this file; under the sweep (--sweep), so that no
# test needs to know which knob finds which bug.
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

# The checker must catch `none` with default settings, every run.  It
# stops at the first violation (a fraction of a second, mostly), so the
# long cap costs nothing unless a loaded, sanitized build needs it: one
# CI run met no violation in 5 s.
run none --strategy=none --stop-on-violation --duration=60
v=$(json_num "$tmp/none.json" violations)
ok $(( $(cat "$tmp/none.rc") == 1 && ${v:-0} > 0 ? 0 : 1 )) \
	"none, defaults: caught, $v violations, exit status $(cat "$tmp/none.rc")"

# `none` at each call site alone, a walker held 100 us in every table it
# enters so that collapses and unshares meet it there: caught, and
# charged to that site.  (Only anon collapses are unsafe for `none`: a
# file-backed one frees through pte_free_defer(), after a grace period,
# for every strategy; at 20 us a 3 s run met a walker 0 to 5 times.)
for site in fallback collapse unshare; do
	# shellcheck disable=SC2046
	run "none-$site" --strategy=none $(site_args "$site") --walk-delay=100us \
		--stop-on-violation --duration=30
	f="$tmp/none-$site.json"
	v=$(site_num "$f" "$site" violations); ev=$(site_num "$f" "$site" events)
	ok $(( $(cat "$tmp/none-$site.rc") == 1 && ${v:-0} > 0 ? 0 : 1 )) \
		"none --callsite=$site: caught there, $v violations in $ev events"
done

# Blind detection: every strategy under `torture --sweep`, which draws
# every race-widening knob (TLB mode, arch, walk delay, store-buffer window,
# user chance, batch failures, mms, regions, call sites, rates, nohz_full)
# anew each interval; no run here names a knob.  Unsafe ones must be caught
# within 40 s (bench-detect measures how fast: mostly within 10 on 2 CPUs;
# the margin is for a loaded machine), in an interval whose TLB mode `ptsync list` marks unsafe and
# whose arch does not hide the bug; safe ones must come back clean, having
# taken the fallback, collapsed and unshared.
sweep() {	# sweep NAME SECONDS ARGS...: torture --sweep --json into $tmp/NAME.json
	local name=$1 secs=$2; shift 2
	"$PTSYNC" torture --sweep --json --seed="$seed" --duration="$secs" "$@" \
		>"$tmp/$name.json" 2>"$tmp/$name.err"
	echo $? >"$tmp/$name.rc"
}
while IFS=$'\t' read -r name verdict modes unsafe_modes _ _ _ _ _ _ hidden; do
	id="sweep-$name"
	if [ "$verdict" = unsafe ]; then
		sweep "$id" 40 --strategy="$name" --stop-on-violation
		f="$tmp/$id.json"
		v=$(json_num "$f" violations); t=$(json_num "$f" first_violation_s)
		rep=$(sed -n 's/^ptsync torture repeat: ptsync torture //p' "$tmp/$id.err")
		ok $(( $(cat "$tmp/$id.rc") == 1 && ${v:-0} > 0 ? 0 : 1 )) \
			"$name --sweep (unsafe): caught, $v violations, first after ${t}s"
		[ "${v:-0}" -gt 0 ] || sed 's/^/# /' "$tmp/$id.err"
		grep -q '^ptsync torture violation: cpu [0-9]* .*strategy '"$name"': ' "$tmp/$id.err"
		ok $? "... and what the failing interval saw: $(grep -m1 '^ptsync torture violation:' "$tmp/$id.err" | cut -d: -f2- | head -c 120)"
		m=$(echo "$rep" | grep -o -- '--tlb=[a-z]*' | cut -d= -f2)
		a=$(echo "$rep" | grep -o -- '--arch=[a-z0-9]*' | cut -d= -f2)
		case ",$unsafe_modes," in *",$m,"*) in_mode=1 ;; *) in_mode=0 ;; esac
		case ";$hidden" in *";$a="*) in_mode=0 ;; esac
		ok $(( in_mode && ! $(echo "$rep" | grep -c -- '--sweep') ? 0 : 1 )) \
			"$name: caught at --tlb=$m --arch=$a, where list says unsafe and not hidden; repeat: line without --sweep"
		continue
	fi
	# A 3 s sweep can miss a call site (a collapse needs khugepaged's scan
	# to find a full region, and under rcu each costs a grace period: 0 to
	# 22 collapses in 3 s were seen): then up to three more sweeps of 3 s
	# with the next seeds, until every site was met, and the counts of all.
	v=0 fb=0 co=0 un=0 n=0 rc=0
	for s in "$seed" "$((seed + 1))" "$((seed + 2))" "$((seed + 3))"; do
		seed=$s sweep "$id" 3 --strategy="$name"
		f="$tmp/$id.json"
		r=$(cat "$tmp/$id.rc"); [ "$r" -eq 0 ] || { rc=$r; sed 's/^/# /' "$tmp/$id.err"; }
		x=$(json_num "$f" violations); v=$(( v + ${x:-1} ))
		x=$(json_num "$f" fallbacks); fb=$(( fb + ${x:-0} ))
		x=$(json_num "$f" collapses); co=$(( co + ${x:-0} ))
		x=$(json_num "$f" unshares); un=$(( un + ${x:-0} ))
		x=$(json_num "$f" intervals); n=$(( n + ${x:-0} ))
		(( rc || v || (fb > 0 && co > 0 && un > 0) )) && break
	done
	ok $(( rc == 0 && v == 0 && fb > 0 && co > 0 && un > 0 ? 0 : 1 )) \
		"$name --sweep: $n intervals, 0 violations ($v), $fb fallbacks, $co collapses, $un unshares, exit $rc"
done <"$tmp/list"

# Where `ptsync list` says an arch's flush barrier hides a strategy's bug,
# torture must agree: the run says so first, and is clean, with the
# store-buffer window open and walkers held in their tables (as the
# twins' column is read from the list, not named here).
while IFS=$'\t' read -r name _ _ unsafe_modes _ _ _ _ _ _ hidden; do
	[ "$hidden" = - ] && continue
	m=${unsafe_modes%%,*}
	for a in $(echo "$hidden" | tr ';' '\n' | cut -d= -f1); do
		id="hidden-$name-$a"
		run "$id" --strategy="$name" --tlb="$m" --arch="$a" --batch-fail=1 \
			--walk-delay=20us --sb-window-ns=20000 --regions=2 --mms=1 --duration=2
		rc=$(cat "$tmp/$id.rc"); v=$(json_num "$tmp/$id.json" violations)
		ok $(( rc == 0 && ${v:-1} == 0 ? 0 : 1 )) \
			"$name --tlb=$m --arch=$a: hidden, as list says: clean ($v violations), exit $rc"
		head -n 1 "$tmp/$id.err" | grep -q "hidden under --arch=$a by .*a clean run is expected"
		ok $? "... and its first line says what hides it: $(head -n 1 "$tmp/$id.err" | head -c 140)"
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
