#!/usr/bin/python3
# sse-chromium.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# Headless Chromium, driven through chromedriver with selenium, as an
# EventSource client of fws-glib's server:
#   python3 sse-chromium.py http://127.0.0.1:PORT/ COUNT
# Opens the page at the URL (its script opens new EventSource('/events') and
# records every open and event in window.records), waits until COUNT records
# are there, closes the EventSource, prints one JSON array per record
# (["open"] or [type, lastEventId, data]) and exits 0. Exits 1 with a
# message on stderr when anything is missing or the records do not come.
#
# Chromium runs headless, without sandbox, GPU, QUIC, first-run, background
# networking, component updates or sync, in a new empty profile, and is
# always stopped: on success, on failure, on SIGTERM, and after 90 s at most.

import json
import os
import shutil
import signal
import sys
import tempfile
import time

OVERALL_TIMEOUT_S = 90
RECORDS_TIMEOUT_S = 45

CHROMIUM = os.environ.get('FWS_TEST_CHROMIUM') or '/usr/bin/chromium'
CHROMEDRIVER = os.environ.get('FWS_TEST_CHROMEDRIVER') or '/usr/bin/chromedriver'


def fail(message):
    sys.stderr.write('sse-chromium.py: %s\n' % message)
    sys.stderr.flush()
    sys.exit(1)


class Stop(Exception):
    pass


def on_signal(signum, frame):
    raise Stop('stopped by signal %d' % signum)


def main():
    if len(sys.argv) != 3:
        fail('usage: sse-chromium.py http://HOST:PORT/ COUNT')
    url = sys.argv[1]
    count = int(sys.argv[2])

    for path, package in ((CHROMIUM, 'chromium'), (CHROMEDRIVER, 'chromium-driver')):
        if not os.access(path, os.X_OK):
            fail('%s is missing: install the Debian package %s (apt-get install -y chromium '
                 'chromium-driver python3-selenium)' % (path, package))
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as e:
        fail('selenium is missing for %s (%s): install the Debian package python3-selenium'
             % (sys.executable, e))

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGALRM, on_signal)
    signal.alarm(OVERALL_TIMEOUT_S)

    profile = tempfile.mkdtemp(prefix='fws-sse-chromium-')
    driver = None
    try:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
                    '--no-first-run', '--disable-background-networking',
                    '--disable-component-update', '--disable-sync',
                    '--user-data-dir=' + profile):
            options.add_argument(arg)
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER, log_path=os.devnull),
                                  options=options)
        driver.set_page_load_timeout(20)
        driver.set_script_timeout(20)
        sys.stderr.write('sse-chromium.py: %s %s\n'
                         % (driver.capabilities.get('browserName'),
                            driver.capabilities.get('browserVersion')))
        driver.get(url)

        deadline = time.monotonic() + RECORDS_TIMEOUT_S
        records = []
        while True:
            records = driver.execute_script('return window.records ? window.records.slice() : null')
            if records is None:
                fail('the page at %s did not set up window.records' % url)
            if len(records) >= count:
                break
            if time.monotonic() > deadline:
                fail('timed out after %d s with %d of %d records: %s'
                     % (RECORDS_TIMEOUT_S, len(records), count, json.dumps(records)))
            time.sleep(0.05)
        driver.execute_script('window.source.close()')

        for record in records:
            print(json.dumps(record, ensure_ascii=False, separators=(',', ':')))
        sys.stdout.flush()
    except Stop as e:
        fail(str(e))
    except Exception as e:  # selenium's errors: report them, never hang
        fail('%s: %s' % (type(e).__name__, e))
    finally:
        signal.alarm(0)
        if driver is not None:
            try:
                driver.quit()
            except Exception:
                pass
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == '__main__':
    main()
