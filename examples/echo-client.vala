/* echo-client.vala — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fws-client-vala [--protocol P]... [--header 'Name: value']... [--echo] [--timeout S] [--reconnect]
 *                 ws[s]://URL
 * fws-client-vala [--events N] [--header 'Name: value']... [--timeout S] [--reconnect] http[s]://URL
 *
 * The Vala twin of echo-client.c. Without --echo, sends each line of stdin
 * as a text message and prints each text message received as a line (a
 * binary one as "<binary N bytes>"). At the end of stdin it waits until
 * everything was sent and no message has arrived for half a second, then
 * closes. With --echo, sends every message received back unchanged. On
 * close, prints "close CODE REASON" to stderr and exits 0 for 1000 or 1005,
 * 1 otherwise. Each error is printed once, with a "hint:" line when a
 * wss:// URL likely met a plain server or a ws:// URL a TLS one. With
 * --reconnect a lost connection is made again with backoff, each wait
 * announced on stderr as "reconnecting ATTEMPT DELAY_MS: REASON".
 *
 * An http:// or https:// URL is read as an EventSource stream
 * (Fws.EventSourceClient): each event is printed as "event: TYPE", "id: ID"
 * (when the stream set one), "data: LINE" per line of data and a blank
 * line; each error as "error: MESSAGE". It exits 1 once it stopped: at the
 * first end or failure, or with --reconnect (backoff and the last event id)
 * when the server answered anything but an event stream; with --events N it
 * exits 0 after N events, and SIGINT or SIGTERM stop it with 0.
 */

[CCode (array_length = false, array_null_terminated = true)]
string[]? protocols = null;
[CCode (array_length = false, array_null_terminated = true)]
string[]? header_args = null;
bool echo = false;
int timeout = 0;
int max_events = 0;
bool reconnect = false;

const OptionEntry[] ENTRIES = {
    { "protocol", 0, 0, OptionArg.STRING_ARRAY, ref protocols, "A subprotocol to offer (repeatable)", "P" },
    { "header", 0, 0, OptionArg.STRING_ARRAY, ref header_args, "An extra request header (repeatable)", "'Name: value'" },
    { "echo", 0, 0, OptionArg.NONE, ref echo, "Send every message received back", null },
    { "timeout", 0, 0, OptionArg.INT, ref timeout, "Give up connecting after S seconds (default 30)", "S" },
    { "events", 0, 0, OptionArg.INT, ref max_events, "EventSource (http:// or https://): exit after N events", "N" },
    { "reconnect", 0, 0, OptionArg.NONE, ref reconnect, "Connect again, with backoff, when the connection is lost", null },
    { null }
};

class App : Object {
    public Fws.Client ws;
    public MainLoop loop = new MainLoop ();
    public int exit_code = 1;
    int64 last_activity = get_monotonic_time ();
    bool opened = false;
    bool reading = false;
    string? last_error = null;
    DataInputStream input = new DataInputStream (new UnixInputStream (0, false));

    /* What is likely wrong when a connection fails before it opened. */
    string? hint_for (Error error) {
        if (opened)
            return null;
        var timed_out = error is Fws.Error.TIMED_OUT;
        if (ws.url.down ().has_prefix ("wss:")) {
            if (timed_out || error is TlsError.NOT_TLS || error is TlsError.MISC)
                return "is the server speaking TLS? A wss:// URL needs a TLS server; for a plain one use ws://";
        } else if (timed_out || error is IOError.CONNECTION_CLOSED ||
                   /* no HTTP status: the server ended the connection without an answer */
                   (error is Fws.Error.HANDSHAKE && ws.status == 0)) {
            return "does the server want TLS? For a TLS server use a wss:// URL";
        }
        return null;
    }

    public App (Fws.Client ws) {
        this.ws = ws;
        ws.open.connect (() => {
            opened = true;
            /* after a reconnection, stdin is still being read */
            if (!echo && !reading) {
                reading = true;
                send_stdin.begin ();
            }
        });
        ws.message.connect (on_message);
        ws.error.connect ((error) => {
            stderr.printf ("error: %s\n", error.message);
            var hint = hint_for (error);
            if (hint != null)
                stderr.printf ("hint: %s\n", hint);
            last_error = error.message;
        });
        /* The close signal is "closed" in Vala: close () is the method. */
        ws.closed.connect ((code, reason) => {
            /* After an error the reason is that error again: not twice. */
            stderr.printf ("close %u %s\n", code, reason == last_error ? "" : reason);
            exit_code = (code == 1000 || code == 1005) ? 0 : 1;
            loop.quit ();
        });
        foreach (var signum in new ProcessSignal[] { ProcessSignal.INT, ProcessSignal.TERM }) {
            Unix.signal_add (signum, () => {
                try {
                    if (ws.ready_state >= Fws.ReadyState.CLOSING)
                        loop.quit ();
                    else
                        ws.close (1000, "interrupted");
                } catch (Error e) {
                    loop.quit ();
                }
                return Source.CONTINUE;
            });
        }
    }

