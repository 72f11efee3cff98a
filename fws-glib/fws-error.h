/* fws-error.h — SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (FWS_INSIDE) && !defined (FWS_COMPILATION)
# error "Only <fws-glib/fws-glib.h> can be included directly."
#endif

#include <glib.h>
#include "fws-version-macros.h"

G_BEGIN_DECLS

/**
 * FWS_ERROR:
 *
 * The error domain of fws-glib.
 *
 * Since: 0.1
 */
#define FWS_ERROR (fws_error_quark ())

/**
 * FwsError:
 * @FWS_ERROR_FAILED: a failure with no more specific code
 * @FWS_ERROR_HANDSHAKE: the opening handshake failed or was refused
 * @FWS_ERROR_PROTOCOL: the peer broke the WebSocket protocol
 * @FWS_ERROR_TOO_LARGE: a message or HTTP head was larger than allowed
 * @FWS_ERROR_INVALID_UTF8: a text message or close reason was not valid UTF-8
 * @FWS_ERROR_INVALID_ARGUMENT: an argument was not acceptable (a close code, a reason too long, a URL)
 * @FWS_ERROR_CLOSED: the connection is closing or closed
 * @FWS_ERROR_TIMED_OUT: a deadline passed
 * @FWS_ERROR_EXTENSION: an extension failed or was not negotiated correctly
 * @FWS_ERROR_NOT_SUPPORTED: the request asks for something not supported
 * @FWS_ERROR_QUEUE_FULL: more bytes would be waiting to be written to the
 *   peer than the connection allows; nothing of the refused write was
 *   queued. Since: 0.2
 *
 * Error codes in the %FWS_ERROR domain. Close codes sent on the wire are
 * data (the `close` signal's code), not error codes.
 *
 * Since: 0.1
 */
typedef enum
{
  FWS_ERROR_FAILED,
  FWS_ERROR_HANDSHAKE,
  FWS_ERROR_PROTOCOL,
  FWS_ERROR_TOO_LARGE,
  FWS_ERROR_INVALID_UTF8,
  FWS_ERROR_INVALID_ARGUMENT,
  FWS_ERROR_CLOSED,
  FWS_ERROR_TIMED_OUT,
  FWS_ERROR_EXTENSION,
  FWS_ERROR_NOT_SUPPORTED,
  FWS_ERROR_QUEUE_FULL,
} FwsError;

FWS_AVAILABLE_IN_ALL
GQuark fws_error_quark (void);

G_END_DECLS
