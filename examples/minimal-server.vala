/* minimal-server.vala — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * minimal-server-vala [PORT]: a WebSocket echo server on 127.0.0.1 (PORT 0
 * picks a free one). echo-server.vala is the full example.
 */

void handle (Soup.Server server, Soup.ServerMessage msg, string path, HashTable<string, string>? query) {
    try {
        var ws = new Fws.WebSocket (msg, null);
        /* The connection keeps itself alive until it closes. */
        ws.message.connect ((type, data) => {
            try {
                ws.send (type, data);
            } catch (Error e) {
                stderr.printf ("%s\n", e.message);
            }
        });
    } catch (Error e) { /* not a WebSocket request */
        msg.set_status (Soup.Status.BAD_REQUEST, e.message);
    }
}

int main (string[] args) {
    Intl.setlocale (LocaleCategory.ALL, "");
    var server = (Soup.Server) Object.new (typeof (Soup.Server));
    server.add_handler (null, handle);
    try {
        server.listen_local (args.length > 1 ? int.parse (args[1]) : 8080, Soup.ServerListenOptions.IPV4_ONLY);
    } catch (Error e) {
        error ("%s", e.message);
    }
    stdout.printf ("listening on http://127.0.0.1:%d/\n", server.get_uris ().data.get_port ());
    stdout.flush ();
    new MainLoop ().run ();
    return 0;
}
