/* fws-permessage-deflate.h — SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (FWS_INSIDE) && !defined (FWS_COMPILATION)
# error "Only <fws-glib/fws-glib.h> can be included directly."
#endif

#include <glib-object.h>

#include "fws-version-macros.h"
#include "fws-extension.h"

G_BEGIN_DECLS

/**
 * FwsDeflateStrategy:
 * @FWS_DEFLATE_STRATEGY_DEFAULT: zlib's default strategy
 * @FWS_DEFLATE_STRATEGY_FILTERED: for data produced by a filter or predictor
 * @FWS_DEFLATE_STRATEGY_HUFFMAN_ONLY: Huffman coding only, no string matching
 * @FWS_DEFLATE_STRATEGY_RLE: matches of distance one only (run-length encoding)
 * @FWS_DEFLATE_STRATEGY_FIXED: fixed Huffman codes only
 *
 * The zlib compression strategies (the `strategy` argument of zlib's
 * `deflateInit2()`), used by [property@Fws.PermessageDeflate:strategy].
 *
 * Since: 0.1
 */
typedef enum
{
  FWS_DEFLATE_STRATEGY_DEFAULT = 0,
  FWS_DEFLATE_STRATEGY_FILTERED = 1,
  FWS_DEFLATE_STRATEGY_HUFFMAN_ONLY = 2,
  FWS_DEFLATE_STRATEGY_RLE = 3,
  FWS_DEFLATE_STRATEGY_FIXED = 4,
} FwsDeflateStrategy;

#define FWS_TYPE_PERMESSAGE_DEFLATE (fws_permessage_deflate_get_type ())

FWS_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (FwsPermessageDeflate, fws_permessage_deflate, FWS, PERMESSAGE_DEFLATE, GObject)

FWS_AVAILABLE_IN_ALL
FwsPermessageDeflate *fws_permessage_deflate_new                           (void);

FWS_AVAILABLE_IN_ALL
int                 fws_permessage_deflate_get_level                       (FwsPermessageDeflate *self);
FWS_AVAILABLE_IN_ALL
guint               fws_permessage_deflate_get_mem_level                   (FwsPermessageDeflate *self);
FWS_AVAILABLE_IN_ALL
FwsDeflateStrategy  fws_permessage_deflate_get_strategy                    (FwsPermessageDeflate *self);
FWS_AVAILABLE_IN_ALL
gboolean            fws_permessage_deflate_get_no_context_takeover         (FwsPermessageDeflate *self);
FWS_AVAILABLE_IN_ALL
guint               fws_permessage_deflate_get_max_window_bits             (FwsPermessageDeflate *self);
FWS_AVAILABLE_IN_ALL
gboolean            fws_permessage_deflate_get_request_no_context_takeover (FwsPermessageDeflate *self);
FWS_AVAILABLE_IN_ALL
guint               fws_permessage_deflate_get_request_max_window_bits     (FwsPermessageDeflate *self);
FWS_AVAILABLE_IN_ALL
guint               fws_permessage_deflate_get_threshold                   (FwsPermessageDeflate *self);

G_END_DECLS
