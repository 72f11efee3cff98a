/* test-fake-proxy.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A proxy on 127.0.0.1 that the tests control: HTTP CONNECT (optionally
 * over TLS, i.e. an https:// proxy) or SOCKS5. It records every request,
 * and either tunnels to 127.0.0.1, answers with canned bytes, or says
 * nothing at all.
 */
#pragma once

#include "test-utils.h"

G_BEGIN_DECLS

typedef enum
{
  FWS_FAKE_PROXY_HTTP,
  FWS_FAKE_PROXY_SOCKS5,
} FwsFakeProxyKind;

typedef struct _FwsFakeProxyPrivate FwsFakeProxyPrivate;

typedef struct
{
  FwsFakeProxyKind  kind;
  guint16           port;

  /* Behaviour; set before a client connects. */
  GTlsCertificate  *tls_certificate;  /* speak TLS to the client */
  char             *answer;           /* HTTP: answer this and close */
  gboolean          silent;           /* read the request, never answer */
  gboolean          extra_bytes;      /* HTTP: send bytes after the 200 */
  guint16           target_port;      /* tunnel to 127.0.0.1:target_port
                                       * (0: the port asked for) */

  /* What happened. */
  guint             connections;
  GPtrArray        *requests;         /* of char *: the HTTP heads, or
                                       * "host:port" for SOCKS5 */

  FwsFakeProxyPrivate *priv;
} FwsFakeProxy;

FwsFakeProxy *fws_fake_proxy_new  (FwsFakeProxyKind  kind);
/* Stops listening, cuts every connection and waits (bounded) for them. */
void          fws_fake_proxy_free (FwsFakeProxy     *proxy);

G_END_DECLS
