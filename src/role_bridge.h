/* stoa bridge: media only, linked out to the focus (docs/deployment.md). */
#ifndef STOA_ROLE_BRIDGE_H
#define STOA_ROLE_BRIDGE_H

#include "core/config.h"

/* Runs until SIGINT/SIGTERM. Returns the process's exit status. */
int role_bridge_run(const stoa_config *cfg);

#endif
