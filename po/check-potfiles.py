#!/usr/bin/env python3
# check-potfiles.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-potfiles.py SRCDIR: po/POTFILES.in must list exactly the files of
# fws-glib/ that mark messages for translation (_(), N_(), C_(), NC_(),
# g_dngettext()), so that every message a user can see reaches the
# translators. And no translatable string may be split by a GLib format
# macro (_("... %" G_GSIZE_FORMAT " ...")): xgettext stops the message at
# the macro, so its translation would never be found. Standard library only.

import os
import re
import sys

# _( or N_( followed by string literals and then a G_*_FORMAT macro (the
# sources use no C_, NC_ or ngettext; extend this if they do).
SPLIT = re.compile(r'(?<![A-Za-z0-9_])N?_\s*\((?:\s*"(?:[^"\\\n]|\\.)*")+\s*G_[A-Z0-9]+_(?:FORMAT|MODIFIER)')
MARK = re.compile(r'(?<![A-Za-z0-9_])(?:N?C?_|g_dngettext|g_dpgettext2?|ngettext)\s*\(')

srcdir = sys.argv[1]
marked = set()
split = []
for name in sorted(os.listdir(os.path.join(srcdir, 'fws-glib'))):
    if name.endswith(('.c', '.h')):
        path = f'fws-glib/{name}'
        with open(os.path.join(srcdir, path), encoding='utf-8') as f:
            text = f.read()
            # The definition of _() itself (fws-i18n-private.h) marks nothing.
            if MARK.search(re.sub(r'#\s*define\s+_\(', '', text)):
                marked.add(path)
            for m in SPLIT.finditer(text):
                line = text.count('\n', 0, m.start()) + 1
                split.append(f'{path}:{line}: a translatable string is cut by a G_*_FORMAT macro '
                             '(format the number into a string and use %s)')

listed = set()
with open(os.path.join(srcdir, 'po', 'POTFILES.in'), encoding='utf-8') as f:
    for line in f:
        line = line.strip()
        if line and not line.startswith('#'):
            listed.add(line)

problems = [f'{p} marks messages for translation but is not in po/POTFILES.in' for p in sorted(marked - listed)]
problems += [f'{p} is in po/POTFILES.in but marks no message (or does not exist)' for p in sorted(listed - marked)]
problems += split
for p in problems:
    print(f'not ok - {p}')
if problems:
    sys.exit(1)
print(f'ok - po/POTFILES.in lists the {len(listed)} files with translatable messages')
