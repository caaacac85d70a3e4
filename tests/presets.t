#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The kernel presets (--kernel; strategy/presets.c): counts, never timing.
#
# What breaks if this fails: a reader would no longer see "what a kernel
# runs today" first in compare, fork-storm would run a preset in a sync
# mode that is not its kernel's, or a preset's sync would stop being the
# broadcast it stands for.  Also the bad input: one line, exit 2, before
# anything runs; and a preset's torture run repeats as --kernel.
. "$(dirname "$0")/tap.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
N=6 R=3

bad "--kernel" torture --kernel=nosuch
bad "pre-2026, seed, mainline" torture --kernel=nosuch
bad "--kernel" torture --kernel=mainline --strategy=ipi
bad "--kernel" compare --kernel=seed --strategies=ipi
bad "--kernel" fork-storm --kernel=nosuch
bad "--kernel" fork-storm --kernel=seed --strategies=ipi
bad "--unshare-sync" torture --kernel=pre-2026 --unshare-sync=per-gather
bad "--unshare-sync" fork-storm --kernel=mainline --unshare-sync=per-unshare

# compare: the presets are the first rows after the baseline, in order.
"$PTSYNC" compare --reps=1 --phase-seconds=0.2 --walk-seconds=0.05 --safety-seconds=0 \
	--no-hostcheck --rate-seconds=0 --callsite=fallback --no-plots --no-progress --seed=3 \
	--out="$tmp/c" >"$tmp/c.out" 2>"$tmp/c.err"
ok $? "compare with the default rows exits 0"
rows=$(sed -n '/^strategy /,/^$/p' "$tmp/c.out" | awk 'NR > 1 && NF { print $1 }' | head -4 | tr '\n' ' ')
[ "$rows" = "none pre-2026 seed mainline " ]
ok $? "compare's table opens with the baseline and the three presets: $rows"
"$PTSYNC" compare --kernel=mainline --reps=1 --phase-seconds=0.2 --walk-seconds=0.05 \
	--safety-seconds=0 --no-hostcheck --rate-seconds=0 --callsite=fallback --no-plots \
	--no-progress --seed=3 --out="$tmp/k" >"$tmp/k.out" 2>"$tmp/k.err"
rows=$(sed -n '/^strategy /,/^$/p' "$tmp/k.out" | awk 'NR > 1 && NF { print $1 }' | tr '\n' ' ')
[ "$rows" = "none mainline " ]
ok $? "compare --kernel=mainline: the baseline and mainline alone: $rows"

# fork-storm: each preset in its own mode; every sync is upstream's
# broadcast, one IPI per bystander per sync.
run_field() {	# run_field FILE STRATEGY MODE KEY
	perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>);
		for (@{$j->{runs}}) { print $_->{$ARGV[2]}
			if $_->{strategy} eq $ARGV[0] && $_->{unshare_sync} eq $ARGV[1] }' \
		"$2" "$3" "$4" <"$1"
}
"$PTSYNC" fork-storm --forks=$N --regions=$R --json --no-progress --seed=3 \
	>"$tmp/f.json" 2>"$tmp/f.err"
ok $? "fork-storm with the default runs exits 0"
nb=$(grep -o '"bystanders":[0-9]*' "$tmp/f.json" | cut -d: -f2)
for p in pre-2026:per-unshare:$((N * R)) seed:per-gather:1 mainline:per-gather:1; do
	IFS=: read -r name mode want <<<"$p"
	other=per-gather; [ "$mode" = per-gather ] && other=per-unshare
	sy=$(run_field "$tmp/f.json" "$name" "$mode" syncs)
	up=$(run_field "$tmp/f.json" "$name" "$mode" upstream_syncs)
	got=$(run_field "$tmp/f.json" "$name" "$mode" bystander_sync_ipis)
	none=$(run_field "$tmp/f.json" "$name" "$other" syncs)
	ok $(( ${sy:-0} == want && ${up:--1} == want && ${got:--1} == want * ${nb:-0} ? 0 : 1 )) \
		"fork-storm $name $mode: $sy syncs (want $want), $up upstream's, $got IPIs to $nb bystander(s)"
	[ -z "$none" ]; ok $? "fork-storm $name does not run $other"
done
grep -q '"strategy":"pre-2026"' "$tmp/f.json" && ! grep -q "kernel presets" "$tmp/f.json"
ok $? "the JSON names the presets and holds no text"

"$PTSYNC" torture --kernel=seed --duration=0.3 --no-progress --seed=1 >"$tmp/seed.out" 2>&1
rc=$?
rep=$(sed -n 's/^ptsync torture repeat: ptsync torture //p' "$tmp/seed.out")
case "$rep" in --kernel=seed\ *--unshare-sync=per-gather\ *) r=0 ;; *) r=1 ;; esac
ok $(( rc == 0 && r == 0 ? 0 : 1 )) "--kernel=seed runs (exit $rc) and repeats as --kernel: $(echo "$rep" | head -c 60)"
[ "$rc" -eq 0 ] || grep -E '!!!|BUG|stall|End of test' "$tmp/seed.out" | sed 's/^/# /' | head -5
# shellcheck disable=SC2086
[ -n "$rep" ] && "$PTSYNC" torture $rep --duration=0.2 --no-progress >/dev/null 2>&1
ok $? "its repeat line runs"
done_testing