    void on_message (Fws.MessageType type, Bytes data) {
        last_activity = get_monotonic_time ();
        if (echo) {
            try {
                ws.send (type, data);
            } catch (Error e) {
                stderr.printf ("send failed: %s\n", e.message);
            }
        } else if (type == Fws.MessageType.TEXT) {
            /* A text message is followed by a NUL byte that its size does not count. */
            unowned uint8[] text = data.get_data ();
            stdout.printf ("%s\n", (string) text);
            stdout.flush ();
        } else {
            stdout.printf ("<binary %" + size_t.FORMAT + " bytes>\n", data.get_size ());
            stdout.flush ();
        }
    }

    async void send_stdin () {
        for (;;) {
            string? line = null;
            try {
                line = yield input.read_line_utf8_async (Priority.DEFAULT, null, null);
            } catch (Error e) {
                stderr.printf ("stdin: %s\n", e.message);
            }
            if (line == null)
                break;
            try {
                ws.send_text (line);
            } catch (Error e) {
                stderr.printf ("send failed: %s\n", e.message);
            }
        }
        /* End of input: close once everything was written and it is quiet. */
        last_activity = get_monotonic_time ();
        Timeout.add (50, () => {
            if (ws.buffered_amount > 0 || get_monotonic_time () - last_activity < 500000)
                return Source.CONTINUE;
            try {
                ws.close (1000, null);
            } catch (Error e) {
                stderr.printf ("close failed: %s\n", e.message);
            }
            return Source.REMOVE;
        });
    }
}

/* EventSource mode: prints each event of an http:// or https:// stream. */
class EventsApp : Object {
    public Fws.EventSourceClient events;
    public MainLoop loop = new MainLoop ();
    public int exit_code = 1;
    int seen = 0;

    void stop (int code) {
        exit_code = code;
        events.close ();
        loop.quit ();
    }

    public EventsApp (Fws.EventSourceClient events) {
        this.events = events;
        events.message.connect ((type, data, id) => {
            var text = new StringBuilder ();
            text.append_printf ("event: %s\n", type);
            if (id != "")
                text.append_printf ("id: %s\n", id);
            foreach (var line in data.split ("\n"))
                text.append_printf ("data: %s\n", line);
            stdout.printf ("%s\n", text.str);
            stdout.flush ();
            seen++;
            if (max_events > 0 && seen == max_events)
                stop (0);
        });
        events.error.connect ((error) => {
            stderr.printf ("error: %s\n", error.message);
            if (events.ready_state == Fws.ReadyState.CLOSED)
                stop (1);
        });
        Unix.signal_add (ProcessSignal.INT, () => { stop (0); return Source.CONTINUE; });
        Unix.signal_add (ProcessSignal.TERM, () => { stop (0); return Source.CONTINUE; });
    }
}

int main (string[] args) {
    /* GLib's messages (option errors among them) in the user's language and
     * character set. */
    Intl.setlocale (LocaleCategory.ALL, "");
    try {
        var context = new OptionContext ("URL - WebSocket (ws://, wss://) or EventSource (http://, https://) client");
        context.add_main_entries (ENTRIES, null);
        context.parse (ref args);
    } catch (OptionError e) {
        stderr.printf ("%s\n", e.message);
        return 2;
    }
    if (timeout < 0 || timeout > int.MAX / 1000) {
        stderr.printf ("invalid --timeout %d: expected seconds, 0 or more\n", timeout);
        return 2;
    }
    if (args.length != 2) {
        stderr.printf ("usage: fws-client-vala [OPTION...] URL\n");
        return 2;
    }

    var headers = new Soup.MessageHeaders (Soup.MessageHeadersType.REQUEST);
    foreach (var header in header_args ?? new string[0]) {
        var colon = header.index_of_char (':');
        if (colon <= 0) {
            stderr.printf ("invalid --header '%s': expected 'Name: value'\n", header);
            return 2;
        }
        headers.append (header.substring (0, colon).strip (), header.substring (colon + 1).strip ());
    }

    if (max_events < 0) {
        stderr.printf ("invalid --events %d: expected a count, 0 or more\n", max_events);
        return 2;
    }
    var lower = args[1].down ();
    if (lower.has_prefix ("http:") || lower.has_prefix ("https:")) {
        Fws.EventSourceClient events;
        try {
            events = new Fws.EventSourceClient (args[1]);
        } catch (Error e) {
            stderr.printf ("%s is not a valid WebSocket or EventSource URL\n", args[1]);
            return 2;
        }
        events.extra_headers = headers;
        events.reconnect = reconnect;
        events.reconnecting.connect ((attempt, delay, error) => {
            stderr.printf ("reconnecting %u %u: %s\n", attempt, delay, error.message);
        });
        if (timeout > 0)
            events.handshake_timeout = timeout * 1000;
        var events_app = new EventsApp (events);
        events_app.loop.run ();
        return events_app.exit_code;
    }

    Fws.Client ws;
    try {
        ws = new Fws.Client (args[1], protocols);
    } catch (Error e) {
        stderr.printf ("%s is not a valid WebSocket or EventSource URL\n", args[1]);
        return 2;
    }
    ws.extra_headers = headers;
    ws.reconnect = reconnect;
    ws.reconnecting.connect ((attempt, delay, error) => {
        stderr.printf ("reconnecting %u %u: %s\n", attempt, delay, error.message);
    });
    if (timeout > 0)
        ws.handshake_timeout = timeout * 1000;

    var app = new App (ws);
    app.loop.run ();
    return app.exit_code;
}
