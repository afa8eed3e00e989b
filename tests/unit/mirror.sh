#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Theory of operation: the lab downloads from the Debian archive the host's
# own apt sources name (scripts/debian-mirror.sh), or from DEVMEMLAB_MIRROR.
# mirror_from_sources() reads fake /etc/apt trees in both formats (one-line
# sources.list and deb822 *.sources) with what real hosts have around the
# archive: security and backports suites, third-party repositories,
# disabled stanzas, options, comments, continuation lines, URIs debootstrap
# cannot use. Then the private apt configuration of the guest fetches
# (guest-kernel/apt-private.sh) must name the mirror chosen, without any
# network access.
cd "$(dirname "$0")/../.." || exit 1
. guest-tools/lab/ktap.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ktap_plan 10
[ -f scripts/debian-mirror.sh ] || { ktap_fail "scripts/debian-mirror.sh exists"; exit 1; }
. scripts/debian-mirror.sh

etc() {	# etc NAME: a fresh fake /etc/apt, its path in $e
	e=$tmp/$1; mkdir -p "$e/sources.list.d"
}
mirror() { mirror_from_sources "$e" bookworm | cut -f1; }

etc deb822
cat > "$e/sources.list.d/debian.sources" <<'EOF'
# security first: another suite, never the archive
Types: deb
URIs: http://security.corp.example/debian-security
Suites: bookworm-security
Components: main

Types: deb
URIs: http://old.corp.example/debian
Suites: bookworm
Components: main
Enabled: no

Types: deb-src deb
URIs: mirror+file:///etc/apt/mirrors.txt http://mirror.corp.example/debian/
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mQINBF... Suites: bookworm
 -----END PGP PUBLIC KEY BLOCK-----
EOF
ktap_is "deb822: the first enabled deb source of bookworm, a URI apt and debootstrap can use" \
	"$(mirror_from_sources "$e" bookworm)" "http://mirror.corp.example/debian	$e/sources.list.d/debian.sources"

etc oneline
cat > "$e/sources.list" <<'EOF'
deb-src http://src.corp.example/debian bookworm main
deb cdrom:[Debian GNU/Linux 12]/ bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/corp.gpg] https://mirror.corp.example/debian bookworm main # the archive
deb http://mirror.corp.example/debian-security bookworm-security main
EOF
ktap_is "one-line: options, comments, deb-src and cdrom: skipped" "$(mirror)" "https://mirror.corp.example/debian"

etc spaced
echo 'deb [ arch=amd64 ] http://spaced.example/debian bookworm main' > "$e/sources.list"
ktap_is "one-line: options in spaced brackets" "$(mirror)" "http://spaced.example/debian"

etc order
echo 'deb https://deb.nodesource.com/node_20.x nodistro main' > "$e/sources.list"
printf 'Types: deb\nURIs: http://b.example/debian\nSuites: bookworm\n' > "$e/sources.list.d/b.sources"
echo 'deb http://a.example/debian bookworm main' > "$e/sources.list.d/a.list"
echo 'deb http://c.example/debian bookworm main' > "$e/sources.list.d/c.list.disabled"
ktap_is "both formats: apt's order, third-party suites and other file names ignored" "$(mirror)" "http://a.example/debian"

etc backports
echo 'deb http://deb.debian.org/debian bookworm-backports main' > "$e/sources.list.d/devmemlab-bookworm-backports.list"
ktap_is "no source of bookworm itself: nothing" "$(mirror)|$(mirror_from_sources "$tmp/none" bookworm)" "|"

etc trixie
printf 'Types: deb\nURIs: http://t.example/debian\nSuites: trixie\n' > "$e/sources.list.d/debian.sources"
ktap_is "the host's own codename decides" "$(mirror_from_sources "$e" trixie | cut -f1)|$(mirror)" "http://t.example/debian|"

got=$(DEVMEMLAB_MIRROR=http://override.example/debian/ sh -c '. scripts/debian-mirror.sh; debian_mirror_init; echo "$DEBIAN_MIRROR|$DEBIAN_MIRROR_FROM"')
ktap_is "DEVMEMLAB_MIRROR overrides the host's sources" "$got" "http://override.example/debian|DEVMEMLAB_MIRROR"
got=$(sh -c '. scripts/debian-mirror.sh; debian_mirror_init; echo "$DEBIAN_MIRROR"')
ktap_is "without it: this host's own archive, or deb.debian.org" "$got" \
	"$(mirror_from_sources /etc/apt "$(. /etc/os-release; echo "$VERSION_CODENAME")" | cut -f1 | grep . || echo http://deb.debian.org/debian)"

# the guest's private apt configuration names the chosen archive (apt-cache policy: no network)
DEVMEMLAB_MIRROR=http://override.example/debian guest-kernel/apt-private.sh "$tmp/apt" policy >/dev/null 2>&1
ktap_is "apt-private.sh: trixie and trixie-backports from DEVMEMLAB_MIRROR" \
	"$(grep '^deb ' "$tmp/apt/sources.list" 2>&1 | grep -o 'http[^ ]* trixie[^ ]*' | tr '\n' ' ')" \
	"http://override.example/debian trixie http://override.example/debian trixie-backports "
ktap_is "versions.env names no mirror (make includes it; scripts/debian-mirror.sh decides)" \
	"$(grep -c MIRROR guest-kernel/versions.env)" 0
ktap_done
