/* test-extensions.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The extension framework, sans I/O: websocket-extensions' parser_spec and
 * extensions_spec (BEHAVIOUR.md 6.7, 6.8), with the test doubles written in
 * C against the public FwsExtension / FwsExtensionSession interfaces.
 */
#include "test-utils.h"
#include "test-extension-doubles.h"

#include <string.h>

#include "fws-extensions-private.h"

/* ---- 6.7 parser ---- */

/* The parsed header as "name{key: value, ...}" joined with " | ". */
static char *
describe_header (const char *header)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) offers = fws_extensions_parse_header (header, &error);
  GString *out;

  if (offers == NULL)
    {
      g_assert_error (error, FWS_ERROR, FWS_ERROR_EXTENSION);
      return g_strdup_printf ("error: %s", error->message);
    }
  g_assert_no_error (error);
  out = g_string_new (NULL);
  for (guint i = 0; i < offers->len; i++)
    {
      FwsExtensionOffer *o = offers->pdata[i];
      g_autofree char *params = test_params_describe (o->params);

      if (i > 0)
        g_string_append (out, " | ");
      g_string_append_printf (out, "%s%s", o->name, params);
    }
  return g_string_free (out, FALSE);
}

static void
assert_parses (const char *header,
               const char *expected)
{
  g_autofree char *got = describe_header (header);

  g_assert_cmpstr (got, ==, expected);
}

static void
test_parse_spec (void)
{
  g_test_summary ("parser_spec: empty and missing headers, offers, flags, typed and quoted values, "
                  "repeated keys and names, complex lists");
  assert_parses ("", "");
  assert_parses (NULL, "");
  assert_parses ("a,", "error: Invalid Sec-WebSocket-Extensions header: a,");
  assert_parses ("a", "a{}");
  assert_parses ("a, b", "a{} | b{}");
  assert_parses ("a, a", "a{} | a{}");
  assert_parses ("a; b", "a{b: true}");
  assert_parses ("a; b=1", "a{b: int64 1}");
  assert_parses ("a; b=\"hi, \\\"there\"", "a{b: 'hi, \"there'}");
  assert_parses ("a; b; c=1; d=\"hi\"", "a{b: true, c: int64 1, d: 'hi'}");
  assert_parses ("a; b; c=1; b=\"hi\"", "a{b: true, c: int64 1, b: 'hi'}");
  assert_parses ("a; b=1, c, b; d, c; e=\"hi, there\"; e, a; b",
                 "a{b: int64 1} | c{} | b{d: true} | c{e: 'hi, there', e: true} | a{b: true}");
}

static void
test_parse_duplicates (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) offers = fws_extensions_parse_header ("a; b; c=1; b=\"hi\"", &error);
  FwsExtensionParams *params = ((FwsExtensionOffer *) offers->pdata[0])->params;

  g_test_summary ("Repeated keys keep every value in order (the multimap); lookup gives the first");
  g_assert_cmpuint (fws_extension_params_count (params, "b"), ==, 2);
  g_assert_cmpuint (fws_extension_params_count (params, "c"), ==, 1);
  g_assert_cmpuint (fws_extension_params_count (params, "z"), ==, 0);
  g_assert_true (g_variant_get_boolean (fws_extension_params_lookup (params, "b")));
  g_assert_cmpstr (g_variant_get_string (fws_extension_params_get_value (params, 2), NULL), ==, "hi");
  g_assert_null (fws_extension_params_lookup (params, "z"));
}

static void
test_parse_values (void)
{
  g_test_summary ("Numbers become int64 or double as in websocket-extensions (also quoted); "
                  "other values stay text; quoted-pairs unescape per RFC 7230");
  assert_parses ("a; b=010", "a{b: '010'}");
  assert_parses ("a; b=-3", "a{b: int64 -3}");
  assert_parses ("a; b=0", "a{b: int64 0}");
  assert_parses ("a; b=1.5", "a{b: 1.5}");
  assert_parses ("a; b=1.", "a{b: '1.'}");
  assert_parses ("a; b=\"10\"", "a{b: int64 10}");
  assert_parses ("a; b=99999999999999999999", "a{b: '99999999999999999999'}");
  assert_parses ("a; b=X-Y", "a{b: 'X-Y'}");
  /* Departure: faye removed every backslash, so "\\" became nothing. */
  assert_parses ("a; b=\"x\\\\y\\z\"", "a{b: 'x\\\\yz'}");
  assert_parses ("a; b=\"tab\there\"", "a{b: 'tab\\there'}");
  assert_parses ("a; b=\"\"", "a{b: ''}");
}

