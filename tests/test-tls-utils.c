/* test-tls-utils.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-tls-utils.h"

#include <errno.h>
#include <glib/gstdio.h>

#define CERTTOOL "certtool"

typedef struct
{
  gboolean  done;
  char     *output;
} Command;

static void
communicated_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Command *cmd = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), res, &cmd->output, NULL, NULL);
  cmd->done = TRUE;
}

void
fws_test_run_command (const char * const *argv,
                      guint               seconds)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  Command cmd = { FALSE, NULL };
  gint64 deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;

  /* Our stdout is TAP: the command's output is shown only if it fails. */
  proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE, &error);
  if (proc == NULL)
    g_error ("could not run %s: %s", argv[0], error->message);
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, communicated_cb, &cmd);
  while (!cmd.done)
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_subprocess_force_exit (proc);
          g_error ("%s did not finish within %u s", argv[0], seconds);
        }
      fws_test_iterate ();
    }
  fws_test_wait_until (g_subprocess_get_if_exited (proc) || g_subprocess_get_if_signaled (proc), seconds);
  if (!g_subprocess_get_successful (proc))
    g_error ("%s %s failed (exit status %d):\n%s", argv[0], argv[1] ? argv[1] : "",
             g_subprocess_get_exit_status (proc), cmd.output ? cmd.output : "");
  g_free (cmd.output);
}

void
fws_test_assert_tls_backend (void)
{
  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    g_error ("GIO has no TLS backend: install glib-networking");
}

static char *
write_file (const char *dir,
            const char *name,
            const char *contents)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

static char *
make_key (const char *dir,
          const char *name)
{
  char *path = g_build_filename (dir, name, NULL);
  const char *argv[] = { CERTTOOL, "--generate-privkey", "--key-type=ecdsa", "--outfile", path, NULL };

  fws_test_run_command (argv, 30);
  return path;
}

/* A CA certificate (self-signed); returns its path, *@key_out its key. */
static char *
make_ca (const char  *dir,
         const char  *name,
         const char  *cn,
         char       **key_out)
{
  g_autofree char *base = g_strdup_printf ("%s-key.pem", name);
  g_autofree char *tmpl_name = g_strdup_printf ("%s.tmpl", name);
  g_autofree char *cert_name = g_strdup_printf ("%s.pem", name);
  g_autofree char *tmpl_text = g_strdup_printf ("cn = \"%s\"\nca\ncert_signing_key\nexpiration_days = 30\n", cn);
  g_autofree char *tmpl = write_file (dir, tmpl_name, tmpl_text);
  char *key = make_key (dir, base);
  char *cert = g_build_filename (dir, cert_name, NULL);
  const char *argv[] = { CERTTOOL, "--generate-self-signed", "--load-privkey", key,
                         "--template", tmpl, "--outfile", cert, NULL };

  fws_test_run_command (argv, 30);
  *key_out = key;
  return cert;
}

/* A leaf certificate signed by @ca / @ca_key. */
static char *
make_leaf (const char  *dir,
           const char  *name,
           const char  *ca,
           const char  *ca_key,
           const char  *tmpl_text,
           char       **key_out)
{
  g_autofree char *base = g_strdup_printf ("%s-key.pem", name);
  g_autofree char *tmpl_name = g_strdup_printf ("%s.tmpl", name);
  g_autofree char *cert_name = g_strdup_printf ("%s.pem", name);
  g_autofree char *tmpl = write_file (dir, tmpl_name, tmpl_text);
  char *key = make_key (dir, base);
  char *cert = g_build_filename (dir, cert_name, NULL);
  const char *argv[] = { CERTTOOL, "--generate-certificate", "--load-privkey", key,
                         "--load-ca-certificate", ca, "--load-ca-privkey", ca_key,
                         "--template", tmpl, "--outfile", cert, NULL };

  fws_test_run_command (argv, 30);
  *key_out = key;
  return cert;
}

