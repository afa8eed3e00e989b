// SPDX-License-Identifier: GPL-2.0
/*
 * dml-cxl-region: a CXL type-3 device's volatile capacity as a range for
 * devmemlab (module parameter range=SIZE@START), through libcxl (ndctl's
 * library, the one cxl-cli is built on).
 *
 *   dml-cxl-region create   a ram region over the first memdev's whole
 *                           volatile capacity, in the root decoder above
 *                           it: interleave x1, its endpoint decoder sized
 *                           and targeted, the decoders committed. The
 *                           region is not enabled: no cxl_region driver,
 *                           so no dax region, device_dax or kmem claims
 *                           it. Prints SIZE@START (hex), for range=.
 *   dml-cxl-region destroy  every region that is not enabled: decoders
 *                           reset, region deleted.
 *
 * Errors: one line on stderr, exit 1; a region half set up is deleted.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <cxl/libcxl.h>

static int fail(const char *what, int rc)
{
	fprintf(stderr, "dml-cxl-region: %s%s%s\n", what, rc ? ": " : "",
		rc ? strerror(rc < 0 ? -rc : rc) : "");
	return 1;
}

/* the first memdev with volatile capacity */
static struct cxl_memdev *ram_memdev(struct cxl_ctx *ctx)
{
	struct cxl_memdev *memdev;

	cxl_memdev_foreach(ctx, memdev)
		if (cxl_memdev_get_ram_size(memdev))
			return memdev;
	return NULL;
}

/* a volatile-capable root decoder with @memdev below it */
static struct cxl_decoder *root_decoder(struct cxl_ctx *ctx, struct cxl_memdev *memdev)
{
	struct cxl_decoder *decoder;
	struct cxl_bus *bus;

	cxl_bus_foreach(ctx, bus)
		cxl_decoder_foreach(cxl_bus_get_port(bus), decoder)
			if (cxl_decoder_is_volatile_capable(decoder) &&
			    cxl_decoder_get_target_by_memdev(decoder, memdev))
				return decoder;
	return NULL;
}

/* the memdev's first endpoint decoder, if none has DPA yet (all capacity is free) */
static struct cxl_decoder *free_ep_decoder(struct cxl_memdev *memdev)
{
	struct cxl_endpoint *ep = cxl_memdev_get_endpoint(memdev);
	struct cxl_decoder *decoder;

	if (!ep)
		return NULL;
	cxl_decoder_foreach(cxl_endpoint_get_port(ep), decoder)
		if (cxl_decoder_get_dpa_size(decoder))
			return NULL;
	return cxl_decoder_get_first(cxl_endpoint_get_port(ep));
}

/*
 * libcxl reads a region's attributes when it enumerates it: a region it
 * created says resource 0. A new context reads the committed one.
 */
static int print_range(const char *name)
{
	struct cxl_region *region;
	struct cxl_decoder *decoder;
	struct cxl_ctx *ctx;
	struct cxl_bus *bus;
	int rc = cxl_new(&ctx);

	if (rc)
		return rc;
	rc = -ENOENT;
	cxl_bus_foreach(ctx, bus)
		cxl_decoder_foreach(cxl_bus_get_port(bus), decoder)
			cxl_region_foreach(decoder, region)
				if (!strcmp(cxl_region_get_devname(region), name)) {
					printf("%#llx@%#llx\n", cxl_region_get_size(region),
					       cxl_region_get_resource(region));
					rc = 0;
				}
	cxl_unref(ctx);
	return rc;
}

static int create(struct cxl_ctx *ctx)
{
	struct cxl_decoder *root, *ep;
	struct cxl_memdev *memdev;
	struct cxl_region *region;
	unsigned long long size;
	const char *step;
	int rc;

	memdev = ram_memdev(ctx);
	if (!memdev)
		return fail("no CXL memdev with volatile capacity", 0);
	size = cxl_memdev_get_ram_size(memdev);
	root = root_decoder(ctx, memdev);
	if (!root)
		return fail("no volatile-capable root decoder (CFMWS) above the memdev", 0);
	ep = free_ep_decoder(memdev);
	if (!ep)
		return fail("the memdev's capacity is in a region already (dml-cxl-region destroy)", 0);
	region = cxl_decoder_create_ram_region(root);
	if (!region)
		return fail("cannot create a ram region in the root decoder", 0);
	step = "interleave granularity";
	rc = cxl_region_set_interleave_granularity(region,
						   cxl_decoder_get_interleave_granularity(root));
	if (!rc) {
		step = "interleave ways";
		rc = cxl_region_set_interleave_ways(region, 1);
	}
	if (!rc) {
		step = "endpoint decoder mode ram";
		rc = cxl_decoder_set_mode(ep, CXL_DECODER_MODE_RAM);
	}
	if (!rc) {
		step = "endpoint decoder DPA size";
		rc = cxl_decoder_set_dpa_size(ep, size);
	}
	if (!rc) {
		step = "region size";
		rc = cxl_region_set_size(region, size);
	}
	if (!rc) {
		step = "region target";
		rc = cxl_region_set_target(region, 0, ep);
	}
	if (!rc) {
		step = "decoder commit";
		rc = cxl_region_decode_commit(region);
	}
	if (rc) {
		fprintf(stderr, "dml-cxl-region: %s: %s: %s\n", cxl_region_get_devname(region),
			step, strerror(rc < 0 ? -rc : rc));
		cxl_region_decode_reset(region);
		cxl_region_clear_all_targets(region);
		cxl_region_delete(region);
		cxl_decoder_set_dpa_size(ep, 0);
		return 1;
	}
	rc = print_range(cxl_region_get_devname(region));
	if (rc)
		return fail("the committed region is gone", rc);
	fprintf(stderr, "dml-cxl-region: %s: %s, %llu MiB of %s, committed, not enabled\n",
		cxl_region_get_devname(region), cxl_decoder_get_devname(root), size >> 20,
		cxl_memdev_get_devname(memdev));
	return 0;
}

static int destroy(struct cxl_ctx *ctx)
{
	struct cxl_region *region, *next;
	struct cxl_decoder *decoder;
	struct cxl_bus *bus;
	int n = 0, rc;

	cxl_bus_foreach(ctx, bus)
		cxl_decoder_foreach(cxl_bus_get_port(bus), decoder)
			cxl_region_foreach_safe(decoder, region, next) {
				if (cxl_region_is_enabled(region))
					continue;
				rc = cxl_region_decode_reset(region);
				rc = rc ?: cxl_region_clear_all_targets(region);
				rc = rc ?: cxl_region_delete(region);
				if (rc)
					return fail("cannot delete a region", rc);
				n++;
			}
	fprintf(stderr, "dml-cxl-region: %d region(s) deleted\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	struct cxl_ctx *ctx;
	int rc;

	if (argc != 2 || (strcmp(argv[1], "create") && strcmp(argv[1], "destroy"))) {
		fprintf(stderr, "usage: dml-cxl-region create|destroy\n");
		return 2;
	}
	rc = cxl_new(&ctx);
	if (rc)
		return fail("libcxl", rc);
	rc = strcmp(argv[1], "create") ? destroy(ctx) : create(ctx);
	cxl_unref(ctx);
	return rc;
}
