/* fws-glib.h — SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#define FWS_INSIDE

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "fws-version.h"
#include "fws-version-macros.h"
#include "fws-types.h"
#include "fws-enum-types.h"
#include "fws-error.h"
#include "fws-request.h"
#include "fws-listener.h"
#include "fws-web-socket.h"
#include "fws-client.h"
#include "fws-extension.h"
#include "fws-permessage-deflate.h"
#include "fws-event-source.h"
#include "fws-event-source-client.h"
#include "fws-hub.h"

#undef FWS_INSIDE
