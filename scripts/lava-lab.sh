#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A one-machine LAVA lab (Debian bookworm's LAVA 2023.01) without systemd:
#   lava-lab.sh start    install (first time) and start PostgreSQL, the web/API
#                        server, the scheduler and one worker with a qemu device
#   lava-lab.sh stop     stop exactly what start started (pid files), nothing else
#   lava-lab.sh status   what runs, the URL, the lavacli identity
# State, logs and pid files: LAVA_STATE (default /var/lib/devmemlab-lava).
# Port of the web/API server: LAVA_PORT (default 8000, on 127.0.0.1 only);
# the worker's ping interval: LAVA_PING (default 5 s).
#
# Ownership: start installs LAVA only on a machine without one, and writes
# its marker (STATE/owner) before apt runs. A machine with /etc/lava-server,
# /etc/lava-dispatcher or an installed lava-server/lava-dispatcher package
# but no marker has a LAVA that is not the lab's: start refuses and alters
# nothing. An already running PostgreSQL is used as it is and never stopped.
#
# Order that works without systemd (docs/lava.md):
# apt never starts services (a policy-rc.d that exits 101: the host's if it
# has one, else a temporary one); PostgreSQL's cluster is started BEFORE
# lava-server is unpacked, so lava-server's postinst (postinst.py) finds
# pg_isready true, writes settings.d/00-database.yaml, creates the role and
# the database and migrates. If it still finds no database, start runs
# postinst.py --config --db --fixup itself.
set -u

