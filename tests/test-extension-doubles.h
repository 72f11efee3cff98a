/* test-extension-doubles.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A configurable FwsExtension written in C, as an application would, for
 * the websocket-extensions spec ports (its "deflate", "tar" and "reverse"
 * doubles) and for a toy "x-reverse" extension that reverses the bytes of
 * every message and marks it with RSV2.
 */
#pragma once

#include <fws-glib/fws-glib.h>

G_BEGIN_DECLS

#define TEST_TYPE_EXT (test_ext_get_type ())
G_DECLARE_FINAL_TYPE (TestExt, test_ext, TEST, EXT, GObject)

struct _TestExt
{
  GObject             parent_instance;

  char               *name;
  FwsReservedBits     rsv;

  /* behaviour */
  gboolean            no_client_session;   /* create_client_session gives NULL */
  gboolean            no_server_session;   /* create_server_session gives NULL */
  GPtrArray          *offers;              /* of FwsExtensionParams; NULL: no offer */
  FwsExtensionParams *response;            /* NULL: an empty response */
  gboolean            refuse_activation;
  gboolean            fail_incoming;
  gboolean            fail_outgoing;
  gboolean            reverse;             /* reverse payloads carrying our RSV bit */
  GPtrArray          *log;                 /* (nullable) (unowned): "name:in", "name:out", ... */

  /* what happened */
  guint               n_client_sessions;
  guint               n_server_sessions;
  guint               n_offers_generated;
  guint               n_responses_generated;
  guint               n_closed;
  GPtrArray          *server_offers;       /* of FwsExtensionParams given to create_server_session */
  FwsExtensionParams *activated;           /* given to activate */
};

TestExt *test_ext_new        (const char      *name,
                              FwsReservedBits  rsv,
                              GPtrArray       *log);
/* Appends an offer ("key" or "key=value" pairs, NULL-terminated). */
void     test_ext_add_offer  (TestExt         *ext,
                              const char      *first_key,
                              ...) G_GNUC_NULL_TERMINATED;
/* Sets the server's response the same way. */
void     test_ext_set_response (TestExt       *ext,
                                const char    *first_key,
                                ...) G_GNUC_NULL_TERMINATED;

/* "a; b=1, c" as the test's log would show a parsed header. */
char    *test_params_describe (FwsExtensionParams *params);

G_END_DECLS
