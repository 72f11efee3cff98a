#!/usr/bin/env python3
# make-wrapper.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# make-wrapper.py OUTPUT COMMAND...: writes an executable shell script that
# runs COMMAND with its own arguments appended, so that a test which takes
# one program path (FWS_ECHO_SERVER, FWS_CLIENT) can run a script under gjs
# or python3.
import os
import shlex
import sys

out, command = sys.argv[1], sys.argv[2:]
with open(out, 'w') as f:
    f.write('#!/bin/sh\nexec %s "$@"\n' % ' '.join(shlex.quote(c) for c in command))
os.chmod(out, 0o755)