STATE=${LAVA_STATE:-/var/lib/devmemlab-lava}
case $STATE in /*) ;; *) STATE=$PWD/$STATE ;; esac
# PostgreSQL's tools, run as postgres, cannot enter a root-only working
# directory (they say so on stderr): nothing below is relative to it
cd / || exit 1
PORT=${LAVA_PORT:-8000}
# lava-worker pings the server every PING s (LAVA's default 20): a job waits
# for the next ping to start and to be reported finished
PING=${LAVA_PING:-5}
WORKER=devmemlab-worker
DEVICE=qemu-01
ADMIN="admin"
IDENTITY=devmemlab
PKGS="lava-server lava-dispatcher lavacli postgresql"
SETTINGS_DB=/etc/lava-server/settings.d/00-database.yaml

die() { printf 'lava-lab: error: %s\n' "$*" >&2; exit 1; }
log() { printf 'lava-lab: %s\n' "$*" >&2; }
now() { date +%s; }

# pid files hold the pid of a process start started
alive() { [ -s "$STATE/run/$1.pid" ] && kill -0 "$(cat "$STATE/run/$1.pid")" 2>/dev/null; }

# --- ownership -------------------------------------------------------------

foreign_lava() {
	[ -f "$STATE/owner" ] && return 1
	[ -e /etc/lava-server ] || [ -e /etc/lava-dispatcher ] && return 0
	for p in lava-server lava-dispatcher; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$' && return 0
	done
	return 1
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q ' installed$'; }

# --- install ---------------------------------------------------------------

# apt-get install PKG... with service starts forbidden
apt_quiet() {
	own_policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\n# lava-lab.sh: no service starts during apt\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		own_policy=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"$@" >>"$STATE/log/apt.log" 2>&1
	rc=$?
	[ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d
	return $rc
}

install_postgres() {
	installed postgresql && return 0
	log "apt: postgresql"
	apt_quiet postgresql || die "apt-get install postgresql failed (see $STATE/log/apt.log)"
}

install_lava() {
	missing=
	for p in $PKGS; do installed "$p" || missing="$missing $p"; done
	[ -z "$missing" ] && return 0
	log "apt:$missing"
	# shellcheck disable=SC2086
	apt_quiet $missing || die "apt-get install$missing failed (see $STATE/log/apt.log)"
}

# --- PostgreSQL ------------------------------------------------------------

pg_cluster() { pg_lsclusters -h 2>/dev/null | awk 'NR == 1 { print $1, $2 }'; }

start_postgres() {
	pg_isready -q && return 0
	# shellcheck disable=SC2046
	set -- $(pg_cluster)
	[ $# = 2 ] || die "no PostgreSQL cluster (pg_lsclusters shows none)"
	pg_ctlcluster "$1" "$2" start >>"$STATE/log/postgres.log" 2>&1 ||
		die "pg_ctlcluster $1 $2 start failed (see $STATE/log/postgres.log)"
	echo "$1 $2" >"$STATE/run/postgres.cluster"
	i=0
	until pg_isready -q; do
		i=$((i + 1)); [ $i -gt 30 ] && die "PostgreSQL did not answer in 30 s"
		sleep 1
	done
}

# --- LAVA set-up (idempotent) ----------------------------------------------

manage() { lava-server manage "$@"; }

setup_database() {
	[ -s "$SETTINGS_DB" ] && su postgres -c "psql -Atqc \"select 1 from pg_database where datname='lavaserver'\"" | grep -q 1 && return 0
	log "database: postinst.py --config --db --fixup"
	python3 /usr/share/lava-server/postinst.py --config --db --fixup >>"$STATE/log/setup.log" 2>&1 ||
		die "lava-server database set-up failed (see $STATE/log/setup.log)"
}

setup_lava() {
	{
		manage users details "$ADMIN" >/dev/null 2>&1 ||
			manage users add --superuser --staff --passwd "$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')" "$ADMIN"
		manage workers details "$WORKER" >/dev/null 2>&1 ||
			manage workers add --description "devmemlab worker" "$WORKER"
		manage device-types details qemu >/dev/null 2>&1 ||
			manage device-types add qemu
		printf "{%% extends 'qemu.jinja2' %%}\n{%% set mac_addr = '52:54:00:12:34:59' %%}\n{%% set memory = 2048 %%}\n" \
			>"/etc/lava-server/dispatcher-config/devices/$DEVICE.jinja2"
		chown lavaserver:lavaserver "/etc/lava-server/dispatcher-config/devices/$DEVICE.jinja2"
		manage devices details "$DEVICE" >/dev/null 2>&1 ||
			manage devices add --device-type qemu --worker "$WORKER" "$DEVICE"
		manage devices update --health UNKNOWN "$DEVICE"
	} >>"$STATE/log/setup.log" 2>&1 || die "LAVA objects (user, worker, device) failed (see $STATE/log/setup.log)"
	if [ ! -s "$STATE/admin.token" ]; then
		(umask 077; manage tokens add --user "$ADMIN" --description devmemlab 2>>"$STATE/log/setup.log" | tail -n 1 >"$STATE/admin.token") ||
			die "API token failed (see $STATE/log/setup.log)"
		[ -s "$STATE/admin.token" ] || { rm -f "$STATE/admin.token"; die "API token failed (see $STATE/log/setup.log)"; }
	fi
	lavacli identities add --uri "http://localhost:$PORT/RPC2" --username "$ADMIN" \
		--token "$(cat "$STATE/admin.token")" "$IDENTITY" >>"$STATE/log/setup.log" 2>&1 ||
		die "lavacli identities add failed"
}

worker_token() {
	manage workers details "$WORKER" 2>/dev/null | awk '/[Tt]oken/ { print $NF }'
}

# --- daemons ---------------------------------------------------------------

# spawn NAME CMD...: detached, logs to STATE/log/NAME.log, pid in STATE/run/NAME.pid
spawn() {
	name=$1; shift
	alive "$name" && return 0
	setsid nohup "$@" >>"$STATE/log/$name.log" 2>&1 </dev/null &
	echo $! >"$STATE/run/$name.pid"
}

port_free() { [ -z "$(ss -Hltn "sport = :$PORT" 2>/dev/null)" ]; }

wait_http() {
	i=0
	until lavacli -i "$IDENTITY" system version >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -gt 60 ] && die "the web/API server did not answer on port $PORT in 60 s (see $STATE/log/gunicorn.log)"
		alive gunicorn || die "the web/API server exited (see $STATE/log/gunicorn.log)"
		sleep 1
	done
}

start_daemons() {
	alive gunicorn || spawn gunicorn gunicorn lava_server.wsgi --bind "127.0.0.1:$PORT" \
		--workers 2 -u lavaserver -g lavaserver --log-level INFO
	wait_http
	spawn scheduler lava-server manage lava-scheduler --level INFO --log-file "$STATE/log/lava-scheduler.log"
	tok=$(worker_token)
	[ -n "$tok" ] || die "no token for worker $WORKER"
	mkdir -p "$STATE/worker"
	spawn worker lava-worker --name "$WORKER" --url "http://localhost:$PORT/" --token "$tok" --ping-interval "$PING" \
		--worker-dir "$STATE/worker" --level INFO --log-file "$STATE/log/lava-worker.log"
	sleep 3
	for n in scheduler worker; do alive $n || die "$n exited at start (see $STATE/log/$n.log)"; done
}

# --- subcommands -----------------------------------------------------------

cmd_start() {
	[ "$(id -u)" = 0 ] || die "start must run as root"
	foreign_lava && die "a LAVA installation that lava-lab.sh did not create exists (/etc/lava-server, /etc/lava-dispatcher or its packages); not touching it"
	mkdir -p "$STATE/run" "$STATE/log" || die "cannot create $STATE"
	[ -f "$STATE/owner" ] || echo "devmemlab lava-lab.sh $(date -u +%FT%TZ)" >"$STATE/owner"
	t0=$(now)
	install_postgres
	start_postgres
	t1=$(now)
	install_lava
	t2=$(now)
	setup_database
	setup_lava
	t3=$(now)
	if ! alive gunicorn; then port_free || die "port $PORT is in use by another program (set LAVA_PORT)"; fi
	start_daemons
	t4=$(now)
	log "up: http://localhost:$PORT/ (lavacli -i $IDENTITY), device $DEVICE on worker $WORKER"
	log "times: postgres $((t1 - t0)) s, apt $((t2 - t1)) s, set-up $((t3 - t2)) s, daemons $((t4 - t3)) s, total $((t4 - t0)) s"
}

# stop_pid NAME: TERM, then KILL after 20 s, the process whose pid start recorded
stop_pid() {
	f=$STATE/run/$1.pid
	[ -s "$f" ] || return 0
	pid=$(cat "$f")
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 20 ]; do sleep 1; i=$((i + 1)); done
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
	fi
	rm -f "$f"
}

cmd_stop() {
	[ -d "$STATE/run" ] || { log "nothing started"; return 0; }
	for n in worker scheduler gunicorn; do stop_pid $n; done
	if [ -s "$STATE/run/postgres.cluster" ]; then
		# shellcheck disable=SC2046
		pg_ctlcluster $(cat "$STATE/run/postgres.cluster") stop >>"$STATE/log/postgres.log" 2>&1 ||
			die "pg_ctlcluster $(cat "$STATE/run/postgres.cluster") stop failed"
		rm -f "$STATE/run/postgres.cluster"
	fi
	log "stopped"
}

cmd_status() {
	[ -f "$STATE/owner" ] || { echo "not installed by lava-lab.sh ($STATE/owner absent)"; return 3; }
	rc=0
	for n in gunicorn scheduler worker; do
		if alive $n; then echo "$n: running (pid $(cat "$STATE/run/$n.pid"))"; else echo "$n: stopped"; rc=3; fi
	done
	if [ -s "$STATE/run/postgres.cluster" ]; then
		echo "postgres: started by lava-lab ($(cat "$STATE/run/postgres.cluster")), $(pg_isready 2>&1)"
	else
		echo "postgres: not started by lava-lab, $(pg_isready 2>&1)"
	fi
	if alive gunicorn; then
		echo "url: http://localhost:$PORT/ identity: $IDENTITY"
		lavacli -i "$IDENTITY" workers list 2>&1 | sed 's/^/  /'
		lavacli -i "$IDENTITY" devices list 2>&1 | sed 's/^/  /'
	fi
	return $rc
}

case ${1:-} in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*) die "usage: $0 start|stop|status" ;;
esac
