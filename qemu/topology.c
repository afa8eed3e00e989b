// SPDX-License-Identifier: GPL-2.0
/*
 * Topology files: a small INI dialect read line by line so that every
 * problem can be reported as "FILE:LINE: problem". iniparser (which ndctl
 * uses) keeps no line numbers and silently merges duplicate sections and
 * keys, both of which we must reject, hence this ~300-line reader.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology.h"

#define PARENT(k)	(1u << (k))
#define PCIE0		(1u << DEV_KIND_COUNT)
#define SZ_1M		(1ull << 20)
#define SZ_256M		(256ull << 20)
#define MACHINE_KEYS	" description memory cpus iommu "

static const struct kind_info {
	const char *name;
	const char *keys;	/* allowed keys, each surrounded by spaces */
	const char *required;
	const char *modules;	/* guest modules this kind needs */
	unsigned int parents;	/* kinds that may be its bus */
	int max_children;	/* devices that may sit on it (0 = not a bus) */
} kinds[DEV_KIND_COUNT] = {
	[DEV_ROOT_PORT] = { "root-port", " bus ", "", "", PCIE0, 1 },
	[DEV_SWITCH] = { "switch", " bus ", " bus ", "",
			 PARENT(DEV_ROOT_PORT) | PARENT(DEV_SWITCH_PORT), 32 },
	[DEV_SWITCH_PORT] = { "switch-port", " bus ", " bus ", "",
			      PARENT(DEV_SWITCH), 1 },
	[DEV_IVSHMEM] = { "ivshmem", " bus size backing ", " size ", "",
			  PCIE0 | PARENT(DEV_ROOT_PORT) | PARENT(DEV_SWITCH_PORT), 0 },
	[DEV_NVME] = { "nvme", " bus size cmb ", " size ", "nvme",
		       PCIE0 | PARENT(DEV_ROOT_PORT) | PARENT(DEV_SWITCH_PORT), 0 },
	[DEV_CXL_HOST_BRIDGE] = { "cxl-host-bridge", " ", "", "cxl_acpi", PCIE0, 8 },
	[DEV_CXL_ROOT_PORT] = { "cxl-root-port", " bus ", " bus ", "",
				PARENT(DEV_CXL_HOST_BRIDGE), 1 },
	[DEV_CXL_TYPE3] = { "cxl-type3", " bus size ", " bus size ",
			    "cxl_pci cxl_mem dax_cxl device_dax",
			    PARENT(DEV_CXL_ROOT_PORT), 0 },
	[DEV_CXL_WINDOW] = { "cxl-window", " targets size ", " targets size ", "", 0, 0 },
	[DEV_ACCEL] = { "accel", " bus size bandwidth latency ", " size ", "",
			PCIE0 | PARENT(DEV_ROOT_PORT) | PARENT(DEV_SWITCH_PORT), 0 },
	[DEV_CXL_ACCEL] = { "cxl-accel", " bus size bandwidth latency firmware-commit ",
			    " bus size ", "cxl_mem", PARENT(DEV_CXL_ROOT_PORT), 0 },
};

const char *topo_kind_name(enum dev_kind kind)
{
	return kinds[kind].name;
}

const char *topo_kind_modules(enum dev_kind kind)
{
	return kinds[kind].modules;
}

int topo_has_kind(const struct topology *t, enum dev_kind kind)
{
	for (int i = 0; i < t->ndev; i++)
		if (t->dev[i].kind == kind)
			return 1;
	return 0;
}

int topo_has_accel(const struct topology *t)
{
	return topo_has_kind(t, DEV_ACCEL) || topo_has_kind(t, DEV_CXL_ACCEL);
}

int topo_hb_keeps_hdm(const struct topology *t, const struct topo_device *hb)
{
	for (int i = 0; i < t->ndev; i++)
		if (t->dev[i].kind == DEV_CXL_ACCEL && &t->dev[t->dev[t->dev[i].bus].bus] == hb)
			return 1;
	return 0;
}

int topo_needs_lab_qemu(const struct topology *t)
{
	return topo_has_accel(t);
}

