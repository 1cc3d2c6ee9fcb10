/* fake-vdagent.h — a guest agent for spice-tone-server (see fake-vdagent.c). */
#pragma once

#include <glib.h>
#include <spice.h>

/* Add the fake agent's vdagent char device to server (once). */
void fake_vdagent_add(SpiceServer *server);
