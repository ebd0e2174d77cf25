# The connections sweep of perf/run: req/s against connections (log x), one line per server.
# gnuplot -e "datafile='...'; outfile='...'; ncols=N; subtitle='...'" perf/sweep.gp
set terminal pngcairo size 1000,640 enhanced font "sans,11"
set output outfile
set title "req/s against connections (depth 1)\n{/*0.8 ".subtitle."}"
set logscale x 2
set xrange [0.8:320]
set xtics (1, 2, 4, 8, 16, 32, 64, 128, 256)
set xlabel "connections"
set ylabel "req/s"
set format y "%.0s%c"
set yrange [0:*]
set grid
set key outside right top
set datafile missing "NaN"
plot for [i=2:ncols] datafile using 1:i with linespoints lw 2 pt 7 title columnheader(i)