static void
test_parse_whitespace (void)
{
  g_test_summary ("Optional whitespace (spaces or tabs) around separators and at the ends");
  assert_parses ("  a ;b =1 ,\tc\t; d  ", "a{b: int64 1} | c{d: true}");
  assert_parses ("permessage-deflate; client_max_window_bits",
                 "permessage-deflate{client_max_window_bits: true}");
}

static void
test_parse_invalid (void)
{
  static const char * const bad[] = {
    "x-webkit- -frame", ",", "a,,b", ", a", "a;", "a; ", "a; b=", "a; =1", "a; b=\"x",
    "a; b=\"x\\", "a; b=\"x\001\"", "a; b=\"x\"y", "\"a\"", "a b", "a; b c", "a; b=c d",
    "a; b=@", "a@", "a; b=\"x\"\"y\"",
  };

  g_test_summary ("Malformed headers are refused with the header in the message");
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) offers = fws_extensions_parse_header (bad[i], &error);
      g_autofree char *message = g_strdup_printf ("Invalid Sec-WebSocket-Extensions header: %s", bad[i]);

      if (offers != NULL)
        g_error ("'%s' was accepted", bad[i]);
      g_assert_error (error, FWS_ERROR, FWS_ERROR_EXTENSION);
      g_assert_cmpstr (error->message, ==, message);
    }
}

static void
test_parse_invalid_utf8 (void)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *offers;

  g_test_summary ("A quoted parameter that is not UTF-8 is a parse error (found by fuzz-extensions), "
                  "and the error message stays valid UTF-8");
  offers = fws_extensions_parse_header ("a; b=\"\x80\"", &error);
  g_assert_null (offers);
  g_assert_error (error, FWS_ERROR, FWS_ERROR_EXTENSION);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_clear_error (&error);
  /* Valid non-ASCII text in quotes is fine. */
  offers = fws_extensions_parse_header ("a; b=\"caf\xc3\xa9\"", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (offers->len, ==, 1);
  g_ptr_array_unref (offers);
}

static void
test_parse_redos (void)
{
  GString *s = g_string_new ("foo; bar=\"fooa");
  gint64 start, elapsed;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) offers = NULL;

  g_test_summary ("parser_spec: an unterminated quoted value of repeated backslash pairs is refused "
                  "quickly (CVE-2020-7663 / CVE-2020-7662 regression), also at 200,000 pairs");
  for (guint i = 0; i < 30; i++)
    g_string_append (s, "\\a");
  offers = fws_extensions_parse_header (s->str, &error);
  g_assert_null (offers);
  g_assert_error (error, FWS_ERROR, FWS_ERROR_EXTENSION);
  g_clear_error (&error);

  for (guint i = 0; i < 200000; i++)
    g_string_append (s, "\\a");
  start = g_get_monotonic_time ();
  for (guint round = 0; round < 10; round++)
    {
      offers = fws_extensions_parse_header (s->str, &error);
      g_assert_null (offers);
      g_assert_error (error, FWS_ERROR, FWS_ERROR_EXTENSION);
      g_clear_error (&error);
    }
  elapsed = g_get_monotonic_time () - start;
  /* Linear: ten passes over 400 KB take milliseconds (well under a second
   * even under valgrind); a backtracking parser would never finish. */
  g_assert_cmpint (elapsed, <, 5 * G_USEC_PER_SEC);
  g_string_free (s, TRUE);
}

/* ---- 6.7 serialisation ---- */

static void
assert_serializes (FwsExtensionParams *params,
                   const char         *expected)
{
  g_autofree char *got = fws_extensions_serialize ("a", params);

  g_assert_cmpstr (got, ==, expected);
}

