/* echo-server.vala — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fws-echo-server-vala [--host ADDR] [--port N] [--protocol P]... [--max-length N]
 *
 * The Vala twin of echo-server.c: a WebSocket request on any path is echoed
 * back message by message, each with its type; GET / serves a page that
 * connects back; GET /events is an EventSource stream (a counter every
 * second with ids resuming after Last-Event-ID, a "tick" event with the
 * time, a comment line every 10 s; no Accept header needed). --host takes
 * an address or a host name.
 */

/* The page, embedded at build time like the C example's (echo-page.h). */
[CCode (cname = "echo_page", cheader_filename = "echo-page.h")]
extern const string ECHO_PAGE;

string? host = null;
int port = 8080;
[CCode (array_length = false, array_null_terminated = true)]
string[]? protocols = null;
int64 max_length = 0;

const OptionEntry[] ENTRIES = {
    { "host", 0, 0, OptionArg.STRING, ref host, "Address to listen on (default 127.0.0.1)", "ADDR" },
    { "port", 0, 0, OptionArg.INT, ref port, "Port (default 8080; 0 picks a free one)", "N" },
    { "protocol", 0, 0, OptionArg.STRING_ARRAY, ref protocols, "A subprotocol to support (repeatable)", "P" },
    { "max-length", 0, 0, OptionArg.INT64, ref max_length, "Largest message accepted, in bytes", "N" },
    { null }
};

void refuse (Soup.ServerMessage msg, Error error) {
    msg.set_status (Soup.Status.BAD_REQUEST, null);
    msg.set_response ("text/plain", Soup.MemoryUse.COPY, error.message.data);
}

/* ---- WebSocket: echo ---- */

void serve_websocket (Soup.ServerMessage msg) {
    var ws = (Fws.WebSocket) Object.new (typeof (Fws.WebSocket), "protocols", protocols);
    if (max_length > 0)
        ws.max_length = max_length;
    try {
        ws.accept (msg);
    } catch (Error e) {
        refuse (msg, e);
        return;
    }
    /* The connection keeps itself alive until it closes. */
    ws.message.connect ((self, type, data) => {
        try {
            self.send (type, data);
        } catch (Error e) {
            stderr.printf ("echo failed: %s\n", e.message);
        }
    });
    ws.error.connect ((self, error) => stderr.printf ("%s: %s\n", self.url, error.message));
}

/* ---- /events: server-sent events ---- */

void serve_events (Soup.ServerMessage msg) {
    var es = (Fws.EventSource) Object.new (typeof (Fws.EventSource), "ping-seconds", 10.0);
    /* accept () takes only requests that ask for text/event-stream, as
     * browsers do; curl asks for anything. */
    if (!Fws.EventSource.is_event_source_request (msg))
        msg.get_request_headers ().replace ("Accept", "text/event-stream");
    try {
        es.accept (msg);
    } catch (Error e) {
        refuse (msg, e);
        return;
    }
    /* A client that reconnects goes on where it left off. */
    uint64 counter = uint64.parse (es.last_event_id);
    var timer = Timeout.add_seconds (1, () => {
        var id = (++counter).to_string ();
        try {
            /* A plain event (the page's onmessage), then a named one. */
            es.send (id, null, id);
            es.send (new DateTime.now_local ().format ("%H:%M:%S"), "tick", null);
        } catch (Error e) {
            stderr.printf ("%s: %s\n", es.url, e.message);
        }
        return Source.CONTINUE;
    });
    es.closed.connect (() => Source.remove (timer));
}

/* ---- The server ---- */

void handle (Soup.Server server, Soup.ServerMessage msg, string path, HashTable<string, string>? query) {
    if (path == "/events" && msg.get_method () == "GET" && !Fws.WebSocket.is_websocket_request (msg)) {
        serve_events (msg);
    } else if (Fws.WebSocket.is_websocket_request (msg)) {
        serve_websocket (msg);
    } else if (msg.get_method () == "GET" && path == "/") {
        msg.set_status (Soup.Status.OK, null);
        msg.set_response ("text/html; charset=utf-8", Soup.MemoryUse.STATIC, ECHO_PAGE.data);
    } else {
        msg.set_status (Soup.Status.NOT_FOUND, null);
    }
}

int main (string[] args) {
    /* GLib's messages (option errors among them) in the user's language and
     * character set. */
    Intl.setlocale (LocaleCategory.ALL, "");
    try {
        var context = new OptionContext ("- WebSocket echo server");
        context.add_main_entries (ENTRIES, null);
        context.parse (ref args);
    } catch (OptionError e) {
        stderr.printf ("%s\n", e.message);
        return 2;
    }
    if (port < 0 || port > 65535) {
        stderr.printf ("invalid --port %d: expected 0 to 65535\n", port);
        return 2;
    }
    if (max_length < 0) {
        stderr.printf ("invalid --max-length %" + int64.FORMAT + ": expected 0 or more bytes\n", max_length);
        return 2;
    }
    var address = new InetSocketAddress.from_string (host ?? "127.0.0.1", port);
    if (address == null) {
        /* A host name: listen on its first address. */
        try {
            var found = Resolver.get_default ().lookup_by_name (host, null);
            address = new InetSocketAddress (found.data, (uint16) port);
        } catch (Error e) {
            stderr.printf ("invalid --host %s: %s\n", host, e.message);
            return 2;
        }
    }

    var server = (Soup.Server) Object.new (typeof (Soup.Server), "server-header", "fws-echo-server");
    server.add_handler (null, handle);
    /* An Fws.Listener accepts for the server: request heads within a
     * deadline, a cap on unfinished ones, and accepting goes on after the
     * process runs out of descriptors. The socket is made here for a deep
     * backlog (GSocket's default of 10 drops connections in a burst). */
    var listener = new Fws.Listener ();
    InetSocketAddress bound;
    try {
        var sock = new Socket (address.get_family (), SocketType.STREAM, SocketProtocol.TCP);
        sock.bind (address, true);
        sock.set_listen_backlog (4096);
        sock.listen ();
        listener.set_soup_server (server);
        listener.add_socket (sock);
        bound = (InetSocketAddress) sock.get_local_address ();
    } catch (Error e) {
        stderr.printf ("cannot listen: %s\n", e.message);
        return 1;
    }
    var bound_host = bound.get_address ().to_string ();
    var shown = bound.get_family () == SocketFamily.IPV6 ? "[%s]".printf (bound_host) : bound_host;
    stdout.printf ("listening on http://%s:%u/\n", shown, bound.get_port ());
    stdout.flush ();

    var loop = new MainLoop ();
    foreach (var signum in new ProcessSignal[] { ProcessSignal.INT, ProcessSignal.TERM }) {
        Unix.signal_add (signum, () => {
            loop.quit ();
            return Source.CONTINUE;
        });
    }
    loop.run ();
    listener.stop ();
    server.disconnect ();
    return 0;
}
