#!/usr/bin/env python3
# check-coverage.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-coverage.py GIR SCRIPT...: every property, signal, constructor,
# function and method (other than property accessors, ref/unref and
# *_finish, which bindings reach through the property and *_async) of the
# Fws namespace is used by the binding test SCRIPTs of each language
# (smoke.js and hub.js, smoke.py and hub.py, smoke.vala and hub.vala), so
# that API added later gets a binding test too. A property
# counts as used when its name appears with underscores or dashes, a signal
# when it is connected, a method when its name appears. Standard library
# only.

import re
import sys
import xml.etree.ElementTree as ET

CORE = '{http://www.gtk.org/introspection/core/1.0}'
GLIB = '{http://www.gtk.org/introspection/glib/1.0}'

# Used through other API in the bindings, or by design not by scripts.
IGNORED = {
    'ref', 'unref',
    'quark', 'error_quark',  # the error domain: scripts test errors with it in their own way
}


def symbols(gir):
    ns = ET.parse(gir).getroot().find(CORE + 'namespace')
    found = []
    for t in ns:
        tname = t.get('name')
        for m in t:
            name = m.get('name')
            if m.get('introspectable') == '0' or name in IGNORED:
                continue
            if m.tag == CORE + 'property':
                found.append((f'{tname}:{name}', [name.replace('-', '_'), name]))
            elif m.tag == GLIB + 'signal':
                vala = name.replace('-', '_')  # Vala spells text-message text_message
                found.append((f'{tname}::{name}', [f"'{name}'", f'"{name}"', f'.{vala}.connect',
                                                    f'.{vala}ed.connect']))
            elif m.tag in (CORE + 'method', CORE + 'constructor', CORE + 'function'):
                if (m.get(GLIB + 'get-property') or m.get(GLIB + 'set-property')
                        or name.endswith('_finish')):
                    continue
                # an interface method counts when a script implements it;
                # Vala spells constructor new_foo as `new Type.foo`
                spellings = [name, f'vfunc_{name}', f'do_{name}']
                if m.tag == CORE + 'constructor' and name.startswith('new_'):
                    spellings.append(f'{tname}.{name[4:]}')
                found.append((f'{tname}.{name}', spellings))
        if t.tag == CORE + 'function' and tname not in IGNORED:
            found.append((tname, [tname]))
    return found


def main():
    gir, scripts = sys.argv[1], sys.argv[2:]
    missing = []
    # The scripts of one language (smoke.py, hub.py) count together.
    by_language = {}
    for script in scripts:
        with open(script, encoding='utf-8') as f:
            by_language.setdefault(script.rsplit('.', 1)[-1], []).append((script.split('/')[-1], f.read()))
    for group in by_language.values():
        script = '+'.join(name for name, _ in group)
        text = '\n'.join(t for _, t in group)
        for what, spellings in symbols(gir):
            if not any(re.search((r'(?<![A-Za-z0-9_])' if s[0].isalnum() or s[0] == '_' else '')
                                 + re.escape(s) + r'(?![A-Za-z0-9_])', text)
                       for s in spellings):
                missing.append(f'{script}: {what} is not exercised')
    for m in missing:
        print(f'not ok - {m}')
    if missing:
        sys.exit(1)
    print(f'ok - the binding tests of {len(by_language)} languages use the whole API in {gir.split("/")[-1]}')


if __name__ == '__main__':
    main()