static void
test_serialize_spec (void)
{
  g_autoptr(FwsExtensionParams) p = NULL;

  g_test_summary ("parser_spec serialize: empty, flag, unquoted, quoted, several and repeated params "
                  "(keys sorted, repeated keys in order)");
  p = fws_extension_params_new ();
  assert_serializes (p, "a");
  fws_extension_params_add_flag (p, "b");
  assert_serializes (p, "a; b");
  g_clear_pointer (&p, fws_extension_params_unref);

  p = fws_extension_params_new ();
  fws_extension_params_add_int (p, "b", 42);
  assert_serializes (p, "a; b=42");
  g_clear_pointer (&p, fws_extension_params_unref);

  p = fws_extension_params_new ();
  fws_extension_params_add_string (p, "b", "hi, there");
  assert_serializes (p, "a; b=\"hi, there\"");
  g_clear_pointer (&p, fws_extension_params_unref);

  p = fws_extension_params_new ();
  fws_extension_params_add_flag (p, "b");
  fws_extension_params_add_int (p, "c", 1);
  fws_extension_params_add_string (p, "d", "hi");
  assert_serializes (p, "a; b; c=1; d=hi");
  g_clear_pointer (&p, fws_extension_params_unref);

  p = fws_extension_params_new ();
  fws_extension_params_add_int (p, "c", 1);
  fws_extension_params_add_flag (p, "b");
  fws_extension_params_add_string (p, "b", "hi");
  assert_serializes (p, "a; b; b=hi; c=1");
  g_clear_pointer (&p, fws_extension_params_unref);
}

static void
test_serialize_round_trip (void)
{
  g_autoptr(FwsExtensionParams) p = fws_extension_params_new ();
  g_autoptr(GPtrArray) parsed = NULL;
  g_autofree char *text = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *to_string = NULL;

  g_test_summary ("Quotes and backslashes are escaped so that a value parses back unchanged; "
                  "GVariant values of any integer width are kept as int64; to_string");
  fws_extension_params_add_string (p, "q", "say \"hi\" \\ bye");
  fws_extension_params_add (p, "w", g_variant_new_uint32 (7));
  fws_extension_params_add (p, "x", g_variant_new_double (2.5));
  fws_extension_params_add (p, "y", NULL);
  text = fws_extensions_serialize ("ext", p);
  g_assert_cmpstr (text, ==, "ext; q=\"say \\\"hi\\\" \\\\ bye\"; w=7; x=2.5; y");
  parsed = fws_extensions_parse_header (text, NULL);
  g_assert_nonnull (parsed);
  before = test_params_describe (p);
  after = test_params_describe (((FwsExtensionOffer *) parsed->pdata[0])->params);
  g_assert_cmpstr (before, ==, after);
  to_string = fws_extension_params_to_string (p);
  g_assert_cmpstr (to_string, ==, "q=\"say \\\"hi\\\" \\\\ bye\"; w=7; x=2.5; y");
}

static void
test_params_refuse_bad_keys (void)
{
  g_autoptr(FwsExtensionParams) p = fws_extension_params_new ();

  g_test_summary ("A key that is not a token, or a value with a control character, is a programming error");
  g_test_expect_message ("Fws", G_LOG_LEVEL_CRITICAL, "*fws_extension_token_is_valid*");
  fws_extension_params_add_flag (p, "a b");
  g_test_assert_expected_messages ();
  g_test_expect_message ("Fws", G_LOG_LEVEL_CRITICAL, "*control characters*");
  fws_extension_params_add_string (p, "a", "line\r\nbreak");
  g_test_assert_expected_messages ();
  g_assert_cmpuint (fws_extension_params_get_length (p), ==, 0);
}

/* ---- 6.8 extensions_spec ---- */

typedef struct
{
  GPtrArray     *log;
  TestExt       *deflate;   /* rsv1 */
  TestExt       *tar;       /* rsv1: conflicts with deflate */
  TestExt       *reverse;   /* rsv2 */
  FwsExtensions *exts;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  f->log = g_ptr_array_new_with_free_func (g_free);
  f->deflate = test_ext_new ("deflate", FWS_RESERVED_BITS_RSV1, f->log);
  f->tar = test_ext_new ("tar", FWS_RESERVED_BITS_RSV1, f->log);
  f->reverse = test_ext_new ("reverse", FWS_RESERVED_BITS_RSV2, f->log);
  f->exts = fws_extensions_new ();
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->exts, fws_extensions_free);
  g_clear_object (&f->deflate);
  g_clear_object (&f->tar);
  g_clear_object (&f->reverse);
  g_ptr_array_unref (f->log);
}

static void
add (Fixture *f, TestExt *ext)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (fws_extensions_add (f->exts, FWS_EXTENSION (ext), &error));
  g_assert_no_error (error);
}