/* NUMBER[unit]SUFFIX with units[i] scaling by mult[i]; -1 if malformed */
static int parse_scaled(const char *s, const char *const *units, const uint64_t *mult,
			uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	for (int i = 0; units[i]; i++)
		if (!strcmp(end, units[i])) {
			if (v > ~0ull / mult[i])
				return -1;
			*out = v * mult[i];
			return 0;
		}
	return -1;
}

/* accel link: "16GB/s" (decimal units, as links are rated) and "500ns" */
static int parse_rate(const char *s, uint64_t *out)
{
	static const char *const units[] = { "B/s", "KB/s", "MB/s", "GB/s", "TB/s", NULL };
	static const uint64_t mult[] = { 1, 1000, 1000000, 1000000000, 1000000000000ull };

	return parse_scaled(s, units, mult, out);
}

static int parse_duration(const char *s, uint64_t *out)
{
	static const char *const units[] = { "ns", "us", "ms", NULL };
	static const uint64_t mult[] = { 1, 1000, 1000000 };

	return parse_scaled(s, units, mult, out);
}

int topo_parse_size(const char *s, uint64_t *out)
{
	static const char *const units[] = { "", "K", "M", "G", "T", NULL };
	static const uint64_t mult[] = { 1, 1ull << 10, 1ull << 20, 1ull << 30, 1ull << 40 };

	return parse_scaled(s, units, mult, out);
}

/* Parser state: the topology plus what is only needed while reading. */
struct parser {
	struct topology *t;
	const char *file;
	char *err;
	size_t errlen;
	int machine_line;		/* 0 = no [machine] yet */
	int cur;			/* current device, -1 = [machine], -2 = none */
	unsigned int seen[TOPO_MAX_DEVICES + 1];	/* keys seen per section, by index */
	char bus_name[TOPO_MAX_DEVICES][TOPO_ID_MAX];
	int bus_line[TOPO_MAX_DEVICES];
	char targets[TOPO_MAX_DEVICES][4][TOPO_ID_MAX];	/* cxl-window target ids */
	int ntargets[TOPO_MAX_DEVICES];
	int targets_line[TOPO_MAX_DEVICES];
	int size_line[TOPO_MAX_DEVICES];
};

/* An error line of n characters that did not fit in err ends in "..." */
static int mark_cut(char *err, size_t errlen, int n)
{
	if (errlen > 3 && (n < 0 || (size_t)n >= errlen))
		memcpy(err + errlen - 4, "...", 4);
	return -1;
}

int errline(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return mark_cut(err, errlen, n);
}

/* One line "FILE:LINE: problem" in err. */
__attribute__((format(printf, 3, 4)))
static int fail(struct parser *p, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->errlen, "%s:%d: ", p->file, line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->errlen)
		n += vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	return mark_cut(p->err, p->errlen, n);
}

