#!/usr/bin/env python3
# extract-snippet.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# extract-snippet.py MARKDOWN HEADING OUTPUT: writes the first ```c block
# after the line "## HEADING" of MARKDOWN (HEADING "-": the first in the
# file) to OUTPUT, so that the build compiles what the README and the
# guide show. Fails when there is none.
import re
import sys

markdown, heading, output = sys.argv[1:]
text = open(markdown, encoding='utf-8').read()
section = ['', text] if heading == '-' else text.split(f'\n## {heading}\n', 1)
match = re.search(r'^```c\n(.*?)^```$', section[1], re.S | re.M) if len(section) == 2 else None
if match is None:
    sys.exit(f'{markdown}: no C block under "## {heading}"')
with open(output, 'w', encoding='utf-8') as f:
    f.write(f'/* Extracted from {markdown}, "## {heading}". */\n' + match.group(1))
