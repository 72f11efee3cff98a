/* test-tls-utils.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Certificates the TLS tests make for themselves with certtool (gnutls-bin),
 * in a temporary directory (fws_test_server_start serves with them).
 */
#pragma once

#include "test-utils.h"

G_BEGIN_DECLS

typedef struct
{
  char *dir;

  char *ca;              /* "fws-glib test CA" */
  char *ca2;             /* a second, unrelated CA */

  /* Signed by ca, for localhost and 127.0.0.1, valid now. */
  char *server_cert, *server_key;
  /* Signed by ca, for localhost and 127.0.0.1, expired in 2002. */
  char *expired_cert, *expired_key;
  /* Signed by ca, for other.example only. */
  char *other_cert, *other_key;
  /* Signed by ca2, for localhost and 127.0.0.1. */
  char *server2_cert, *server2_key;
  /* Signed by ca, for TLS client authentication. */
  char *client_cert, *client_key;
} FwsTestCerts;

/* Makes every certificate above. Fails the test, saying what to install,
 * when certtool is missing or TLS is not available. */
FwsTestCerts    *fws_test_certs_new    (void);
void             fws_test_certs_free   (FwsTestCerts *certs);

GTlsCertificate *fws_test_certs_load   (const char *cert_file,
                                        const char *key_file);

/* Fails the test when GIO has no TLS backend (glib-networking). */
void             fws_test_assert_tls_backend (void);

/* Runs @argv to completion (at most @seconds), failing the test if it
 * cannot be started or exits with a non-zero status. */
void             fws_test_run_command    (const char * const *argv,
                                          guint               seconds);

G_END_DECLS