static void
assert_log (Fixture *f, const char * const *expected)
{
  guint n = g_strv_length ((char **) expected);

  g_assert_cmpuint (f->log->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (f->log->pdata[i], ==, expected[i]);
}

#define LOG(...) assert_log (f, (const char *[]) { __VA_ARGS__, NULL })

static void
test_add_valid (Fixture *f, gconstpointer data)
{
  g_test_summary ("add: does not refuse valid extensions; get_rsv masks stray bits");
  add (f, f->deflate);
  add (f, f->reverse);
  g_assert_cmpuint (fws_extensions_get_n_registered (f->exts), ==, 2);
  f->tar->rsv = FWS_RESERVED_BITS_RSV3 | 0x0F;
  g_assert_cmpuint (fws_extension_get_rsv (FWS_EXTENSION (f->tar)), ==, FWS_RESERVED_BITS_RSV3);
}

static void
test_add_invalid (Fixture *f, gconstpointer data)
{
  static const char * const names[] = { "", "two words", "quote\"d", "semi;colon" };
  g_autoptr(GError) error = NULL;

  g_test_summary ("add: refuses a name that is not a token, and a name already registered "
                  "(the spec's TypeErrors; RSV flags are typed, so they cannot be non-boolean)");
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(TestExt) bad = test_ext_new (names[i], 0, NULL);

      g_assert_false (fws_extensions_add (f->exts, FWS_EXTENSION (bad), &error));
      g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }
  {
    g_autoptr(TestExt) unnamed = test_ext_new (NULL, 0, NULL);

    g_assert_false (fws_extensions_add (f->exts, FWS_EXTENSION (unnamed), &error));
    g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
  }
  add (f, f->deflate);
  {
    g_autoptr(TestExt) again = test_ext_new ("deflate", FWS_RESERVED_BITS_RSV3, NULL);

    g_assert_false (fws_extensions_add (f->exts, FWS_EXTENSION (again), &error));
    g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
    g_assert_cmpstr (error->message, ==, "An extension with name “deflate” is already registered");
  }
  g_assert_cmpuint (fws_extensions_get_n_registered (f->exts), ==, 1);
}

static char *
offer (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  char *offer = fws_extensions_generate_offer (f->exts, &error);

  g_assert_no_error (error);
  return offer;
}

static void
test_client_offer_sessions (Fixture *f, gconstpointer data)
{
  g_autofree char *o = NULL;

  g_test_summary ("client generate_offer: one client session per extension, one offer per session; "
                  "no offer asked of an extension that built no session");
  add (f, f->deflate);
  add (f, f->reverse);
  f->reverse->no_client_session = TRUE;
  test_ext_add_offer (f->deflate, "mode=compress", NULL);
  o = offer (f);
  g_assert_cmpuint (f->deflate->n_client_sessions, ==, 1);
  g_assert_cmpuint (f->deflate->n_offers_generated, ==, 1);
  g_assert_cmpuint (f->reverse->n_client_sessions, ==, 1);
  g_assert_cmpuint (f->reverse->n_offers_generated, ==, 0);
  g_assert_cmpstr (o, ==, "deflate; mode=compress");
}

static void
test_client_offer_null (Fixture *f, gconstpointer data)
{
  g_autofree char *o = NULL;

  g_test_summary ("client generate_offer: a null offer from the session gives no header at all");
  add (f, f->deflate);
  o = offer (f);
  g_assert_null (o);
}

static void
test_client_offer_multiple (Fixture *f, gconstpointer data)
{
  g_autofree char *o = NULL;

  g_test_summary ("client generate_offer: several offers from one session, in order");
  add (f, f->deflate);
  test_ext_add_offer (f->deflate, "mode=compress", NULL);
  test_ext_add_offer (f->deflate, NULL, NULL);
  o = offer (f);
  g_assert_cmpstr (o, ==, "deflate; mode=compress, deflate");
}

static void
test_client_offer_several_sessions (Fixture *f, gconstpointer data)
{
  g_autofree char *o = NULL;

  g_test_summary ("client generate_offer: offers from several sessions, in registration order");
  add (f, f->deflate);
  add (f, f->reverse);
  test_ext_add_offer (f->deflate, "mode=compress", NULL);
  test_ext_add_offer (f->reverse, "utf8", NULL);
  o = offer (f);
  g_assert_cmpstr (o, ==, "deflate; mode=compress, reverse; utf8");
}

static void
test_client_offer_conflicting (Fixture *f, gconstpointer data)
{
  g_autofree char *o = NULL;

  g_test_summary ("client generate_offer: offers potentially conflicting extensions too");
  add (f, f->deflate);
  add (f, f->tar);
  test_ext_add_offer (f->deflate, "mode=compress", NULL);
  test_ext_add_offer (f->tar, "gzip", NULL);
  o = offer (f);
  g_assert_cmpstr (o, ==, "deflate; mode=compress, tar; gzip");
}

