#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# embed.py INPUT OUTPUT NAME: writes a C header holding INPUT as a string.
import sys

src, dst, name = sys.argv[1:4]
data = open(src, 'rb').read()
with open(dst, 'w') as out:
    out.write('/* generated from %s */\n#pragma once\n' % src.split('/')[-1])
    out.write('static const char %s[] =\n' % name)
    for line in data.split(b'\n'):
        esc = ''.join('\\%03o' % b if b < 32 or b > 126 or b in (34, 92) else chr(b) for b in line + b'\n')
        out.write('  "%s"\n' % esc)
    out.write(';\n')
