#!/usr/bin/env python3
# check-guides.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-guides.py TOML [--node NODE]: the index page of the reference links
# to the website and the source (website_url and browse_url in the
# [library] table of fws-glib.toml.in); every guide page it lists shows C,
# Python and JavaScript (```c, ```python and ```js blocks), except pages
# for contributors (CONTRIBUTOR_PAGES), which show no API; every Python
# block compiles, and with node, every JavaScript block parses as a module.
# Standard library only.

import argparse
import os
import re
import subprocess
import sys
import tempfile

parser = argparse.ArgumentParser()
parser.add_argument('toml')
parser.add_argument('--node')
args = parser.parse_args()

# Pages about the library's insides, not its use.
CONTRIBUTOR_PAGES = {'architecture.md'}

toml = open(args.toml, encoding='utf-8').read()
pages = re.findall(r'"([\w-]+\.md)"', toml.split('content_files', 1)[1].split(']', 1)[0])
if not pages:
    sys.exit(f'no content_files in {args.toml}')
failures = []
library = toml.split('[library]', 1)[1].split('\n[', 1)[0]
for key in ('website_url', 'browse_url'):
    if not re.search(rf'^{key} = "\S+"', library, re.M):
        failures.append(f'{args.toml}: no {key} in [library]: the index page would not link to it')
for page in pages:
    path = os.path.join(os.path.dirname(args.toml), page)
    text = open(path, encoding='utf-8').read()
    blocks = re.findall(r'^```(\w+)\n(.*?)^```$', text, re.S | re.M)
    langs = {lang for lang, _ in blocks}
    for lang in ('c', 'python', 'js'):
        if lang not in langs and page not in CONTRIBUTOR_PAGES:
            failures.append(f'{page}: no ```{lang} block')
    for n, (lang, code) in enumerate(blocks):
        if lang == 'python':
            try:
                compile(code, f'{page} block {n}', 'exec')
            except SyntaxError as e:
                failures.append(f'{page}: Python block {n}: {e}')
        elif lang == 'js' and args.node:
            with tempfile.NamedTemporaryFile('w', suffix='.mjs') as f:
                f.write(code)
                f.flush()
                result = subprocess.run([args.node, '--check', f.name], capture_output=True, text=True,
                                        timeout=30)
                if result.returncode != 0:
                    failures.append(f'{page}: JavaScript block {n}: {result.stderr.strip()}')
for failure in failures:
    print(f'not ok - {failure}')
if failures:
    sys.exit(1)
print(f'ok - {len(pages) - len(CONTRIBUTOR_PAGES & set(pages))} guide pages show C, Python and JavaScript')