/* deflate, tar and reverse registered and offered. */
static void
setup_client (Fixture *f, gconstpointer data)
{
  g_autofree char *o = NULL;

  setup (f, data);
  add (f, f->deflate);
  add (f, f->tar);
  add (f, f->reverse);
  test_ext_add_offer (f->deflate, "mode=compress", NULL);
  test_ext_add_offer (f->tar, "gzip", NULL);
  test_ext_add_offer (f->reverse, "utf8", NULL);
  o = offer (f);
  g_assert_cmpstr (o, ==, "deflate; mode=compress, tar; gzip, reverse; utf8");
}

static void
assert_activate_fails (Fixture *f, const char *header, const char *message)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (fws_extensions_activate (f->exts, header, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_EXTENSION);
  g_assert_cmpstr (error->message, ==, message);
}

static void
assert_activates (Fixture *f, const char *header)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (fws_extensions_activate (f->exts, header, &error));
  g_assert_no_error (error);
}

static void
test_activate_unknown (Fixture *f, gconstpointer data)
{
  g_test_summary ("client activate: refuses a response naming an unregistered extension");
  assert_activate_fails (f, "xml", "Server sent an extension response for unknown extension “xml”");
}

static void
test_activate_registered (Fixture *f, gconstpointer data)
{
  g_test_summary ("client activate: accepts a registered extension and claims its RSV bit");
  assert_activates (f, "deflate");
  g_assert_cmpuint (fws_extensions_get_rsv (f->exts), ==, FWS_RESERVED_BITS_RSV1);
  g_assert_cmpuint (fws_extensions_get_n_active (f->exts), ==, 1);
}

static void
test_activate_one_conflicting (Fixture *f, gconstpointer data)
{
  g_test_summary ("client activate: accepts only one of two potentially conflicting extensions");
  assert_activates (f, "tar");
}

static void
test_activate_conflict (Fixture *f, gconstpointer data)
{
  g_test_summary ("client activate: refuses two extensions that use the same RSV bit");
  assert_activate_fails (f, "deflate, tar",
                         "Server sent two extension responses that use the RSV1 bit: “deflate” and “tar”");
}

static void
test_activate_two (Fixture *f, gconstpointer data)
{
  g_test_summary ("client activate: accepts two non-conflicting extensions");
  assert_activates (f, "deflate, reverse");
  g_assert_cmpuint (fws_extensions_get_rsv (f->exts), ==, FWS_RESERVED_BITS_RSV1 | FWS_RESERVED_BITS_RSV2);
}

static void
test_activate_params (Fixture *f, gconstpointer data)
{
  g_autofree char *a = NULL;

  g_test_summary ("client activate: sessions get the response's parameters: none, a flag, a string; "
                  "several sessions each get their own; unnamed ones are not activated");
  assert_activates (f, "deflate");
  a = test_params_describe (f->deflate->activated);
  g_assert_cmpstr (a, ==, "{}");
  g_assert_null (f->reverse->activated);
}

static void
test_activate_flag (Fixture *f, gconstpointer data)
{
  g_autofree char *a = NULL;

  assert_activates (f, "deflate; gzip");
  a = test_params_describe (f->deflate->activated);
  g_assert_cmpstr (a, ==, "{gzip: true}");
}

static void
test_activate_string (Fixture *f, gconstpointer data)
{
  g_autofree char *a = NULL;

  assert_activates (f, "deflate; mode=compress");
  a = test_params_describe (f->deflate->activated);
  g_assert_cmpstr (a, ==, "{mode: 'compress'}");
}

static void
test_activate_multiple (Fixture *f, gconstpointer data)
{
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  assert_activates (f, "deflate; a, reverse; b");
  a = test_params_describe (f->deflate->activated);
  b = test_params_describe (f->reverse->activated);
  g_assert_cmpstr (a, ==, "{a: true}");
  g_assert_cmpstr (b, ==, "{b: true}");
  g_assert_null (f->tar->activated);
  /* The offered session nobody accepted is closed at once. */
  g_assert_cmpuint (f->tar->n_closed, ==, 1);
}

static void
test_activate_refused (Fixture *f, gconstpointer data)
{
  g_test_summary ("client activate: refuses parameters the session does not accept");
  f->deflate->refuse_activation = TRUE;
  assert_activate_fails (f, "deflate; x=\"a b\"",
                         "Server sent unacceptable extension parameters: deflate; x=\"a b\"");
}

