#!/usr/bin/env bash
# Draws the scaling curves that fb-bench --plots DIR wrote as CSV (phase S) into PNG files beside
# them, with gnuplot (Debian: gnuplot-nox; installed here when missing and run as root).
#
#   bench/plot.sh DIR        # DIR/fleet.csv -> DIR/fleet.png, DIR/store.csv -> DIR/store.png
set -euo pipefail

if [[ $# -ne 1 || ! -d "$1" ]]; then
  echo "usage: $0 <dir with fleet.csv and/or store.csv>" >&2
  exit 2
fi
dir=$(cd "$1" && pwd)
if ! command -v gnuplot >/dev/null; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox >/dev/null
  else
    echo "$0: gnuplot not found (Debian: apt-get install gnuplot-nox)" >&2
    exit 1
  fi
fi

common='set terminal pngcairo size 1200,480 font "sans,10"
set datafile separator ","
set key top left
set grid
set logscale x 10'

if [[ -f "$dir/fleet.csv" ]]; then
  gnuplot <<GP
$common
set output "$dir/fleet.png"
set terminal pngcairo size 1650,480 font "sans,10"
set multiplot layout 1,3 title "Fleet curve: one fb-backend (SQLite), N cars each on its own TLS connection"
set xlabel "connected cars"
set ylabel "reports/s (first publish to last ack at the car)"
set yrange [0:*]
plot "$dir/fleet.csv" using 1:4 skip 1 with linespoints lw 2 pt 7 title "ingest rate"
set ylabel "fb-backend resident memory (MiB)"
plot "$dir/fleet.csv" using 1:5 skip 1 with linespoints lw 2 pt 7 title "RSS at the end", \
     "$dir/fleet.csv" using 1:6 skip 1 with linespoints lw 2 pt 5 dt 2 title "peak RSS"
set ylabel "cores busy in the timed window (this machine has 2)"
plot "$dir/fleet.csv" using 1:(\$7/\$10) skip 1 with linespoints lw 2 pt 7 title "fb-backend", \
     "$dir/fleet.csv" using 1:(\$8/\$10) skip 1 with linespoints lw 2 pt 5 title "mosquitto", \
     "$dir/fleet.csv" using 1:(\$9/\$10) skip 1 with linespoints lw 2 pt 9 title "the cars (Paho clients in fb-bench)"
unset multiplot
GP
  echo "wrote $dir/fleet.png"
fi

if [[ -f "$dir/store.csv" ]]; then
  gnuplot <<GP
$common
set output "$dir/store.png"
set multiplot layout 1,2 title "Store curve: the agents' queue over HTTP (32 connections) and commits, as the store grows"
set xlabel "cases in the store"
set ylabel "case list latency (ms)"
set logscale y 10
plot "< grep '^sqlite,' '$dir/store.csv'" using 2:4 with linespoints lw 2 pt 7 title "SQLite p50", \
     "< grep '^sqlite,' '$dir/store.csv'" using 2:5 with linespoints lw 2 pt 5 dt 2 title "SQLite p99", \
     "< grep '^postgres,' '$dir/store.csv'" using 2:4 with linespoints lw 2 pt 7 title "PostgreSQL p50", \
     "< grep '^postgres,' '$dir/store.csv'" using 2:5 with linespoints lw 2 pt 5 dt 2 title "PostgreSQL p99"
unset logscale y
set yrange [0:*]
set ylabel "reports/s committed (1,000 a transaction)" noenhanced
plot "< grep '^sqlite,' '$dir/store.csv'" using 2:8 with linespoints lw 2 pt 7 title "SQLite", \
     "< grep '^postgres,' '$dir/store.csv'" using 2:8 with linespoints lw 2 pt 7 title "PostgreSQL"
unset multiplot
GP
  echo "wrote $dir/store.png"
fi
