#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The long torture run (make torture-long): no false alarms, and the work
# behind that zero.  Every safe strategy `ptsync list --tsv` names runs
# under the sweep (torture --sweep: every race-widening knob drawn anew each
# interval, TLB mode and arch included) for DURATION seconds (default 120,
# ~450 intervals of 0.25 s: the rarest TLB mode x arch pair, native or pv
# with x86 or arm64, is drawn once in 32 intervals, so 450 miss one with
# chance ~6e-7);
# it must end with no violation, no leak, and every TLB mode it supports
# met under every arch (weak, x86, arm64) in some interval, so the zero
# covers strategy x TLB mode x arch.  The totals of walks, fallbacks,
# collapses and unshares behind each zero are printed, and summed at the
# end.  Then every unsafe one under the sweep: caught within 10 s.  TAP.
. "$(dirname "$0")/../tap.sh"
dur=${DURATION:-120}
seed=${PTSYNC_SEED:-$(date +%s)}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "# seed $seed, $dur s of sweep per safe strategy"
archs="weak x86 arm64"
tw=0; tf=0; tc=0; tu=0; ti=0; k=0

"$PTSYNC" list --tsv >"$tmp/list"
while IFS=$'\t' read -r name verdict modes _; do
	if [ "$verdict" = unsafe ]; then
		"$PTSYNC" torture --sweep --json --seed="$seed" --strategy="$name" --duration=10 \
			--stop-on-violation \
			>"$tmp/out.json" 2>"$tmp/err"
		rc=$?
		v=$(json_num "$tmp/out.json" violations); t=$(json_num "$tmp/out.json" first_violation_s)
		ok $(( rc == 1 && ${v:-0} > 0 ? 0 : 1 )) \
			"$name --sweep (unsafe): caught, $v violations, first after ${t}s, exit $rc"
		continue
	fi
	# A seed of its own per strategy: the same seed would draw the same
	# TLB modes and archs for every strategy that has the same modes.
	k=$((k + 1))
	"$PTSYNC" torture --sweep --json --seed="$((seed + k))" --strategy="$name" \
		--duration="$dur" >"$tmp/out.json" 2>"$tmp/err"
	rc=$?
	v=$(json_num "$tmp/out.json" violations); n=$(json_num "$tmp/out.json" intervals)
	w=$(json_num "$tmp/out.json" walks); fb=$(json_num "$tmp/out.json" fallbacks)
	co=$(json_num "$tmp/out.json" collapses); un=$(json_num "$tmp/out.json" unshares)
	ok $(( rc == 0 && ${v:-1} == 0 ? 0 : 1 )) \
		"$name --sweep ${dur}s: $n intervals, violations $v behind walks $w, fallbacks $fb, collapses $co, unshares $un, exit $rc"
	[ "$rc" -eq 0 ] || grep -E 'repeat:|!!!' "$tmp/err" | sed 's/^/# /'
	missing=""
	for m in ${modes//,/ }; do
		for a in $archs; do
			c=$(grep -c "^ptsync torture interval: .* tlb=$m arch=$a " "$tmp/err")
			[ "$c" -gt 0 ] || missing="$missing $m/$a"
		done
	done
	ok $(( ${#missing} == 0 ? 0 : 1 )) "$name: every TLB mode x arch met in some interval${missing:+ (missing:$missing)}"
	tw=$((tw + ${w:-0})); tf=$((tf + ${fb:-0})); tc=$((tc + ${co:-0})); tu=$((tu + ${un:-0}))
	ti=$((ti + ${n:-0}))
done <"$tmp/list"
echo "# behind the zero: $ti intervals, walks $tw, fallbacks $tf, collapses $tc, unshares $tu"
done_testing
