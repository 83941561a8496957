/* power/admit: pure: whether one more power-on may go now.  Booting Pis
 * are what a mass power-on must pace: the whole rack (max_booting), each
 * board model (a Pi 3's ROM fetches over TFTP in lock-step, 512-byte
 * blocks one at a time, so a few dozen at once starve each other into
 * timeouts; later models window and are cheap), and a minimum gap between
 * two power-ons (the stagger).  The switch's PoE budget is checked when an
 * on is asked for (service.c), since a port once on stays on. */
#include <ctype.h>
#include <string.h>

#include "state.h"

enum power_class pr_power_model_class(const char *model)
{
    /* "pi4", "4b", "rpi4", "400" and "pi5", "500": the digit says it.
     * Anything else, or a board not known yet, is counted as a Pi 3,
     * the cautious choice. */
    for (const char *p = model ? model : ""; *p; p++) {
        if (*p == '4')
            return POWER_CLASS_PI4;
        if (*p == '5')
            return POWER_CLASS_PI5;
        if (isdigit((unsigned char)*p))
            break;
    }
    return POWER_CLASS_PI3;
}

enum admit_verdict pr_power_admit(const struct power_admit *a, enum power_class cls, uint64_t now,
                                  uint64_t *until)
{
    if (a->max_booting && a->booting >= a->max_booting)
        return ADMIT_WAIT_BOOTING;
    if (a->max_class[cls] && a->booting_class[cls] >= a->max_class[cls])
        return ADMIT_WAIT_CLASS;
    if (a->stagger_ms && a->last_on_ms && now < a->last_on_ms + a->stagger_ms) {
        *until = a->last_on_ms + a->stagger_ms;
        return ADMIT_WAIT_GAP;
    }
    return ADMIT_GO;
}
