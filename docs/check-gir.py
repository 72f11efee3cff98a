#!/usr/bin/env python3
# check-gir.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-gir.py GIR [--gi-docgen PATH]
#
# Fails (exit 1) when the public API in GIR is not fully documented or not
# usable from a binding:
#   - a class, interface, record, enum, flags, constructor, method,
#     function, property, signal, constant or callback without a doc
#     comment, or without a Since: tag (GIR: version="...");
#   - a parameter or a non-void return value without documentation;
#   - an enum or flags member without documentation;
#   - a symbol the scanner marked introspectable="0", varargs, or a raw
#     pointer (gpointer) other than the user_data of a callback (except
#     the C-only fast paths in C_ONLY, marked (skip): bindings have the
#     same feature through a signal);
#   - with --gi-docgen, any warning of `gi-docgen check`.
# Standard library only.

import argparse
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

CORE = '{http://www.gtk.org/introspection/core/1.0}'
GLIB = '{http://www.gtk.org/introspection/glib/1.0}'

CALLABLES = {CORE + t for t in ('constructor', 'method', 'function', 'virtual-method', 'callback')}
VERSIONED = {CORE + t for t in ('class', 'interface', 'record', 'enumeration', 'bitfield', 'constructor',
                                'method', 'function', 'property', 'constant', 'callback')} | {GLIB + 'signal'}
DOCUMENTED = VERSIONED | {CORE + 'virtual-method'}
# (skip) on purpose: the same messages reach bindings through the
# FwsWebSocket::message signal; this only saves C callers its cost.
C_ONLY = {'Fws.WebSocket.set_message_func'}
CONTAINERS = {CORE + t for t in ('class', 'interface', 'record', 'enumeration', 'bitfield')}


def kind(element):
    return element.tag.split('}')[1]


def check_callable(element, where, problems):
    params = element.find(CORE + 'parameters')
    plist = [] if params is None else list(params)
    # user_data and destroy-notify parameters named by a callback parameter
    allowed = set()
    for p in plist:
        for attr in ('closure', 'destroy'):
            if p.get(attr) is not None:
                allowed.add(int(p.get(attr)))
    index = 0
    for p in plist:
        if p.tag == CORE + 'varargs' or p.find(CORE + 'varargs') is not None:
            problems.append(f'{where}: takes varargs')
        if p.tag == CORE + 'instance-parameter':
            if p.find(CORE + 'doc') is None and kind(element) not in ('callback', 'virtual-method'):
                problems.append(f'{where}: @{p.get("name")} is not documented')
            continue
        if p.find(CORE + 'doc') is None:
            problems.append(f'{where}: @{p.get("name")} is not documented')
        t = p.find(CORE + 'type')
        if t is not None and t.get('name') == 'gpointer' and index not in allowed:
            problems.append(f'{where}: @{p.get("name")} is a raw pointer')
        index += 1
    ret = element.find(CORE + 'return-value')
    if ret is not None:
        t = ret.find(CORE + 'type')
        void = t is not None and t.get('name') == 'none'
        if not void and ret.find(CORE + 'doc') is None:
            problems.append(f'{where}: the return value is not documented')
        if t is not None and t.get('name') == 'gpointer':
            problems.append(f'{where}: returns a raw pointer')


def walk(parent, prefix, problems):
    for element in parent:
        if element.tag == CORE + 'field':
            continue  # documented with their struct; callbacks there are vfunc slots
        if element.tag not in DOCUMENTED and element.tag != CORE + 'member':
            continue
        where = f'{prefix}{element.get("name")}'
        if element.tag == GLIB + 'signal':
            where = f'{prefix[:-1]}::{element.get("name")}'
        elif element.tag == CORE + 'property':
            where = f'{prefix[:-1]}:{element.get("name")}'
        where = f'{kind(element)} {where}'
        # The class struct of a type (FwsWebSocketClass) needs no page of its own.
        gtype_struct = element.get(GLIB + 'is-gtype-struct-for') is not None
        if element.get('introspectable') == '0' and f'{prefix}{element.get("name")}' not in C_ONLY:
            problems.append(f'{where}: not introspectable (see the scanner\'s warnings)')
        if element.find(CORE + 'doc') is None and not gtype_struct:
            problems.append(f'{where}: not documented')
        if element.tag in VERSIONED and element.get('version') is None and not gtype_struct:
            problems.append(f'{where}: no Since: tag')
        if element.tag in CALLABLES or element.tag == GLIB + 'signal':
            check_callable(element, where, problems)
        if element.tag == CORE + 'property':
            t = element.find(CORE + 'type')
            if t is not None and t.get('name') == 'gpointer':
                problems.append(f'{where}: is a raw pointer')
        if element.tag in CONTAINERS:
            walk(element, f'{prefix}{element.get("name")}.', problems)


def gi_docgen_warnings(gi_docgen, gir):
    run = subprocess.run([gi_docgen, 'check', gir], capture_output=True, text=True)
    warnings = [re.sub(r'\x1b\[[0-9;]*m', '', line).strip()
                for line in (run.stdout + run.stderr).splitlines() if 'WARNING' in line]
    if run.returncode != 0 and not warnings:
        warnings.append(f'gi-docgen check exited with {run.returncode}: {run.stderr.strip()}')
    return warnings


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('gir')
    parser.add_argument('--gi-docgen')
    args = parser.parse_args()

    namespace = ET.parse(args.gir).getroot().find(CORE + 'namespace')
    problems = []
    walk(namespace, f'{namespace.get("name")}.', problems)
    if args.gi_docgen:
        problems += [f'gi-docgen: {w}' for w in gi_docgen_warnings(args.gi_docgen, args.gir)]
    else:
        print('# gi-docgen not found: only the GIR itself was checked')
    for p in problems:
        print(f'not ok - {p}')
    if problems:
        print(f'{len(problems)} documentation or binding problems in {args.gir}', file=sys.stderr)
        sys.exit(1)
    print(f'ok - {args.gir}: every public symbol is documented, has Since: and is introspectable')


if __name__ == '__main__':
    main()
