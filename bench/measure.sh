# Sourced by bench/run.sh and bench/create-owners.sh: CPU ticks of a process and of
# PostgreSQL, and the fields of the BENCH line bench/wrk/report.lua prints.

clock_ticks=$(getconf CLK_TCK)

# Sets `fields` to the fields of /proc/PID/stat after the command name
# (fields[11], fields[12]: utime, stime; fields[13], fields[14]: what its
# waited-for children used); fails if the process is gone.
stat_fields() { # pid
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  read -r -a fields <<<"$stat"
}

process_ticks() { # pid: its utime + stime, in clock ticks
  stat_fields "$1"
  echo $((fields[11] + fields[12]))
}

# utime + stime of every live PostgreSQL process (the server's backends among
# them), plus the postmaster's cutime + cstime: what its exited children used.
postgres_ticks() {
  local pid total=0 postmaster
  postmaster=$(pgrep -o -x postgres)
  for pid in $(pgrep -x postgres); do
    stat_fields "$pid" || continue
    total=$((total + fields[11] + fields[12]))
    [[ $pid == "$postmaster" ]] && total=$((total + fields[13] + fields[14]))
  done
  echo "$total"
}

field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<" $2"; } # name bench-line
