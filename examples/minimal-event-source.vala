/* minimal-event-source.vala — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * minimal-event-source-vala [PORT]: an EventSource server on 127.0.0.1
 * (PORT 0 picks a free one): any GET is a stream of "tick N" events, one a
 * second (try curl http://127.0.0.1:8080/). echo-server.vala's /events has
 * more.
 */

uint ticks = 0;

void handle (Soup.Server server, Soup.ServerMessage msg, string path, HashTable<string, string>? query) {
    /* Browsers ask for text/event-stream; curl does not. */
    msg.get_request_headers ().replace ("Accept", "text/event-stream");
    try {
        var es = new Fws.EventSource (msg);
        Timeout.add_seconds (1, () => {
            try {
                es.send ("tick %u".printf (++ticks), null, null);
                return Source.CONTINUE;
            } catch (Error e) { /* the stream is closed: the timer stops */
                return Source.REMOVE;
            }
        });
    } catch (Error e) { /* not a GET */
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