static void
test_activate_not_offered (Fixture *f, gconstpointer data)
{
  g_autoptr(TestExt) quiet = test_ext_new ("quiet", 0, NULL);
  g_autofree char *o = NULL;

  g_test_summary ("client activate: refuses an extension it registered but did not offer, "
                  "and two responses for one extension");
  setup (f, data);
  add (f, f->deflate);
  add (f, quiet);
  test_ext_add_offer (f->deflate, NULL, NULL);
  o = offer (f);
  g_assert_cmpstr (o, ==, "deflate");
  assert_activate_fails (f, "quiet",
                         "Server sent an extension response for “quiet”, which the client did not offer");
  fws_extensions_free (f->exts);
  f->exts = fws_extensions_new ();
  add (f, f->reverse);
  f->reverse->rsv = 0;
  test_ext_add_offer (f->reverse, NULL, NULL);
  g_clear_pointer (&o, g_free);
  o = offer (f);
  assert_activate_fails (f, "reverse, reverse", "Server sent more than one extension response for “reverse”");
}

static void
test_activate_invalid_header (Fixture *f, gconstpointer data)
{
  g_test_summary ("client activate: a malformed response header fails");
  assert_activate_fails (f, "deflate; =", "Invalid Sec-WebSocket-Extensions header: deflate; =");
}

static GBytes *
str_bytes (const char *s)
{
  return g_bytes_new (s, strlen (s));
}

static gboolean
run_incoming (Fixture *f, GError **error)
{
  g_autoptr(GBytes) data = str_bytes ("data");
  g_autoptr(FwsExtensionMessage) m = fws_extension_message_new (FWS_MESSAGE_TYPE_TEXT, 0, data);

  return fws_extensions_process_incoming (f->exts, m, error);
}

static gboolean
run_outgoing (Fixture *f, GError **error)
{
  g_autoptr(GBytes) data = str_bytes ("data");
  g_autoptr(FwsExtensionMessage) m = fws_extension_message_new (FWS_MESSAGE_TYPE_TEXT, 0, data);

  return fws_extensions_process_outgoing (f->exts, m, error);
}

static void
test_incoming_order (Fixture *f, gconstpointer data)
{
  g_test_summary ("incoming: messages pass the sessions in the reverse of the server's order");
  assert_activates (f, "deflate, reverse");
  g_ptr_array_set_size (f->log, 0);
  g_assert_true (run_incoming (f, NULL));
  LOG ("reverse:in", "deflate:in");
}