/* Index of the n-byte word among the space-separated words of list, or -1. */
static int word_index(const char *list, const char *word, size_t n)
{
	for (int i = 0; *(list += strspn(list, " ")); i++) {
		size_t l = strcspn(list, " ");

		if (l == n && !strncmp(list, word, n))
			return i;
		list += l;
	}
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int find_id(const struct topology *t, const char *id)
{
	for (int i = 0; i < t->ndev; i++)
		if (!strcmp(t->dev[i].id, id))
			return i;
	return -1;
}

static int valid_id(const char *id)
{
	if (!*id || strlen(id) >= TOPO_ID_MAX)
		return 0;
	for (; *id; id++)
		if (!isalnum((unsigned char)*id) && !strchr("_.-", *id))
			return 0;
	return 1;
}

static int parse_section(struct parser *p, char *s, int line)
{
	struct topology *t = p->t;
	char *close = strchr(s, ']');
	char *kind, *id;
	int k;

	if (!close || close[1])
		return fail(p, line, "malformed section header (expected [kind id])");
	*close = '\0';
	kind = trim(s + 1);
	id = kind + strcspn(kind, " \t");
	if (*id)
		*id++ = '\0';
	id = trim(id);
	if (!strcmp(kind, "machine")) {
		if (*id)
			return fail(p, line, "[machine] takes no id");
		if (p->machine_line)
			return fail(p, line, "duplicate [machine] section (first at line %d)",
				    p->machine_line);
		p->machine_line = line;
		p->cur = -1;
		return 0;
	}
	for (k = 0; k < DEV_KIND_COUNT; k++)
		if (!strcmp(kind, kinds[k].name))
			break;
	if (k == DEV_KIND_COUNT)
		return fail(p, line, "unknown device kind '%s'", kind);
	if (!valid_id(id))
		return fail(p, line, "[%s] needs an id of letters, digits, '_', '.', '-' (at most %d)",
			    kind, TOPO_ID_MAX - 1);
	if (k == DEV_NVME && strlen(id) > TOPO_NVME_ID_MAX)
		return fail(p, line, "nvme id '%s' is longer than %d characters (its serial dml-ID must fit NVMe's %d)",
			    id, TOPO_NVME_ID_MAX, TOPO_NVME_ID_MAX + 4);
	if (!strcmp(id, "pcie.0") || !strcmp(id, "machine") ||
	    !strncmp(id, LAB_ID_PREFIX, strlen(LAB_ID_PREFIX)))
		return fail(p, line, "id '%s' is reserved", id);
	if (find_id(t, id) >= 0)
		return fail(p, line, "duplicate id '%s' (first at line %d)", id,
			    t->dev[find_id(t, id)].line);
	if (t->ndev == TOPO_MAX_DEVICES)
		return fail(p, line, "too many devices (at most %d)", TOPO_MAX_DEVICES);
	p->cur = t->ndev++;
	t->dev[p->cur] = (struct topo_device){ .kind = k, .line = line, .bus = -1 };
	strcpy(t->dev[p->cur].id, id);
	return 0;
}

static int parse_size_key(struct parser *p, int line, const char *key, const char *val,
			  uint64_t *out)
{
	if (topo_parse_size(val, out) || !*out)
		return fail(p, line, "bad size '%s' for %s (use a number with K, M, G or T)",
			    val, key);
	return 0;
}

static int parse_machine_key(struct parser *p, int line, const char *key, char *val)
{
	struct topology *t = p->t;
	char *end;
	long v;

	if (!strcmp(key, "description")) {
		if (strlen(val) >= sizeof(t->description))
			return fail(p, line, "description too long (at most %zu characters)",
				    sizeof(t->description) - 1);
		strcpy(t->description, val);
	} else if (!strcmp(key, "memory")) {
		if (parse_size_key(p, line, key, val, &t->memory))
			return -1;
		if (t->memory < (512ull << 20) || t->memory % SZ_1M)
			return fail(p, line, "memory must be a whole number of MiB, at least 512M");
	} else if (!strcmp(key, "iommu")) {
		if (strcmp(val, "none") && strcmp(val, "intel"))
			return fail(p, line, "iommu must be 'none' or 'intel', not '%s'", val);
		t->iommu = !strcmp(val, "intel");
	} else if (!strcmp(key, "cpus")) {
		errno = 0;
		v = strtol(val, &end, 10);
		if (errno || *end || v < 1 || v > 64)
			return fail(p, line, "cpus must be a number from 1 to 64, not '%s'", val);
		t->cpus = v;
	}
	return 0;
}

static int parse_device_key(struct parser *p, int line, const char *key, char *val)
{
	struct topo_device *d = &p->t->dev[p->cur];
	char *save, *tok;

	if (!strcmp(key, "bus")) {
		/* no id is that long: never cut it to one that exists */
		if (strlen(val) >= TOPO_ID_MAX)
			return fail(p, line, "bus '%s' is not defined", val);
		strcpy(p->bus_name[p->cur], val);
		p->bus_line[p->cur] = line;
	} else if (!strcmp(key, "size")) {
		p->size_line[p->cur] = line;
		return parse_size_key(p, line, key, val, &d->size);
	} else if (!strcmp(key, "cmb")) {
		if (parse_size_key(p, line, key, val, &d->cmb))
			return -1;
		if (d->cmb % SZ_1M)
			return fail(p, line, "cmb must be a whole number of MiB");
	} else if (!strcmp(key, "backing")) {
		if (strcmp(val, "shm") && strncmp(val, "file:/", 6))
			return fail(p, line, "backing must be 'shm' or 'file:/absolute/path'");
		if (strchr(val, ','))
			return fail(p, line, "backing path must not contain ','");
		if (strcmp(val, "shm") && strlen(val + 5) >= sizeof(d->backing))
			return fail(p, line, "backing path too long (at most %zu characters)",
				    sizeof(d->backing) - 1);
		strcpy(d->backing, strcmp(val, "shm") ? val + 5 : "");
	} else if (!strcmp(key, "bandwidth")) {
		if (parse_rate(val, &d->bandwidth))
			return fail(p, line, "bad bandwidth '%s' (a number, optionally K, M, G or T, then B/s: 32GB/s)",
				    val);
		if (!d->bandwidth)
			return fail(p, line, "bandwidth must be more than 0 (leave it out for an unlimited link)");
	} else if (!strcmp(key, "latency")) {
		if (parse_duration(val, &d->latency))
			return fail(p, line, "bad latency '%s' (a number, then ns, us or ms: 500ns)", val);
	} else if (!strcmp(key, "firmware-commit")) {
		if (strcmp(val, "yes") && strcmp(val, "no"))
			return fail(p, line, "firmware-commit must be 'yes' or 'no'");
		d->fw_commit = !strcmp(val, "yes");
	} else if (!strcmp(key, "targets")) {
		p->targets_line[p->cur] = line;
		/* resolved once every host bridge is known: resolve_window() */
		for (tok = strtok_r(val, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
			if (strlen(tok) >= TOPO_ID_MAX)
				return fail(p, line, "target '%s' is not a cxl-host-bridge", tok);
			if (p->ntargets[p->cur] == 4)
				return fail(p, line, "at most 4 targets");
			strcpy(p->targets[p->cur][p->ntargets[p->cur]++], tok);
		}
	}
	return 0;
}

static int parse_line(struct parser *p, char *s, int line)
{
	char *eq, *key, *val;
	const char *keys;
	int k;

	s = trim(s);
	if (!*s || *s == '#' || *s == ';')
		return 0;
	if (*s == '[')
		return parse_section(p, s, line);
	eq = strchr(s, '=');
	if (!eq)
		return fail(p, line, "expected 'key = value' or '[section]'");
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);
	if (p->cur == -2)
		return fail(p, line, "key '%s' outside any section", key);
	if (!*key || strchr(key, ' '))
		return fail(p, line, "malformed key '%s'", key);
	if (!*val)
		return fail(p, line, "empty value for '%s'", key);
	keys = p->cur == -1 ? MACHINE_KEYS : kinds[p->t->dev[p->cur].kind].keys;
	k = word_index(keys, key, strlen(key));
	if (k < 0 && p->cur == -1)
		return fail(p, line, "unknown key '%s' in [machine]", key);
	if (k < 0)
		return fail(p, line, "unknown key '%s' for %s", key,
			    kinds[p->t->dev[p->cur].kind].name);
	if (p->seen[p->cur + 1] & 1u << k)
		return fail(p, line, "duplicate key '%s'", key);
	p->seen[p->cur + 1] |= 1u << k;
	return p->cur == -1 ? parse_machine_key(p, line, key, val)
			    : parse_device_key(p, line, key, val);
}

/* Second pass: buses, targets, required keys and per-kind sizes. */
static int resolve_device(struct parser *p, int i, int *children)
{
	struct topology *t = p->t;
	struct topo_device *d = &t->dev[i];
	const struct kind_info *ki = &kinds[d->kind];
	size_t n;

	for (const char *req = ki->required; *(req += strspn(req, " ")); req += n) {
		n = strcspn(req, " ");
		if (!(p->seen[i + 1] & 1u << word_index(ki->keys, req, n)))
			return fail(p, d->line, "[%s %s] needs '%.*s'", ki->name, d->id, (int)n, req);
	}
	if (p->bus_name[i][0] && strcmp(p->bus_name[i], "pcie.0")) {
		int b = find_id(t, p->bus_name[i]);

		if (b < 0)
			return fail(p, p->bus_line[i], "bus '%s' is not defined", p->bus_name[i]);
		if (!(ki->parents & PARENT(t->dev[b].kind)))
			return fail(p, p->bus_line[i], "a %s cannot sit on %s '%s'",
				    ki->name, kinds[t->dev[b].kind].name, p->bus_name[i]);
		if (++children[b] > kinds[t->dev[b].kind].max_children)
			return fail(p, p->bus_line[i], "%s '%s' has no free slot for '%s'",
				    kinds[t->dev[b].kind].name, p->bus_name[i], d->id);
		d->bus = b;
	} else if (ki->parents && !(ki->parents & PCIE0)) {
		return fail(p, p->bus_line[i] ? p->bus_line[i] : d->line,
			    "a %s cannot sit on pcie.0", ki->name);
	}

	switch (d->kind) {
	case DEV_IVSHMEM:
		if (d->size & (d->size - 1) || d->size < SZ_1M)
			return fail(p, p->size_line[i],
				    "ivshmem BAR size must be a power of two of at least 1M");
		break;
	case DEV_ACCEL:
		if (d->size & (d->size - 1) || d->size < SZ_1M)
			return fail(p, p->size_line[i],
				    "accel memory size must be a power of two of at least 1M");
		break;
	case DEV_CXL_ACCEL:
		if (d->size & (d->size - 1) || d->size < SZ_256M)
			return fail(p, p->size_line[i],
				    "cxl-accel memory size must be a power of two of at least 256M");
		break;
	case DEV_NVME:
		if (d->size % SZ_1M)
			return fail(p, p->size_line[i], "nvme size must be a whole number of MiB");
		break;
	case DEV_CXL_TYPE3:
	case DEV_CXL_WINDOW:
		if (d->size % SZ_256M)
			return fail(p, p->size_line[i], "%s size must be a multiple of 256M",
				    ki->name);
		break;
	default:
		break;
	}
	return 0;
}

static int resolve_window(struct parser *p, int i)
{
	struct topology *t = p->t;
	struct topo_device *w = &t->dev[i];
	uint64_t need = 0;

	for (int k = 0; k < p->ntargets[i]; k++) {
		int b = find_id(t, p->targets[i][k]);

		if (b < 0 || t->dev[b].kind != DEV_CXL_HOST_BRIDGE)
			return fail(p, p->targets_line[i], "target '%s' is not a cxl-host-bridge",
				    p->targets[i][k]);
		w->targets[w->ntargets++] = b;
	}
	if (!w->ntargets || w->ntargets & (w->ntargets - 1))
		return fail(p, p->targets_line[i], "number of targets must be 1, 2 or 4");
	/* every type-3 (and type-2) below the targets must fit in the window */
	for (int j = 0; j < t->ndev; j++) {
		int hb;

		if (t->dev[j].kind != DEV_CXL_TYPE3 && t->dev[j].kind != DEV_CXL_ACCEL)
			continue;
		hb = t->dev[t->dev[j].bus].bus;
		for (int k = 0; k < w->ntargets; k++)
			if (w->targets[k] == hb)
				need += t->dev[j].size;
	}
	if (need > w->size)
		return fail(p, p->size_line[i], "window of %llu MiB is smaller than its %llu MiB of CXL memory",
			    (unsigned long long)(w->size >> 20), (unsigned long long)(need >> 20));
	return 0;
}

/* Each device has one bus, so a chain of buses ends on pcie.0 or in a cycle. */
static int check_cycles(struct parser *p)
{
	struct topology *t = p->t;
	/* at most TOPO_MAX_DEVICES + 1 ids with " -> " between them */
	char chain[(TOPO_ID_MAX + 4) * (TOPO_MAX_DEVICES + 1)];

	for (int i = 0; i < t->ndev; i++) {
		int b = t->dev[i].bus, n;

		for (int steps = 0; b >= 0 && b != i && steps < t->ndev; steps++)
			b = t->dev[b].bus;
		if (b != i)
			continue;
		/* i is the first device of a cycle in file order */
		n = snprintf(chain, sizeof(chain), "%s", t->dev[i].id);
		do {
			b = t->dev[b].bus;
			n += snprintf(chain + n, sizeof(chain) - n, " -> %s", t->dev[b].id);
		} while (b != i);
		return fail(p, p->bus_line[i], "bus cycle: %s", chain);
	}
	return 0;
}

static int resolve(struct parser *p)
{
	struct topology *t = p->t;
	int children[TOPO_MAX_DEVICES] = { 0 };
	int chassis = 1, bus_nr = 12;

	if (!p->machine_line)
		return fail(p, 1, "no [machine] section");
	if (!t->description[0])
		return fail(p, p->machine_line, "[machine] needs 'description'");
	for (int i = 0; i < t->ndev; i++)
		if (resolve_device(p, i, children))
			return -1;
	if (check_cycles(p))
		return -1;
	for (int i = 0; i < t->ndev; i++) {
		struct topo_device *d = &t->dev[i];

		if (d->kind == DEV_CXL_WINDOW && resolve_window(p, i))
			return -1;
		if (d->kind == DEV_ROOT_PORT || d->kind == DEV_SWITCH_PORT)
			d->chassis = chassis++;
		if (d->kind == DEV_CXL_HOST_BRIDGE) {
			d->bus_nr = bus_nr;
			bus_nr += 4;
		}
	}
	for (int i = 0; i < t->ndev; i++) {
		struct topo_device *d = &t->dev[i];
		int covered = 0;

		if (d->kind != DEV_CXL_TYPE3 && !(d->kind == DEV_CXL_ACCEL && d->fw_commit))
			continue;
		/* firmware commits a type-2 device into a window of its host bridge alone */
		for (int j = 0; j < t->ndev; j++)
			for (int k = 0; t->dev[j].kind == DEV_CXL_WINDOW && k < t->dev[j].ntargets; k++)
				covered |= t->dev[j].targets[k] == t->dev[d->bus].bus &&
					   (d->kind == DEV_CXL_TYPE3 || t->dev[j].ntargets == 1);
		if (!covered && d->kind == DEV_CXL_TYPE3)
			return fail(p, d->line, "cxl-type3 '%s' has no cxl-window over its host bridge",
				    d->id);
		if (!covered)
			return fail(p, d->line, "cxl-accel '%s' has firmware-commit = yes but no cxl-window with its host bridge as the only target",
				    d->id);
	}
	return 0;
}

int topo_read(FILE *f, const char *path, struct topology *t, char *err, size_t errlen)
{
	struct parser *p;
	const char *base = strrchr(path, '/');
	char *buf = NULL;
	size_t cap = 0, len;
	ssize_t n;
	int line = 0, ret = 0;

	memset(t, 0, sizeof(*t));
	t->memory = 2ull << 30;
	t->cpus = 2;
	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 4 && !strcmp(base + len - 4, ".ini"))
		len -= 4;
	if (strlen(path) >= sizeof(t->path))
		return errline(err, errlen, "%s: path too long", path);
	if (len >= sizeof(t->name))
		return errline(err, errlen, "%s: topology name '%.*s' is longer than %zu characters",
			       path, (int)len, base, sizeof(t->name) - 1);
	strcpy(t->path, path);
	memcpy(t->name, base, len);

	p = calloc(1, sizeof(*p));
	if (!p)
		return errline(err, errlen, "%s: out of memory", path);
	*p = (struct parser){ .t = t, .file = path, .err = err, .errlen = errlen, .cur = -2 };
	while ((n = getline(&buf, &cap, f)) > 0) {
		line++;
		if (memchr(buf, '\0', n)) {
			ret = fail(p, line, "NUL byte in line");
			break;
		}
		if (n - (buf[n - 1] == '\n') > TOPO_LINE_MAX) {
			ret = fail(p, line, "line too long (at most %d characters)", TOPO_LINE_MAX);
			break;
		}
		ret = parse_line(p, buf, line);
		if (ret)
			break;
	}
	if (!ret && ferror(f))
		ret = fail(p, line, "read error");
	if (!ret)
		ret = resolve(p);
	free(buf);
	free(p);
	return ret;
}

int topo_load(const char *path, struct topology *t, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	int ret;

	if (!f) {
		memset(t, 0, sizeof(*t));
		return errline(err, errlen, "%s: %s", path, strerror(errno));
	}
	ret = topo_read(f, path, t, err, errlen);
	fclose(f);
	return ret;
}
