# SPDX-License-Identifier: GPL-2.0
#
# The Debian archive the lab downloads from (sourced by sh scripts):
#   1. DEVMEMLAB_MIRROR, if set;
#   2. else the archive the host's own apt sources name for its release
#      (the first enabled "deb" source whose suites include the host's
#      codename, e.g. bookworm; security and third-party sources name other
#      suites), in apt's order: sources.list, then sources.list.d/*.list and
#      *.sources (one-line and deb822 formats);
#   3. else http://deb.debian.org/debian.
# The same archive then serves bookworm-backports to the host and trixie to
# the guest's private apt configuration; a mirror without trixie needs
# DEVMEMLAB_MIRROR.
#
#   debian_mirror_init          sets DEBIAN_MIRROR and DEBIAN_MIRROR_FROM
#   mirror_from_sources DIR CODENAME
#                               prints "URI<TAB>FILE" from DIR (an /etc/apt),
#                               or nothing

DEVMEMLAB_DEFAULT_MIRROR=http://deb.debian.org/debian

mirror_from_sources() {
	for _dm_f in "$1"/sources.list "$1"/sources.list.d/*; do
		case $_dm_f in
		*/sources.list|*.list|*.sources) ;;
		*) continue ;;
		esac
		[ -f "$_dm_f" ] || continue
		_dm_found=$(awk -v codename="$2" -v file="$_dm_f" '
			# a URI debootstrap and apt-get can both use (not mirror+, cdrom:, ...)
			function usable(u) { return u ~ /^(https?|ftp):\/\/[^ ]+$/ || u ~ /^file:\/[^ ]*$/ }
			function has(list, word,   n, w, i) {
				n = split(list, w, /[ \t]+/)
				for (i = 1; i <= n; i++) if (w[i] == word) return 1
				return 0
			}
			function found(u) { sub(/\/+$/, "", u); print u "\t" file; done = 1; exit }
			# deb822: a stanza ends at a blank line (or the end of the file)
			function stanza(   n, u, i) {
				if (tolower(f["enabled"]) != "no" && has(f["types"], "deb") && has(f["suites"], codename)) {
					n = split(f["uris"], u, /[ \t]+/)
					for (i = 1; i <= n; i++) if (usable(u[i])) found(u[i])
				}
				split("", f)
			}
			file ~ /\.sources$/ {
				if ($0 ~ /^#/) next
				if ($0 ~ /^[ \t]*$/) { stanza(); next }
				if ($0 ~ /^[ \t]/) { if (key != "") f[key] = f[key] " " $0; next }	# continuation
				key = tolower(substr($0, 1, index($0, ":") - 1))
				f[key] = substr($0, index($0, ":") + 1)
				gsub(/^[ \t]+|[ \t]+$/, "", f[key])
				next
			}
			{	# one-line: deb [ options ] URI SUITE COMPONENT...
				sub(/#.*/, "")
				if ($1 != "deb") next
				i = 2
				if ($i ~ /^\[/) while (i <= NF && $i !~ /\]$/) i++
				if ($i ~ /^\[/ || $i ~ /\]$/) i++
				if (usable($i) && $(i + 1) == codename) found($i)
			}
			END { if (!done && file ~ /\.sources$/) stanza() }' "$_dm_f")
		if [ -n "$_dm_found" ]; then
			echo "$_dm_found"
			return 0
		fi
	done
	return 0
}

debian_mirror_init() {
	if [ -n "${DEVMEMLAB_MIRROR:-}" ]; then
		DEBIAN_MIRROR=${DEVMEMLAB_MIRROR%/}
		DEBIAN_MIRROR_FROM=DEVMEMLAB_MIRROR
		return 0
	fi
	_dm_codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
	_dm_found=$(mirror_from_sources /etc/apt "${_dm_codename:-bookworm}")
	if [ -n "$_dm_found" ]; then
		DEBIAN_MIRROR=$(printf '%s' "$_dm_found" | cut -f1)
		DEBIAN_MIRROR_FROM=$(printf '%s' "$_dm_found" | cut -f2)
	else
		DEBIAN_MIRROR=$DEVMEMLAB_DEFAULT_MIRROR
		DEBIAN_MIRROR_FROM="default: no ${_dm_codename:-bookworm} source in /etc/apt"
	fi
}
