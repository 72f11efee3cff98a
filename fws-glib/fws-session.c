/* fws-session.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A SoupSession's share in the clients' connections (see
 * fws-session-private.h).
 */
#include "config.h"

#include "fws-session-private.h"

#include <string.h>

void
fws_session_connector_options (SoupSession               *session,
                               const FwsConnectorOptions *own,
                               FwsConnectorOptions       *out)
{
  g_return_if_fail (session == NULL || SOUP_IS_SESSION (session));
  g_return_if_fail (own != NULL && out != NULL);

  *out = *own;
  if (session == NULL)
    return;
  if (own->tls_database == NULL && own->tls_ca_files == NULL)
    out->tls_database = soup_session_get_tls_database (session);
  if ((own->proxy == NULL || *own->proxy == '\0') && own->use_system_proxy && own->proxy_resolver == NULL)
    {
      out->proxy_resolver = soup_session_get_proxy_resolver (session);
      if (out->proxy_resolver == NULL)
        out->use_system_proxy = FALSE;
    }
}

static SoupCookieJar *
session_jar (SoupSession *session)
{
  if (session == NULL)
    return NULL;
  return (SoupCookieJar *) soup_session_get_feature (session, SOUP_TYPE_COOKIE_JAR);
}

/* The URL the jar sees: ws:// as http://, wss:// as https://, and the
 * path "/" when it is empty, as in the request line. */
static GUri *
http_uri (GUri *uri)
{
  const char *scheme = g_uri_get_scheme (uri);
  const char *path = g_uri_get_path (uri);

  if (g_ascii_strcasecmp (scheme, "ws") == 0)
    scheme = "http";
  else if (g_ascii_strcasecmp (scheme, "wss") == 0)
    scheme = "https";
  return g_uri_build (g_uri_get_flags (uri), scheme, NULL, g_uri_get_host (uri), g_uri_get_port (uri),
                      *path != '\0' ? path : "/", g_uri_get_query (uri), NULL);
}

SoupMessageHeaders *
fws_session_request_headers (SoupSession        *session,
                             GUri               *uri,
                             SoupMessageHeaders *extra,
                             gboolean            drop_own_cookie)
{
  SoupCookieJar *jar = session_jar (session);
  SoupMessageHeaders *out = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autoptr(GString) cookie = g_string_new (NULL);
  const char *agent = session ? soup_session_get_user_agent (session) : NULL;
  gboolean own_agent = FALSE;
  SoupMessageHeadersIter iter;
  const char *name, *value;

  g_return_val_if_fail (session == NULL || SOUP_IS_SESSION (session), NULL);
  g_return_val_if_fail (uri != NULL, NULL);

  if (jar != NULL)
    {
      g_autoptr(GUri) lookup = http_uri (uri);
      GSList *cookies = soup_cookie_jar_get_cookie_list_with_same_site_info (jar, lookup, lookup, lookup,
                                                                            TRUE, TRUE, FALSE);

      if (cookies != NULL)
        {
          g_autofree char *header = soup_cookies_to_cookie_header (cookies);

          g_string_append (cookie, header);
          soup_cookies_free (cookies);
        }
    }

  if (extra != NULL)
    {
      soup_message_headers_iter_init (&iter, extra);
      while (soup_message_headers_iter_next (&iter, &name, &value))
        {
          if (g_ascii_strcasecmp (name, "Cookie") == 0)
            {
              if (drop_own_cookie || *value == '\0')
                continue;
              if (cookie->len > 0)
                g_string_append (cookie, "; ");
              g_string_append (cookie, value);
              continue;
            }
          if (g_ascii_strcasecmp (name, "User-Agent") == 0)
            own_agent = TRUE;
          soup_message_headers_append (out, name, value);
        }
    }

  if (cookie->len > 0)
    soup_message_headers_append (out, "Cookie", cookie->str);
  if (!own_agent && agent != NULL && *agent != '\0')
    soup_message_headers_append (out, "User-Agent", agent);

  soup_message_headers_iter_init (&iter, out);
  if (!soup_message_headers_iter_next (&iter, &name, &value))
    g_clear_pointer (&out, soup_message_headers_unref);
  return out;
}

void
fws_session_store_cookies (SoupSession        *session,
                           GUri               *uri,
                           SoupMessageHeaders *response)
{
  SoupCookieJar *jar = session_jar (session);
  g_autoptr(GUri) origin = NULL;
  SoupMessageHeadersIter iter;
  const char *name, *value;

  g_return_if_fail (uri != NULL);

  if (jar == NULL || response == NULL || soup_cookie_jar_get_accept_policy (jar) == SOUP_COOKIE_JAR_ACCEPT_NEVER)
    return;
  origin = http_uri (uri);
  soup_message_headers_iter_init (&iter, response);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    if (g_ascii_strcasecmp (name, "Set-Cookie") == 0)
      soup_cookie_jar_set_cookie_with_first_party (jar, origin, origin, value);
}
