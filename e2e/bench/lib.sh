# shellcheck shell=bash
# Sourced by run.sh and data.sh: the servers a benchmark starts, and the
# ports it gives them.

# pids holds the servers started; stop_servers stops them and waits.
pids=()
stop_servers() {
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	pids=()
}

# free_port prints the first port from $1 on that nothing on 127.0.0.1
# accepts connections on.
free_port() {
	local p=$1
	while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
	echo "$p"
}
