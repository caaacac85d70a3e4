#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ptsync fork-storm: counts, never timing.  Every strategy, in both sync
# modes, must unshare forks x regions times, deliver every IPI it sends,
# and leak nothing; a bystander must take exactly the sync IPIs the
# strategy declares at unshare (`ptsync list --tsv`, tenth field of eleven) for the
# syncs it made; under ipi that is one per unshare with per-unshare syncs,
# and with per-gather syncs one per gather that leaves the tables
# exclusive: once for the whole storm when every child is alive before
# the first exits, once per child when each exits before the next fork.
# Bad sizes, checked against the arenas before anything runs: exit 2.
. "$(dirname "$0")/tap.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
N=12 R=5

run_field() {	# run_field FILE STRATEGY MODE KEY
	perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>);
		for (@{$j->{runs}}) { print $_->{$ARGV[2]}
			if $_->{strategy} eq $ARGV[0] && $_->{unshare_sync} eq $ARGV[1] }' \
		"$2" "$3" "$4" <"$1"
}

"$PTSYNC" fork-storm --forks=$N --regions=$R --json --no-progress >"$tmp/a.json" 2>"$tmp/a.err"
ok $? "fork-storm --json exits 0"
perl -MJSON::PP -e 'local $/; decode_json(<STDIN>)' <"$tmp/a.json"
ok $? "its output is valid JSON"

"$PTSYNC" list --tsv >"$tmp/list"
while IFS=$'\t' read -r name verdict _ _ _ _ _ _ _ kind _; do
	[ "$verdict" = safe ] || [ "$name" = none ] || continue
	for mode in per-gather per-unshare; do
		f="$tmp/a.json"
		un=$(run_field "$f" "$name" $mode unshares); sy=$(run_field "$f" "$name" $mode syncs)
		got=$(run_field "$f" "$name" $mode bystander_sync_ipis)
		sent=$(run_field "$f" "$name" $mode ipis_sent); recv=$(run_field "$f" "$name" $mode ipis_received)
		leak=$(run_field "$f" "$name" $mode leaked_objects)
		nb=$(grep -o '"bystanders":[0-9]*' "$f" | cut -d: -f2)
		case "$kind" in
		ipi-per-sync|upstream-ipi|ipi-unless-nohz-full) want=$(( ${sy:-0} * ${nb:-0} )) ;;
		# invlpgb here: no flush IPIs anyone, so the skip never applies
		ipi-unless-flush-ipi) want=$(( ${sy:-0} * ${nb:-0} )) ;;
		*) want=0 ;;
		esac
		[ "$name" = none ] && want=0
		ok $(( ${un:-0} == N * R && ${sent:--1} == ${recv:--2} && ${leak:-1} == 0 ? 0 : 1 )) \
			"$name $mode: $un unshares (want $((N * R))), IPIs sent $sent = received $recv, $leak leaked"
		ok $(( ${got:--1} == want ? 0 : 1 )) \
			"$name $mode ($kind): $got sync IPIs to the bystanders for $sy syncs (want $want)"
	done
done <"$tmp/list"

f="$tmp/a.json"
sy=$(run_field "$f" ipi per-unshare syncs); got=$(run_field "$f" ipi per-unshare bystander_sync_ipis)
ok $(( sy == N * R && got == N * R * nb ? 0 : 1 )) \
	"ipi per-unshare: $sy syncs, $got IPIs to $nb bystander(s): one per unshare"
sy=$(run_field "$f" ipi per-gather syncs); got=$(run_field "$f" ipi per-gather bystander_sync_ipis)
ok $(( sy == 1 && got == nb ? 0 : 1 )) \
	"ipi per-gather, all $N children alive: $sy sync, $got IPIs to $nb bystander(s): one, at the last exit"

"$PTSYNC" fork-storm --forks=$N --regions=$R --alive=1 --strategies=ipi --unshare-sync=per-gather \
	--json --no-progress >"$tmp/b.json" 2>"$tmp/b.err"
ok $? "fork-storm --alive=1 exits 0"
sy=$(run_field "$tmp/b.json" ipi per-gather syncs); got=$(run_field "$tmp/b.json" ipi per-gather bystander_sync_ipis)
ok $(( sy == N && got == N * nb ? 0 : 1 )) \
	"ipi per-gather, each child exiting before the next fork: $sy syncs, $got IPIs: one per gather"
grep -q '"unshare_sync":"per-unshare"' "$tmp/b.json"; ok $(( $? == 1 ? 0 : 1 )) \
	"--unshare-sync=per-gather runs that mode alone"

"$PTSYNC" fork-storm --forks=$N --regions=$R --strategies=ipi --no-progress >"$tmp/c.out" 2>&1
ok $? "fork-storm's table exits 0"
grep -q "^ipi .*per-unshare" "$tmp/c.out" && grep -q "^per-unshare / per-gather:" "$tmp/c.out" &&
	grep -q "2.475 s per-gather, 11.275 s per-unshare" "$tmp/c.out"
ok $? "the table has ipi's rows, the ratio per strategy, and the report's figures beside them"

bad --forks fork-storm --forks=0
bad --forks fork-storm --forks=1000000
bad --pt-pages fork-storm --forks=40000
bad --regions fork-storm --regions=0
bad --regions fork-storm --regions=5000
bad --folios fork-storm --regions=4096 --folios=1024
bad --alive fork-storm --alive=0
bad --alive fork-storm --forks=5 --alive=6
bad --unshare-sync fork-storm --unshare-sync=often
bad --strategies fork-storm --strategies=bogus
bad --bystanders fork-storm --cpus=2 --bystanders=3
bad --tlb fork-storm --strategies=flush-ipi-pv --tlb=native
bad --frobnicate fork-storm --frobnicate
done_testing
