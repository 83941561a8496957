/* image service: imports on workers, the images in the store, and their
 * directories under [paths] images.  What daemon/ (the services table) and
 * daemon/http/ call. */
#ifndef PIRACK_IMAGE_SERVICE_H
#define PIRACK_IMAGE_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pr_daemon;

int pr_image_service_start(struct pr_daemon *d);
void pr_image_service_stop(struct pr_daemon *d);

/* Starts importing source (an absolute path on this host: a disk image,
 * .img or .img.xz, a root tarball or a root directory) as image name.
 * Returns 0 when the import runs, or -errno with why in err: -EINVAL a bad
 * name or source, -EEXIST the name is an image or being imported, -EBUSY
 * too many imports at once, -ENODEV the service is not running. */
int pr_image_import(struct pr_daemon *d, const char *name, const char *source, const char *actor,
                    char *err, size_t errlen);

/* An import that is running or that failed (the last failure per name is
 * kept until the name is imported again or pirackd restarts). */
struct pr_image_import_view {
    const char *name;
    const char *source;
    const char *state; /* "importing" or "failed" */
    const char *error; /* "" while importing */
    int64_t started_ms;
};
typedef int (*pr_image_import_cb)(const struct pr_image_import_view *v, void *ctx);
/* Each import the service knows of; NULL-safe when it does not run. */
int pr_image_each_import(struct pr_daemon *d, pr_image_import_cb cb, void *ctx);

/* Removes image name from the store and, when no other name shares its
 * bytes, its directory (in the background).  -ENOENT no such image,
 * -EBUSY a pi names it, -ENODEV the service is not running; err says
 * why. */
int pr_image_remove(struct pr_daemon *d, const char *name, const char *actor, char *err,
                    size_t errlen);

/* Reimages the pi in slot: a new generation of its root from image (NULL
 * or "": the pi's own; a given one becomes the pi's), built while the Pi
 * runs, then the Pi powered off (when on), the generation switched, the
 * Pi powered on again.  undo switches back to the previous generation
 * instead.  Stored before it starts; a restart finishes it.  Returns the
 * operation's id, or -errno with why: -EBUSY one is in flight, -ENOENT no
 * such image or generation, -EINVAL no image, -ENODEV not running. */
int pr_image_reimage(struct pr_daemon *d, unsigned slot, const char *image, bool undo,
                     const char *actor, char *err, size_t errlen);

/* Wipes every generation of slot's root and boot directory (what
 * releasing a pi does before the slot is handed out again): the links go
 * at once, the trees in the background, and the slot no longer needs a
 * wipe.  A slot a customer gave back is wiped by the service itself once
 * its Pi is off.  -EBUSY while a reimage runs or
 * the Pi is powered on, -ENODEV not running. */
int pr_image_wipe(struct pr_daemon *d, unsigned slot, const char *actor, char *err, size_t errlen);

/* Whether a reimage of slot is in flight (stored, not finished). */
bool pr_image_busy(struct pr_daemon *d, unsigned slot);
/* Renders and applies the NFS exports again (in the background): every
 * slot's current root but those of quarantined slots.  The health service
 * calls it when it quarantines or releases a slot.  Does nothing when the
 * service is not running or [nfs] backend is none. */
void pr_image_exports_refresh(struct pr_daemon *d);

/* How roots are made ("reflink", "btrfs-snapshot", "copy_file_range",
 * "copy"), probed at start; NULL when the service is not running. */
const char *pr_image_clone_method(struct pr_daemon *d);

#endif
