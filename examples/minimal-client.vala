/* minimal-client.vala — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * minimal-client-vala [URL]: sends "hello" to a WebSocket server (default
 * ws://127.0.0.1:8080/), prints the answer and closes; exits 0 after a
 * clean close. echo-client.vala is the full example.
 */

int main (string[] args) {
    Intl.setlocale (LocaleCategory.ALL, "");
    var loop = new MainLoop ();
    uint close_code = 0;
    try {
        var client = new Fws.Client (args.length > 1 ? args[1] : "ws://127.0.0.1:8080/", null);
        client.open.connect (() => {
            try {
                client.send_text ("hello");
            } catch (Error e) {
                stderr.printf ("%s\n", e.message);
            }
        });
        client.message.connect ((type, data) => {
            print ("%s\n", (string) data.get_data ());  /* text ends in a NUL */
            try {
                client.close (1000, null);
            } catch (Error e) {
                stderr.printf ("%s\n", e.message);
            }
        });
        client.closed.connect ((code, reason) => {
            close_code = code;
            if (code != 1000)  /* after an error, the reason says what */
                stderr.printf ("close %u %s\n", code, reason);
            loop.quit ();
        });
        loop.run ();
    } catch (Error e) {
        error ("%s", e.message);
    }
    return close_code == 1000 ? 0 : 1;
}