static void
test_incoming_error (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_test_summary ("incoming: a session error is reported with the extension's name and stops the chain");
  assert_activates (f, "deflate, reverse");
  g_ptr_array_set_size (f->log, 0);
  f->reverse->fail_incoming = TRUE;
  g_assert_false (run_incoming (f, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "reverse: boom");
  LOG ("reverse:in");
}

static void
test_outgoing_order (Fixture *f, gconstpointer data)
{
  g_test_summary ("outgoing: messages pass the sessions in the server's order");
  assert_activates (f, "deflate, reverse");
  g_ptr_array_set_size (f->log, 0);
  g_assert_true (run_outgoing (f, NULL));
  LOG ("deflate:out", "reverse:out");
}

static void
test_outgoing_server_order (Fixture *f, gconstpointer data)
{
  g_test_summary ("outgoing: the server's order wins over the client's");
  assert_activates (f, "reverse, deflate");
  g_ptr_array_set_size (f->log, 0);
  g_assert_true (run_outgoing (f, NULL));
  LOG ("reverse:out", "deflate:out");
  g_ptr_array_set_size (f->log, 0);
  g_assert_true (run_incoming (f, NULL));
  LOG ("deflate:in", "reverse:in");
}

static void
test_outgoing_error (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_test_summary ("outgoing: a session error is reported with the extension's name and stops the chain");
  assert_activates (f, "deflate, reverse");
  g_ptr_array_set_size (f->log, 0);
  f->deflate->fail_outgoing = TRUE;
  g_assert_false (run_outgoing (f, &error));
  g_assert_cmpstr (error->message, ==, "deflate: boom");
  LOG ("deflate:out");
}

static void
test_close (Fixture *f, gconstpointer data)
{
  g_test_summary ("close: closes every session once; safe before negotiation and twice");
  fws_extensions_close (f->exts);
  g_clear_pointer (&f->exts, fws_extensions_free);
  f->exts = fws_extensions_new ();
  add (f, f->deflate);
  add (f, f->reverse);
  test_ext_add_offer (f->deflate, NULL, NULL);
  test_ext_add_offer (f->reverse, NULL, NULL);
  g_free (offer (f));
  assert_activates (f, "deflate, reverse");
  fws_extensions_close (f->exts);
  fws_extensions_close (f->exts);
  g_assert_cmpuint (f->deflate->n_closed, ==, 1);
  g_assert_cmpuint (f->reverse->n_closed, ==, 1);
}

/* Server side: deflate, tar, reverse registered. */
static void
setup_server (Fixture *f, gconstpointer data)
{
  setup (f, data);
  add (f, f->deflate);
  add (f, f->tar);
  add (f, f->reverse);
  test_ext_set_response (f->deflate, "mode=compress", NULL);
  test_ext_set_response (f->tar, "gzip", NULL);
  test_ext_set_response (f->reverse, "utf8", NULL);
}

static char *
respond (Fixture *f, const char *header)
{
  g_autoptr(GError) error = NULL;
  char *response = NULL;

  g_assert_true (fws_extensions_generate_response (f->exts, header, &response, &error));
  g_assert_no_error (error);
  return response;
}

static void
test_server_session_offer (Fixture *f, gconstpointer data)
{
  g_autofree char *r = NULL;
  g_autofree char *o = NULL;

  g_test_summary ("server generate_response: the extension gets the client's offer, "
                  "and the session is asked for a response once");
  r = respond (f, "deflate; flag");
  g_assert_cmpuint (f->deflate->n_server_sessions, ==, 1);
  g_assert_cmpuint (f->deflate->server_offers->len, ==, 1);
  o = test_params_describe (f->deflate->server_offers->pdata[0]);
  g_assert_cmpstr (o, ==, "{flag: true}");
  g_assert_cmpuint (f->deflate->n_responses_generated, ==, 1);
}

static void
test_server_session_offers (Fixture *f, gconstpointer data)
{
  g_autofree char *r = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  g_test_summary ("server generate_response: the extension gets all the client's offers for it, in order");
  r = respond (f, "deflate; a, reverse, deflate; b");
  g_assert_cmpuint (f->deflate->server_offers->len, ==, 2);
  a = test_params_describe (f->deflate->server_offers->pdata[0]);
  b = test_params_describe (f->deflate->server_offers->pdata[1]);
  g_assert_cmpstr (a, ==, "{a: true}");
  g_assert_cmpstr (b, ==, "{b: true}");
}

static void
test_server_multiple_sessions (Fixture *f, gconstpointer data)
{
  g_autofree char *r = NULL;

  g_test_summary ("server generate_response: several sessions respond, in registration order");
  r = respond (f, "reverse, deflate");
  g_assert_cmpuint (f->deflate->n_responses_generated, ==, 1);
  g_assert_cmpuint (f->reverse->n_responses_generated, ==, 1);
  g_assert_cmpstr (r, ==, "deflate; mode=compress, reverse; utf8");
  g_assert_cmpuint (fws_extensions_get_rsv (f->exts), ==, FWS_RESERVED_BITS_RSV1 | FWS_RESERVED_BITS_RSV2);
}

static void
test_server_no_session (Fixture *f, gconstpointer data)
{
  g_autofree char *r = NULL;

  g_test_summary ("server generate_response: no response is asked of an extension that built no session");
  f->deflate->no_server_session = TRUE;
  r = respond (f, "deflate");
  g_assert_cmpuint (f->deflate->n_server_sessions, ==, 1);
  g_assert_cmpuint (f->deflate->n_responses_generated, ==, 0);
  g_assert_null (r);
}

static void
test_server_unoffered (Fixture *f, gconstpointer data)
{
  g_autofree char *r = NULL;

  g_test_summary ("server generate_response: unoffered extensions are not asked and not in the response");
  r = respond (f, "reverse");
  g_assert_cmpuint (f->deflate->n_server_sessions, ==, 0);
  g_assert_cmpuint (f->tar->n_server_sessions, ==, 0);
  g_assert_cmpstr (r, ==, "reverse; utf8");
}

static void
test_server_conflicting (Fixture *f, gconstpointer data)
{
  g_autofree char *r = NULL;

  g_test_summary ("server generate_response: an extension whose RSV bit is taken is not asked");
  r = respond (f, "deflate, tar");
  g_assert_cmpuint (f->tar->n_server_sessions, ==, 0);
  g_assert_cmpstr (r, ==, "deflate; mode=compress");
}

static void
test_server_conflicting_declined (Fixture *f, gconstpointer data)
{
  g_autofree char *r = NULL;

  g_test_summary ("server generate_response: a potentially conflicting extension answers "
                  "when the one before it built no session");
  f->deflate->no_server_session = TRUE;
  r = respond (f, "deflate, tar");
  g_assert_cmpstr (r, ==, "tar; gzip");
}

static void
test_server_invalid (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  char *response = NULL;

  g_test_summary ("server generate_response: a malformed header is an error, and no extension is asked");
  g_assert_false (fws_extensions_generate_response (f->exts, "x-webkit- -frame", &response, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_EXTENSION);
  g_assert_cmpstr (error->message, ==, "Invalid Sec-WebSocket-Extensions header: x-webkit- -frame");
  g_assert_null (response);
  g_assert_cmpuint (f->deflate->n_server_sessions, ==, 0);
  /* With no registry, the header is still checked. */
  g_clear_error (&error);
  g_assert_false (fws_extensions_generate_response (NULL, "a;", &response, &error));
  g_assert_true (fws_extensions_generate_response (NULL, "a; b", &response, NULL));
  g_assert_null (response);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/extensions/parse/spec", test_parse_spec);
  g_test_add_func ("/extensions/parse/invalid-utf8", test_parse_invalid_utf8);
  g_test_add_func ("/extensions/parse/duplicates", test_parse_duplicates);
  g_test_add_func ("/extensions/parse/values", test_parse_values);
  g_test_add_func ("/extensions/parse/whitespace", test_parse_whitespace);
  g_test_add_func ("/extensions/parse/invalid", test_parse_invalid);
  g_test_add_func ("/extensions/parse/redos", test_parse_redos);
  g_test_add_func ("/extensions/serialize/spec", test_serialize_spec);
  g_test_add_func ("/extensions/serialize/round-trip", test_serialize_round_trip);
  g_test_add_func ("/extensions/params/bad-keys", test_params_refuse_bad_keys);

#define T(path, s, fn) g_test_add ("/extensions/" path, Fixture, NULL, s, fn, teardown)
  T ("add/valid", setup, test_add_valid);
  T ("add/invalid", setup, test_add_invalid);
  T ("client/offer/sessions", setup, test_client_offer_sessions);
  T ("client/offer/null", setup, test_client_offer_null);
  T ("client/offer/multiple", setup, test_client_offer_multiple);
  T ("client/offer/several-sessions", setup, test_client_offer_several_sessions);
  T ("client/offer/conflicting", setup, test_client_offer_conflicting);
  T ("client/activate/unknown", setup_client, test_activate_unknown);
  T ("client/activate/registered", setup_client, test_activate_registered);
  T ("client/activate/one-conflicting", setup_client, test_activate_one_conflicting);
  T ("client/activate/conflict", setup_client, test_activate_conflict);
  T ("client/activate/two", setup_client, test_activate_two);
  T ("client/activate/no-params", setup_client, test_activate_params);
  T ("client/activate/flag", setup_client, test_activate_flag);
  T ("client/activate/string", setup_client, test_activate_string);
  T ("client/activate/multiple", setup_client, test_activate_multiple);
  T ("client/activate/refused", setup_client, test_activate_refused);
  T ("client/activate/not-offered", NULL, test_activate_not_offered);
  T ("client/activate/invalid-header", setup_client, test_activate_invalid_header);
  T ("incoming/order", setup_client, test_incoming_order);
  T ("incoming/error", setup_client, test_incoming_error);
  T ("outgoing/order", setup_client, test_outgoing_order);
  T ("outgoing/server-order", setup_client, test_outgoing_server_order);
  T ("outgoing/error", setup_client, test_outgoing_error);
  T ("close", setup, test_close);
  T ("server/session-offer", setup_server, test_server_session_offer);
  T ("server/session-offers", setup_server, test_server_session_offers);
  T ("server/multiple-sessions", setup_server, test_server_multiple_sessions);
  T ("server/no-session", setup_server, test_server_no_session);
  T ("server/unoffered", setup_server, test_server_unoffered);
  T ("server/conflicting", setup_server, test_server_conflicting);
  T ("server/conflicting-declined", setup_server, test_server_conflicting_declined);
  T ("server/invalid", setup_server, test_server_invalid);
#undef T

  return g_test_run ();
}
