/* fws-version-macros.h — SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#ifndef _FWS_EXTERN
# define _FWS_EXTERN __attribute__((visibility ("default"))) extern
#endif

#define FWS_AVAILABLE_IN_ALL _FWS_EXTERN
