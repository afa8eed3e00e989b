#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A libvirt daemon for the lab's qemu:///system, where none runs (CI has no
# systemd):
#   libvirt-daemon.sh start        start virtlogd + libvirtd unless a daemon answers
#   libvirt-daemon.sh stop         stop what start started, nothing else
#   libvirt-daemon.sh run CMD...   start, run CMD, stop; exits with CMD's status
# LIBVIRT_URI (default qemu:///system) is the daemon to check; only the
# local system daemon is ever started. One lab-started daemon at a time:
# concurrent `run`s (make -j) would stop it under each other.
#
# A daemon that already runs is used as it is: its configuration is the
# user's and is never touched. The daemon this script starts reads a
# lab-owned qemu.conf (build/libvirt/qemu.conf: QEMU as root, no dynamic
# ownership). libvirtd has no option for that file's path, so it is bind-
# mounted over /etc/libvirt/qemu.conf in a private mount namespace that only
# this libvirtd (and its QEMUs) see; the host's file is unchanged. Without
# these settings every domain start took about 96 s on these hosts (libvirt
# re-probes QEMU because /dev/kvm is root-only; ../docs/launcher.md).
set -eu
cd "$(dirname "$0")/.."
state=$(pwd)/build/libvirt
uri=${LIBVIRT_URI:-qemu:///system}

log() { printf 'devmemlab: libvirt: %s\n' "$*" >&2; }

answers() { virsh -q -c "$uri" uri >/dev/null 2>&1; }

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
	if answers; then
		log "using the running libvirt daemon at $uri"
		return 0
	fi
	if [ "$uri" != qemu:///system ]; then
		log "no libvirt daemon answers at $uri (only qemu:///system is started here)"
		exit 1
	fi
	for b in libvirtd virtlogd virsh unshare; do
		command -v "$b" >/dev/null || { log "$b not found (make deps installs libvirt)"; exit 1; }
	done
	[ "$(id -u)" = 0 ] || { log "no daemon answers at $uri, and starting one needs root"; exit 1; }
	[ -f /etc/libvirt/qemu.conf ] || { log "/etc/libvirt/qemu.conf missing (libvirt-daemon-driver-qemu)"; exit 1; }
	mkdir -p "$state"
	cat > "$state/qemu.conf" <<-EOF
	# devmemlab: the lab-started libvirtd's qemu.conf (scripts/libvirt-daemon.sh)
	user = "root"
	group = "root"
	dynamic_ownership = 0
	EOF
	echo "log_outputs = \"3:file:$state/libvirtd.log\"" > "$state/libvirtd.conf"
	echo "log_outputs = \"3:file:$state/virtlogd.log\"" > "$state/virtlogd.conf"
	: > "$state/started"
	# a live virtlogd (not a zombie) is shared; libvirtd needs one
	if ! ps -C virtlogd -o stat= | grep -qv '^Z'; then
		echo virtlogd >> "$state/started"
		virtlogd -d -p "$state/virtlogd.pid" -f "$state/virtlogd.conf" ||
			{ log "virtlogd did not start"; stop; exit 1; }
	fi
	echo libvirtd >> "$state/started"
	unshare -m --propagation private sh -c \
		'mount --bind "$1/qemu.conf" /etc/libvirt/qemu.conf &&
		 exec libvirtd -d -p "$1/libvirtd.pid" -f "$1/libvirtd.conf"' sh "$state" ||
		{ log "libvirtd did not start; see $state/libvirtd.log"; stop; exit 1; }
	i=0
	until answers; do
		i=$((i + 1))
		if [ $i -gt 60 ] || ! alive "$state/libvirtd.pid"; then
			log "libvirtd did not come up; see $state/libvirtd.log"
			stop
			exit 1
		fi
		sleep 0.5
	done
	log "started virtlogd and libvirtd (lab-owned config in $state)"
}

stop_one() {
	pidf=$state/$1.pid
	alive "$pidf" || { rm -f "$pidf"; return 0; }
	pid=$(cat "$pidf")
	kill "$pid"
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$pidf"
}

stop() {
	[ -f "$state/started" ] || return 0
	# libvirtd first: it holds virtlogd's socket
	grep -qx libvirtd "$state/started" && stop_one libvirtd
	grep -qx virtlogd "$state/started" && stop_one virtlogd
	rm -f "$state/started"
	log "stopped the daemons it had started"
}

case ${1:-} in
start) start ;;
stop) stop ;;
run)
	shift
	start
	# ^C or a kill of this script still stops what it started
	trap 'stop' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	rc=0
	"$@" || rc=$?
	exit $rc
	;;
*) echo "usage: $0 start|stop|run CMD..." >&2; exit 2 ;;
esac
