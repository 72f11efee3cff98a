/* fws-request-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What the connection shell takes from a request read by the GIOStream
 * door: its transport (reading stopped) and the bytes the peer sent right
 * behind the head.
 */
#pragma once

#include "fws-request.h"
#include "fws-transport-private.h"

G_BEGIN_DECLS

/* Hands the transport over once; NULL with @error when the request was
 * answered or taken already, or its stream failed. */
FwsTransport *fws_request_steal_transport (FwsRequest  *self,
                                           GByteArray **early,
                                           GError     **error);

/* host:port of the address the request came to (an IPv6 one in brackets,
 * no port when it is the scheme's default), for a head without Host;
 * NULL for a Unix socket. */
const char   *fws_request_get_local_authority (FwsRequest *self);

G_END_DECLS
