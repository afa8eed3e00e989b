#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# apt-get with a private configuration that sees trixie + trixie-backports
# and nothing of the host's own state. Used to *download* guest packages
# (never to install them on the host): the host's sources.list and dpkg
# database are untouched. The archive is the one the host's apt sources
# name, or DEVMEMLAB_MIRROR (scripts/debian-mirror.sh).
#
#   apt-private.sh DIR update
#   apt-private.sh DIR download PKG=VERSION ...     (into the current dir)
#   apt-private.sh DIR policy PKG
#   apt-private.sh DIR source -d PKG=VERSION         (QEMU's source, qemu/build-qemu.sh)
set -eu
dir=$1; shift
. "$(dirname "$0")/../scripts/debian-mirror.sh"
debian_mirror_init
mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
cat > "$dir/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $DEBIAN_MIRROR trixie main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $DEBIAN_MIRROR trixie-backports main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $DEBIAN_MIRROR trixie main
SRC
cmd=$1; shift
case $cmd in
policy) exec apt-cache -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$dir/lists" -o Dir::State::status=/dev/null -o Dir::Cache="$dir/cache" policy "$@" ;;
update) cmd="-qq update" ;;
esac
# shellcheck disable=SC2086
exec apt-get -o Dir::Etc::SourceList="$dir/sources.list" \
	-o Dir::Etc::SourceParts=/dev/null \
	-o Dir::State::Lists="$dir/lists" \
	-o Dir::State::status=/dev/null \
	-o Dir::Cache="$dir/cache" \
	-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null \
	-o Debug::NoLocking=1 -o APT::Sandbox::User=root \
	$cmd "$@"