static const char server_tmpl[] =
  "cn = \"localhost\"\n"
  "dns_name = \"localhost\"\n"
  "ip_address = \"127.0.0.1\"\n"
  "tls_www_server\n"
  "signing_key\n"
  "expiration_days = 30\n";

static const char expired_tmpl[] =
  "cn = \"localhost\"\n"
  "dns_name = \"localhost\"\n"
  "ip_address = \"127.0.0.1\"\n"
  "tls_www_server\n"
  "signing_key\n"
  "activation_date = \"2001-01-01 00:00:00 UTC\"\n"
  "expiration_date = \"2002-01-01 00:00:00 UTC\"\n";

static const char other_tmpl[] =
  "cn = \"other.example\"\n"
  "dns_name = \"other.example\"\n"
  "tls_www_server\n"
  "signing_key\n"
  "expiration_days = 30\n";

static const char client_tmpl[] =
  "cn = \"fws-glib test client\"\n"
  "tls_www_client\n"
  "signing_key\n"
  "expiration_days = 30\n";

FwsTestCerts *
fws_test_certs_new (void)
{
  g_autofree char *certtool = g_find_program_in_path (CERTTOOL);
  g_autofree char *ca_key = NULL;
  g_autofree char *ca2_key = NULL;
  FwsTestCerts *c;

  if (certtool == NULL)
    g_error ("the TLS tests make their certificates with certtool, which is not in PATH: "
             "install gnutls-bin");
  fws_test_assert_tls_backend ();

  c = g_new0 (FwsTestCerts, 1);
  /* Next to the test binary, one directory per program: a run that aborts
   * leaves it behind, and the next run writes over it. */
  {
    g_autofree char *program = g_path_get_basename (g_get_prgname ());
    g_autofree char *name = g_strdup_printf ("%s-certs", program);

    c->dir = g_test_build_filename (G_TEST_BUILT, name, NULL);
  }
  if (g_mkdir_with_parents (c->dir, 0700) != 0)
    g_error ("cannot make %s: %s", c->dir, g_strerror (errno));

  c->ca = make_ca (c->dir, "ca", "fws-glib test CA", &ca_key);
  c->ca2 = make_ca (c->dir, "ca2", "fws-glib second test CA", &ca2_key);
  c->server_cert = make_leaf (c->dir, "server", c->ca, ca_key, server_tmpl, &c->server_key);
  c->expired_cert = make_leaf (c->dir, "expired", c->ca, ca_key, expired_tmpl, &c->expired_key);
  c->other_cert = make_leaf (c->dir, "other", c->ca, ca_key, other_tmpl, &c->other_key);
  c->server2_cert = make_leaf (c->dir, "server2", c->ca2, ca2_key, server_tmpl, &c->server2_key);
  c->client_cert = make_leaf (c->dir, "client", c->ca, ca_key, client_tmpl, &c->client_key);
  return c;
}

void
fws_test_certs_free (FwsTestCerts *c)
{
  GDir *dir;
  const char *name;

  if (c == NULL)
    return;
  dir = g_dir_open (c->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (c->dir, name, NULL);

      g_unlink (path);
    }
  g_clear_pointer (&dir, g_dir_close);
  g_rmdir (c->dir);
  g_free (c->dir);
  g_free (c->ca);
  g_free (c->ca2);
  g_free (c->server_cert);
  g_free (c->server_key);
  g_free (c->expired_cert);
  g_free (c->expired_key);
  g_free (c->other_cert);
  g_free (c->other_key);
  g_free (c->server2_cert);
  g_free (c->server2_key);
  g_free (c->client_cert);
  g_free (c->client_key);
  g_free (c);
}

GTlsCertificate *
fws_test_certs_load (const char *cert_file,
                     const char *key_file)
{
  g_autoptr(GError) error = NULL;
  GTlsCertificate *cert = g_tls_certificate_new_from_files (cert_file, key_file, &error);

  g_assert_no_error (error);
  return cert;
}
