#!/usr/bin/python3
# test-chat-browser.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# Two headless Chromium pages (Debian chromium and chromium-driver, driven
# with Debian's python3-selenium) on the chat example's page: both join a
# room, the server agrees to permessage-deflate with each (its welcome says
# so, from the extension sessions it accepted), each sees the other in the
# presence feed (EventSource), they exchange messages typed into the page
# and see them in the same order, and the presence feed shows one leaving.
# Saves screenshots of both pages in FWS_TEST_LOG_DIR (meson-logs). TAP
# output; every wait bounded.
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

CHROMIUM = os.environ.get('FWS_TEST_CHROMIUM') or '/usr/bin/chromium'
CHROMEDRIVER = os.environ.get('FWS_TEST_CHROMEDRIVER') or '/usr/bin/chromedriver'
WAIT = 20
results = []


def tap(ok, name, detail=''):
    results.append(bool(ok))
    print(f'{"ok" if ok else "not ok"} {len(results)} - {name}', flush=True)
    if not ok and detail:
        print('# ' + str(detail).replace('\n', '\n# '), flush=True)


def wait_for(driver, script, what, timeout=WAIT):
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f'{what}: not after {timeout} s (last: {value!r})')


def texts(driver):
    return driver.execute_script(
        "return [...document.querySelectorAll('.msg')].map(m => "
        "m.querySelector('.meta b').textContent + ': ' + m.querySelector('.text').textContent)")


def say(driver, text):
    from selenium.webdriver.common.by import By
    box = driver.find_element(By.ID, 'text')
    box.send_keys(text)
    driver.find_element(By.ID, 'send').click()


def main():
    chat = os.environ.get('FWS_CHAT_SERVER')
    logdir = os.environ.get('FWS_TEST_LOG_DIR') or tempfile.gettempdir()
    if not chat:
        sys.exit('FWS_CHAT_SERVER must be set (meson test sets it)')
    for path, package in ((CHROMIUM, 'chromium'), (CHROMEDRIVER, 'chromium-driver')):
        if not os.access(path, os.X_OK):
            print(f'1..0 # SKIP {path} is missing: apt-get install -y {package}', flush=True)
            return 0
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as e:
        print(f'1..0 # SKIP selenium is missing ({e}): apt-get install -y python3-selenium', flush=True)
        return 0

    def on_alarm(signum, frame):
        raise TimeoutError('the whole test took longer than 120 s')
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(120)

    def start_server(port):
        return subprocess.Popen([chat, '--port', str(port), '--name', 'browser-test'], stdout=subprocess.PIPE)
    server = start_server(0)
    profile = tempfile.mkdtemp(prefix='fws-chat-chromium-')
    driver = None
    try:
        line = server.stdout.readline().decode()
        port = int(re.match(r'listening on http://127\.0\.0\.1:(\d+)/', line).group(1))
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                    '--disable-background-networking', '--disable-component-update', '--disable-sync',
                    '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
                    '--window-size=1100,700', '--user-data-dir=' + profile):
            options.add_argument(arg)
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER, log_path=os.devnull), options=options)
        driver.set_page_load_timeout(WAIT)
        print(f'# {driver.capabilities.get("browserName")} {driver.capabilities.get("browserVersion")}')
        base = f'http://127.0.0.1:{port}/?room=browsers&nick='

        driver.get(base + 'ada')
        ada = driver.current_window_handle
        wait_for(driver, "return document.body.dataset.ws === 'open'", 'ada connected')
        driver.switch_to.new_window('window')
        driver.set_window_size(1100, 700)
        driver.get(base + 'grace')
        grace = driver.current_window_handle
        wait_for(driver, "return document.body.dataset.ws === 'open'", 'grace connected')

        deflate = []
        for handle in (ada, grace):
            driver.switch_to.window(handle)
            deflate.append(wait_for(driver, 'return document.body.dataset.deflate', 'welcome'))
        tap(deflate == ['true', 'true'], 'both pages have permessage-deflate agreed by the server', deflate)

        try:
            for handle in (ada, grace):
                driver.switch_to.window(handle)
                wait_for(driver, "return document.body.dataset.presence === 'ada,grace'", 'presence')
            tap(True, 'each page\'s presence feed lists both')
        except AssertionError as e:
            tap(False, 'each page\'s presence feed lists both', e)

        driver.switch_to.window(ada)
        say(driver, 'Hello Grace, from a headless Chromium')
        driver.switch_to.window(grace)
        wait_for(driver, "return document.querySelectorAll('.msg').length >= 1", 'grace sees ada')
        say(driver, 'Hi Ada! ✓ compressed both ways')
        say(driver, 'Second line <b>not bold</b>')
        expected = ['ada: Hello Grace, from a headless Chromium', 'grace: Hi Ada! ✓ compressed both ways',
                    'grace: Second line <b>not bold</b>']
        seen = {}
        for name, handle in (('ada', ada), ('grace', grace)):
            driver.switch_to.window(handle)
            try:
                wait_for(driver, "return document.querySelectorAll('.msg').length >= 3", f'{name} sees 3')
            except AssertionError:
                pass
            seen[name] = texts(driver)
        tap(seen['ada'] == seen['grace'] == expected, 'messages typed in each page appear in both, in order',
            seen)

        for name, handle in (('ada', ada), ('grace', grace)):
            driver.switch_to.window(handle)
            path = os.path.join(logdir, f'chat-browser-{name}.png')
            driver.save_screenshot(path)
            print(f'# screenshot: {path}', flush=True)
        tap(all(os.path.getsize(os.path.join(logdir, f'chat-browser-{n}.png')) > 1000 for n in ('ada', 'grace')),
            f'screenshots saved in {logdir}')

        driver.switch_to.window(grace)
        driver.close()
        driver.switch_to.window(ada)
        try:
            wait_for(driver, "return document.body.dataset.presence === 'ada'", 'presence after grace left')
            tap(True, 'the presence feed shows grace leaving')
        except AssertionError as e:
            tap(False, 'the presence feed shows grace leaving', e)

        # The server restarts: the page notices, connects again by itself
        # and goes on.
        server.send_signal(signal.SIGTERM)
        server.wait(10)
        wait_for(driver, "return document.body.dataset.ws === 'closed'", 'ada sees the server gone')
        server = start_server(port)
        server.stdout.readline()
        try:
            wait_for(driver, "return document.body.dataset.ws === 'open'", 'ada connected again')
            wait_for(driver, "return document.body.dataset.presence === 'ada'", 'presence again')
            say(driver, 'Back again')
            wait_for(driver, "return document.querySelectorAll('.msg').length >= 4", 'the new message')
            tap(texts(driver) == expected + ['ada: Back again'], 'after a server restart the page reconnects '
                'by itself and goes on', texts(driver))
        except AssertionError as e:
            tap(False, 'after a server restart the page reconnects by itself and goes on', e)
    except Exception as e:
        tap(False, 'the chat in two Chromium pages', f'{type(e).__name__}: {e}')
    finally:
        signal.alarm(0)
        if driver is not None:
            try:
                driver.quit()
            except Exception:
                pass
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(profile, ignore_errors=True)
    print(f'1..{len(results)}', flush=True)
    return 0 if all(results) else 1


if __name__ == '__main__':
    sys.exit(main())
