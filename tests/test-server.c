/* test-server.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One test server, either door (declared in test-utils.h): tests of the
 * server classes run their bodies through a SoupServer and through a
 * GSocketService read with FwsRequest.
 */
#include "test-utils.h"

/* ---- One server, either door ---- */

struct _FwsTestRequest
{
  SoupServerMessage *msg;      /* the soup door */
  FwsRequest        *request;  /* the stream door */
};

struct _FwsTestServer
{
  FwsTestDoor      door;
  GTlsCertificate *cert;
  FwsTestHandler   handler;
  gpointer         user_data;
  guint            port;
  SoupServer      *soup;
  GSocketService  *service;
  guint            failed_reads;
  GError          *last_read_error;
  guint            reads_pending;
};

/* A SoupServer listening on 127.0.0.1 at a free port (backlog 4096), with
 * @cert (nullable) over TLS. */
static SoupServer *
listen_soup_server (GTlsCertificate *cert,
                    guint           *port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) sock = fws_test_listen_socket (port);
  SoupServer *soup = cert != NULL ? soup_server_new ("tls-certificate", cert, NULL)
                                  : soup_server_new (NULL, NULL);

  soup_server_listen_socket (soup, sock, cert != NULL ? SOUP_SERVER_LISTEN_HTTPS : 0, &error);
  g_assert_no_error (error);
  return soup;
}

static void
soup_handler (SoupServer *soup, SoupServerMessage *msg, const char *path,
              GHashTable *query, gpointer user_data)
{
  FwsTestServer *server = user_data;
  FwsTestRequest request = { msg, NULL };

  server->handler (&request, server->user_data);
}

static void
request_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FwsTestServer *server = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(FwsRequest) req = fws_request_read_finish (result, &error);

  server->reads_pending--;
  if (req == NULL)
    {
      server->failed_reads++;
      g_clear_error (&server->last_read_error);
      server->last_read_error = g_steal_pointer (&error);
    }
  else
    {
      FwsTestRequest request = { NULL, req };

      server->handler (&request, server->user_data);
    }
}

static gboolean
incoming_cb (GSocketService *service, GSocketConnection *connection,
             GObject *source, gpointer user_data)
{
  FwsTestServer *server = user_data;
  g_autoptr(GIOStream) stream = NULL;

  if (server->cert != NULL)
    {
      g_autoptr(GError) error = NULL;

      stream = G_IO_STREAM (g_tls_server_connection_new (G_IO_STREAM (connection), server->cert, &error));
      g_assert_no_error (error);
    }
  else
    stream = G_IO_STREAM (g_object_ref (connection));
  server->reads_pending++;
  fws_request_read_async (stream, 0, NULL, request_read_cb, server);
  return TRUE;
}

FwsTestServer *
fws_test_server_start (FwsTestDoor      door,
                       GTlsCertificate *cert,
                       FwsTestHandler   handler,
                       gpointer         user_data)
{
  FwsTestServer *server = g_new0 (FwsTestServer, 1);

  server->door = door;
  server->cert = cert ? g_object_ref (cert) : NULL;
  server->handler = handler;
  server->user_data = user_data;
  if (door == FWS_TEST_DOOR_SOUP)
    {
      server->soup = listen_soup_server (cert, &server->port);
      soup_server_add_handler (server->soup, NULL, soup_handler, server, NULL);
    }
  else
    {
      server->service = g_socket_service_new ();
      server->port = fws_test_listen_loopback (G_SOCKET_LISTENER (server->service));
      g_signal_connect (server->service, "incoming", G_CALLBACK (incoming_cb), server);
      g_socket_service_start (server->service);
    }
  return server;
}

guint
fws_test_server_get_port (FwsTestServer *server)
{
  return server->port;
}

FwsTestDoor
fws_test_server_get_door (FwsTestServer *server)
{
  return server->door;
}

guint
fws_test_server_get_failed_reads (FwsTestServer *server,
                                  const GError **last)
{
  if (last != NULL)
    *last = server->last_read_error;
  return server->failed_reads;
}

void
fws_test_server_stop (FwsTestServer *server)
{
  if (server == NULL)
    return;
  if (server->soup != NULL)
    {
      soup_server_disconnect (server->soup);
      g_clear_object (&server->soup);
    }
  if (server->service != NULL)
    {
      g_socket_service_stop (server->service);
      g_socket_listener_close (G_SOCKET_LISTENER (server->service));
      g_clear_object (&server->service);
    }
  /* A read still under way calls back into @server: let it finish. */
  fws_test_wait_until (server->reads_pending == 0, 15);
  g_clear_object (&server->cert);
  g_clear_error (&server->last_read_error);
  g_free (server);
}

SoupServerMessage *
fws_test_request_get_message (FwsTestRequest *request)
{
  return request->msg;
}

const char *
fws_test_request_get_path (FwsTestRequest *request)
{
  if (request->msg != NULL)
    return g_uri_get_path (soup_server_message_get_uri (request->msg));
  return fws_request_get_path (request->request);
}

SoupMessageHeaders *
fws_test_request_get_headers (FwsTestRequest *request)
{
  if (request->msg != NULL)
    return soup_server_message_get_request_headers (request->msg);
  return fws_request_get_headers (request->request);
}

gboolean
fws_test_request_is_websocket (FwsTestRequest *request)
{
  if (request->msg != NULL)
    return fws_web_socket_is_websocket_request (request->msg);
  return fws_request_is_websocket (request->request);
}

gboolean
fws_test_request_is_event_source (FwsTestRequest *request)
{
  if (request->msg != NULL)
    return fws_event_source_is_event_source_request (request->msg);
  return fws_request_is_event_source (request->request);
}

gboolean
fws_test_request_accept_web_socket (FwsTestRequest  *request,
                                    FwsWebSocket    *ws,
                                    GError         **error)
{
  if (request->msg != NULL)
    return fws_web_socket_accept (ws, request->msg, error);
  return fws_web_socket_accept_request (ws, request->request, error);
}

gboolean
fws_test_request_accept_event_source (FwsTestRequest  *request,
                                      FwsEventSource  *es,
                                      GError         **error)
{
  if (request->msg != NULL)
    return fws_event_source_accept (es, request->msg, error);
  return fws_event_source_accept_request (es, request->request, error);
}

FwsEventSource *
fws_test_request_new_event_source (FwsTestRequest  *request,
                                   GError         **error)
{
  if (request->msg != NULL)
    return fws_event_source_new (request->msg, error);
  return fws_event_source_new_for_request (request->request, error);
}

FwsWebSocket *
fws_test_request_new_web_socket (FwsTestRequest      *request,
                                 const char * const  *protocols,
                                 GError             **error)
{
  if (request->msg != NULL)
    return fws_web_socket_new (request->msg, protocols, error);
  return fws_web_socket_new_for_request (request->request, protocols, error);
}

void
fws_test_request_respond (FwsTestRequest *request,
                          guint           status)
{
  g_autoptr(GError) error = NULL;

  if (request->msg != NULL)
    {
      soup_server_message_set_status (request->msg, status, NULL);
      return;
    }
  fws_request_respond (request->request, status, NULL, NULL, &error);
  g_assert_no_error (error);
}

gboolean
fws_test_request_expect_websocket (FwsTestRequest *request)
{
  if (fws_test_request_is_websocket (request))
    return TRUE;
  fws_test_request_respond (request, SOUP_STATUS_NOT_FOUND);
  return FALSE;
}
