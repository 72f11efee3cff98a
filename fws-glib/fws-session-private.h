/* fws-session-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What the clients take from a SoupSession (their `session` property):
 * its cookie jar, its user agent, its TLS database and its proxy resolver.
 * Every function accepts a NULL @session and then does nothing (or gives
 * back the client's own).
 *
 * Cookies are looked up and stored as for the http:// (ws://) or https://
 * (wss://) URL of the request, with that URL as the first party: the
 * client's request is the application's own, as the session's messages
 * are.
 */
#pragma once

#include <libsoup/soup.h>

#include "fws-connector-private.h"

G_BEGIN_DECLS

/* Fills @out with the options to connect with: @own, but the session's
 * TLS database when @own has neither tls_database nor tls_ca_files, and
 * the session's proxy resolver when @own has no proxy and use_system_proxy
 * is set (a session whose proxies are turned off: a direct connection).
 * @out borrows from @own and @session: hand it to the connector (which
 * copies it) before either changes, and never clear it. */
void                fws_session_connector_options (SoupSession               *session,
                                                   const FwsConnectorOptions *own,
                                                   FwsConnectorOptions       *out);

/* The extra headers of a request to @uri: the lines of @extra (nullable)
 * but its Cookie lines, then one Cookie line with the jar's cookies for
 * @uri followed by @extra's own cookies (left out when @drop_own_cookie:
 * a redirect to another origin), then User-Agent with the session's user
 * agent unless @extra has one. NULL when nothing is left. */
SoupMessageHeaders *fws_session_request_headers   (SoupSession               *session,
                                                   GUri                      *uri,
                                                   SoupMessageHeaders        *extra,
                                                   gboolean                   drop_own_cookie);

/* Stores each Set-Cookie line of @response, the answer to a request to
 * @uri, in the session's jar (the jar's accept policy applies). */
void                fws_session_store_cookies     (SoupSession               *session,
                                                   GUri                      *uri,
                                                   SoupMessageHeaders        *response);

G_END_DECLS
