# gnuplot plots.gp (in this directory) renders the plots.
set terminal pngcairo size 900,560 noenhanced
set grid
set key top left
set output 'sync_cdf.png'
set title 'Fallback sync latency (CDF)'
set logscale x
set xlabel 'latency (us, log)'
set ylabel 'fraction of syncs'
plot 'sync_none.dat' using 1:2 with steps lw 2 title 'none', 'sync_pre-2026.dat' using 1:2 with steps lw 2 title 'pre-2026', 'sync_seed.dat' using 1:2 with steps lw 2 title 'seed', 'sync_mainline.dat' using 1:2 with steps lw 2 title 'mainline', 'sync_ipi.dat' using 1:2 with steps lw 2 title 'ipi', 'sync_rcu.dat' using 1:2 with steps lw 2 title 'rcu', 'sync_pt-reclaim.dat' using 1:2 with steps lw 2 title 'pt-reclaim', 'sync_rcu-exp.dat' using 1:2 with steps lw 2 title 'rcu-exp', 'sync_targeted.dat' using 1:2 with steps lw 2 title 'targeted', 'sync_targeted-v4.dat' using 1:2 with steps lw 2 title 'targeted-v4', 'sync_flush-ipi.dat' using 1:2 with steps lw 2 title 'flush-ipi', 'sync_eqs.dat' using 1:2 with steps lw 2 title 'eqs'

set output 'bystander_gaps.png'
set title 'Bystander: gaps per second by length (osnoise)'
set logscale xy
set xlabel 'gap (us, log2 buckets)'
set ylabel 'gaps per second'
set key top right
plot 'gaps.dat' using 1:($2 > 0 ? $2 : 1/0) with linespoints lw 2 title 'none', 'gaps.dat' using 1:($3 > 0 ? $3 : 1/0) with linespoints lw 2 title 'pre-2026', 'gaps.dat' using 1:($4 > 0 ? $4 : 1/0) with linespoints lw 2 title 'seed', 'gaps.dat' using 1:($5 > 0 ? $5 : 1/0) with linespoints lw 2 title 'mainline', 'gaps.dat' using 1:($6 > 0 ? $6 : 1/0) with linespoints lw 2 title 'ipi', 'gaps.dat' using 1:($7 > 0 ? $7 : 1/0) with linespoints lw 2 title 'rcu', 'gaps.dat' using 1:($8 > 0 ? $8 : 1/0) with linespoints lw 2 title 'pt-reclaim', 'gaps.dat' using 1:($9 > 0 ? $9 : 1/0) with linespoints lw 2 title 'rcu-exp', 'gaps.dat' using 1:($10 > 0 ? $10 : 1/0) with linespoints lw 2 title 'targeted', 'gaps.dat' using 1:($11 > 0 ? $11 : 1/0) with linespoints lw 2 title 'targeted-v4', 'gaps.dat' using 1:($12 > 0 ? $12 : 1/0) with linespoints lw 2 title 'flush-ipi', 'gaps.dat' using 1:($13 > 0 ? $13 : 1/0) with linespoints lw 2 title 'eqs'

unset logscale
set output 'bystander_ipis.png'
set title 'IPIs received per bystander per fallback, by kind'
set style fill solid 0.6
set boxwidth 0.35
set xlabel ''
set ylabel 'IPIs'
set yrange [0:1.25]
set xtics rotate by -30
set key top right
plot 'ipis.dat' using ($1-0.18):4 with boxes title 'sync', '' using ($1+0.18):5:xtic(2) with boxes title 'TLB flush', '' using 1:3:(sprintf('%.2f', $3)) with labels offset 0,1 notitle

unset logscale
unset yrange
unset xtics
set xtics
set output 'fanout.png'
set datafile missing '?'
set title 'Broadcast to K spinning targets, waiting for all: p50'
set xlabel 'K (targets)'
set ylabel 'us'
set key bottom right
set xrange [0:2]
set yrange [0:*]
set offsets 0, 0, graph 0.15, 0
plot 'fanout.dat' using 1:2 with linespoints lw 2 title 'host kernel: membarrier(GLOBAL_EXPEDITED), calls that reached', '' using 1:3 with linespoints lw 2 title 'model: smp_call_function_many', '' using 1:4 with points pt 6 title 'host kernel: all calls (raw p50)'
