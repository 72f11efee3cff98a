/* fws-types.h — SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (FWS_INSIDE) && !defined (FWS_COMPILATION)
# error "Only <fws-glib/fws-glib.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * FwsReadyState:
 * @FWS_READY_STATE_CONNECTING: the opening handshake has not completed yet
 * @FWS_READY_STATE_OPEN: messages can be sent and received
 * @FWS_READY_STATE_CLOSING: the closing handshake has started
 * @FWS_READY_STATE_CLOSED: the connection is closed
 *
 * The state of a connection, as in the standard WebSocket API.
 *
 * Since: 0.1
 */
typedef enum
{
  FWS_READY_STATE_CONNECTING = 0,
  FWS_READY_STATE_OPEN = 1,
  FWS_READY_STATE_CLOSING = 2,
  FWS_READY_STATE_CLOSED = 3,
} FwsReadyState;

/**
 * FwsMessageType:
 * @FWS_MESSAGE_TYPE_TEXT: a text message (UTF-8)
 * @FWS_MESSAGE_TYPE_BINARY: a binary message
 *
 * The type of a WebSocket data message.
 *
 * Since: 0.1
 */
typedef enum
{
  FWS_MESSAGE_TYPE_TEXT = 1,
  FWS_MESSAGE_TYPE_BINARY = 2,
} FwsMessageType;

/**
 * FwsCloseCode:
 * @FWS_CLOSE_CODE_NORMAL: normal closure (1000)
 * @FWS_CLOSE_CODE_GOING_AWAY: the endpoint is going away (1001)
 * @FWS_CLOSE_CODE_PROTOCOL_ERROR: a protocol error (1002)
 * @FWS_CLOSE_CODE_UNSUPPORTED_DATA: data of a type the endpoint cannot accept (1003)
 * @FWS_CLOSE_CODE_NO_STATUS: the peer's close frame had no code; never sent (1005)
 * @FWS_CLOSE_CODE_ABNORMAL: the transport ended without a close frame; never sent (1006)
 * @FWS_CLOSE_CODE_INVALID_DATA: a text message was not valid UTF-8 (1007)
 * @FWS_CLOSE_CODE_POLICY_VIOLATION: a policy violation (1008)
 * @FWS_CLOSE_CODE_TOO_BIG: a message was larger than allowed (1009)
 * @FWS_CLOSE_CODE_MISSING_EXTENSION: the client needed an extension the server did not accept (1010)
 * @FWS_CLOSE_CODE_SERVER_ERROR: an unexpected condition on the server (1011)
 * @FWS_CLOSE_CODE_TLS_HANDSHAKE: the TLS handshake failed; never sent (1015)
 *
 * Close codes of RFC 6455 section 7.4.1. The `close` signal reports one of
 * these, another code a peer may send (1012-1014), or a code in the range
 * 3000-4999 that an application chose. [method@Fws.WebSocket.close] takes
 * each of them but those marked "never sent".
 *
 * Since: 0.1
 */
typedef enum
{
  FWS_CLOSE_CODE_NORMAL = 1000,
  FWS_CLOSE_CODE_GOING_AWAY = 1001,
  FWS_CLOSE_CODE_PROTOCOL_ERROR = 1002,
  FWS_CLOSE_CODE_UNSUPPORTED_DATA = 1003,
  FWS_CLOSE_CODE_NO_STATUS = 1005,
  FWS_CLOSE_CODE_ABNORMAL = 1006,
  FWS_CLOSE_CODE_INVALID_DATA = 1007,
  FWS_CLOSE_CODE_POLICY_VIOLATION = 1008,
  FWS_CLOSE_CODE_TOO_BIG = 1009,
  FWS_CLOSE_CODE_MISSING_EXTENSION = 1010,
  FWS_CLOSE_CODE_SERVER_ERROR = 1011,
  FWS_CLOSE_CODE_TLS_HANDSHAKE = 1015,
} FwsCloseCode;

/**
 * FwsSendOverflow:
 * @FWS_SEND_OVERFLOW_ERROR: the send fails with %FWS_ERROR_QUEUE_FULL and
 *   queues nothing; the connection stays open
 * @FWS_SEND_OVERFLOW_CLOSE: the send fails with %FWS_ERROR_QUEUE_FULL and
 *   the connection is closed: a WebSocket with code 1008 (policy
 *   violation), an EventSource stream after what is queued
 *
 * What a synchronous send does when its message would take the outgoing
 * queue past the connection's hard limit
 * ([property@Fws.WebSocket:max-buffered],
 * [property@Fws.EventSource:max-buffered]).
 *
 * Since: 0.2
 */
typedef enum
{
  FWS_SEND_OVERFLOW_ERROR = 0,
  FWS_SEND_OVERFLOW_CLOSE = 1,
} FwsSendOverflow;

G_END_DECLS
