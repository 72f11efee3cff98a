/* test-utils.h — SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <fws-glib/fws-glib.h>

G_BEGIN_DECLS

/* Iterates the thread-default main context until @cond is true; fails the
 * test if @seconds pass first. */
#define fws_test_wait_until(cond, seconds) \
  G_STMT_START { \
    gint64 _deadline = g_get_monotonic_time () + (gint64) (seconds) * G_USEC_PER_SEC; \
    while (!(cond)) \
      { \
        if (g_get_monotonic_time () > _deadline) \
          g_error ("%s:%d: timed out after %d s waiting for %s", \
                   __FILE__, __LINE__, (int) (seconds), #cond); \
        fws_test_iterate (); \
      } \
  } G_STMT_END

/* One non-blocking-ish iteration (blocks at most 50 ms). */
void        fws_test_iterate           (void);

/* Runs the context for @msec milliseconds. */
void        fws_test_run_for           (guint msec);

/* Hex string ("81 05 48 65") to bytes. */
GBytes     *fws_test_hex              (const char *hex);
/* Asserts that @bytes (@len) equal @hex, printing both in hex otherwise. */
void        fws_test_assert_hex       (const guint8 *bytes,
                                       gsize         len,
                                       const char   *hex);

/* ---- Raw frames ---- */

/* One RFC 6455 frame, built here independently of the codec under test:
 * @first_byte is FIN | RSV1-3 | opcode (0x81 a final text frame); with @mask
 * (nullable, 4 bytes) the MASK bit is set and @payload goes out masked with
 * it, as a client sends it. The length takes 7, 16 or 64 bits as needed. */
GBytes     *fws_test_frame            (guint8        first_byte,
                                       const guint8 *mask,
                                       const void   *payload,
                                       gsize         len);
/* A final close frame (0x88) whose body is @code in two bytes followed by
 * @reason (nullable); an empty close is fws_test_frame (0x88, mask, NULL, 0). */
GBytes     *fws_test_close_frame      (const guint8 *mask,
                                       guint16       code,
                                       const char   *reason);

/* A listening socket on 127.0.0.1 at a free port (backlog 4096). */
GSocket    *fws_test_listen_socket     (guint *port);

/* Adds fws_test_listen_socket () to @listener (a raw or special listener
 * a test needs; a WebSocket or EventSource server is fws_test_server_start);
 * returns the port. */
guint16     fws_test_listen_loopback   (GSocketListener *listener);

/* A TCP port on 127.0.0.1 that was free a moment ago (nothing listens). */
guint16     fws_test_free_port         (void);

/* Spawns @argv (with stdout piped); waits up to @seconds for a line that
 * starts with @ready_prefix and returns it (newly allocated) in @ready_line.
 * The returned subprocess is killed by fws_test_subprocess_stop(). */
GSubprocess *fws_test_spawn_until_line (const char * const *argv,
                                        const char          *ready_prefix,
                                        guint                seconds,
                                        char               **ready_line);
void         fws_test_subprocess_stop  (GSubprocess *proc);

/* ---- One server, either door ---- */

/* How requests reach the server classes: a SoupServer handler, or a
 * GSocketService whose connections are read with fws_request_read_async. */
typedef enum
{
  FWS_TEST_DOOR_SOUP,
  FWS_TEST_DOOR_STREAM,
} FwsTestDoor;

/* A request as a test handler sees it, from either door. */
typedef struct _FwsTestRequest FwsTestRequest;
typedef void (*FwsTestHandler) (FwsTestRequest *request,
                                gpointer        user_data);
typedef struct _FwsTestServer FwsTestServer;

/* Listens on 127.0.0.1 at a free port (backlog 4096); with @cert (nullable)
 * over TLS. */
FwsTestServer      *fws_test_server_start       (FwsTestDoor      door,
                                                 GTlsCertificate *cert,
                                                 FwsTestHandler   handler,
                                                 gpointer         user_data);
guint               fws_test_server_get_port    (FwsTestServer   *server);
FwsTestDoor         fws_test_server_get_door    (FwsTestServer   *server);
/* Stream door: heads that could not be read (the last error, nullable). */
guint               fws_test_server_get_failed_reads (FwsTestServer *server,
                                                      const GError **last);
void                fws_test_server_stop        (FwsTestServer   *server);

const char         *fws_test_request_get_path   (FwsTestRequest  *request);
/* Soup door: the message, for what only libsoup does (else NULL). */
SoupServerMessage  *fws_test_request_get_message (FwsTestRequest *request);
SoupMessageHeaders *fws_test_request_get_headers (FwsTestRequest *request);
gboolean            fws_test_request_is_websocket    (FwsTestRequest *request);
gboolean            fws_test_request_is_event_source (FwsTestRequest *request);
/* fws_web_socket_accept or fws_web_socket_accept_request; likewise below. */
gboolean            fws_test_request_accept_web_socket   (FwsTestRequest  *request,
                                                          FwsWebSocket    *ws,
                                                          GError         **error);
gboolean            fws_test_request_accept_event_source (FwsTestRequest  *request,
                                                          FwsEventSource  *es,
                                                          GError         **error);
FwsEventSource     *fws_test_request_new_event_source    (FwsTestRequest  *request,
                                                          GError         **error);
/* fws_web_socket_new or fws_web_socket_new_for_request. */
FwsWebSocket       *fws_test_request_new_web_socket      (FwsTestRequest      *request,
                                                          const char * const  *protocols,
                                                          GError             **error);
/* Answers 404 to a request that is not a WebSocket handshake; returns
 * whether it was one (a handler that serves WebSocket only starts with it). */
gboolean            fws_test_request_expect_websocket (FwsTestRequest *request);
/* Answers with @status and no body (what a handler does for a request it
 * does not take over). */
void                fws_test_request_respond    (FwsTestRequest  *request,
                                                 guint            status);

/* ---- One event recorder (test-events.c) ---- */

/* What a WebSocket's signals reported. */
typedef struct
{
  guint       opens;
  guint       errors;
  guint       closes;
  GError     *error;          /* the last one */
  guint       close_code;     /* of the last close */
  char       *close_reason;
  GPtrArray  *messages;       /* of GBytes */
  GArray     *types;          /* of FwsMessageType, one per message */
  gboolean    echo;           /* send every message back */
} FwsTestEvents;

/* With @echo, every message is sent back. */
FwsTestEvents *fws_test_events_new   (gboolean       echo);
void           fws_test_events_free  (FwsTestEvents *events);
/* Forgets what was recorded (the echo setting stays). */
void           fws_test_events_clear (FwsTestEvents *events);
/* Connects @events to the signals of @ws. */
void           fws_test_events_watch (FwsTestEvents *events,
                                      FwsWebSocket  *ws);
/* Closes @ws with 1000 unless it is closing already, and waits up to
 * @seconds for @events to record its close. */
void           fws_test_events_close (FwsTestEvents *events,
                                      gpointer       ws,
                                      guint          seconds);
/* Disconnects @events from the WebSocket at @ws_ptr (an FwsWebSocket **, or
 * of a subclass; nothing if NULL), drops it and forgets what @events recorded,
 * for a test that goes on with another WebSocket. */
void           fws_test_events_release (FwsTestEvents *events,
                                        gpointer       ws_ptr);
/* Takes @request over into a new server-side FwsWebSocket
 * (fws_test_request_new_web_socket, no subprotocols) watched by @events. */
FwsWebSocket  *fws_test_request_take_web_socket (FwsTestRequest *request,
                                                 FwsTestEvents  *events);
/* Asserts that every message recorded so far is of @type. */
void           fws_test_events_assert_types (FwsTestEvents  *events,
                                             FwsMessageType  type);

/* What an EventSource's signals reported. "close" must find it CLOSED, and
 * neither signal may come while @in_call is set (a test sets it around a
 * call that must not emit synchronously). */
typedef struct
{
  guint          opens;
  guint          closes;
  FwsReadyState  state_at_open;  /* at the last open */
  gboolean       in_call;
} FwsTestSourceEvents;

void           fws_test_source_events_watch (FwsTestSourceEvents *events,
                                             FwsEventSource      *es);

G_END_DECLS
