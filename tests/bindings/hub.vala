/* hub.vala — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fws.Hub from Vala: a SoupServer on 127.0.0.1 whose handler subscribes
 * every WebSocket and EventSource to the topic in its path, Fws.Client and
 * Fws.EventSourceClient peers, and a bridge implemented here in Vala (a
 * "bus" that hands each message back from the main loop, as a Redis
 * subscriber would). Exits non-zero on any failure and within a time limit.
 */

errordomain HubError {
    FAILED
}

delegate bool Predicate ();

const int TIME_LIMIT_S = 60;

int checks = 0;

void check (bool cond, string what) throws HubError {
    checks++;
    if (!cond)
        throw new HubError.FAILED ("assertion failed: %s", what);
}

void check_str (string? got, string? want, string what) throws HubError {
    checks++;
    if (got != want)
        throw new HubError.FAILED ("%s: got \"%s\", want \"%s\"", what, got ?? "(null)", want ?? "(null)");
}

void check_uint (uint64 got, uint64 want, string what) throws HubError {
    checks++;
    if (got != want)
        throw new HubError.FAILED ("%s: got %" + uint64.FORMAT + ", want %" + uint64.FORMAT, what, got, want);
}

async void wait_for (Predicate pred, string what, int secs = 10) throws Error {
    var deadline = GLib.get_monotonic_time () + secs * TimeSpan.SECOND;
    while (!pred ()) {
        if (GLib.get_monotonic_time () > deadline)
            throw new HubError.FAILED ("timed out waiting for %s", what);
        Timeout.add (10, wait_for.callback);
        yield;
    }
}

/* A pretend bus: the message (a reference kept) comes back from the main
 * loop, in order. */
class LoopbackBus : Object, Fws.HubBridge {
    public int published = 0;

    public void publish (Fws.Hub hub, string topic, Fws.HubMessage message) {
        Fws.HubMessage kept = message;
        string t = topic;
        published++;
        Idle.add (() => {
            hub.deliver (t, kept);
            return Source.REMOVE;
        });
    }
}

Fws.Hub hub;
GenericArray<Object> server_conns;

async void run () throws Error {
    var server = (Soup.Server) Object.new (typeof (Soup.Server));
    server.add_handler (null, (srv, msg, path, query) => {
        var topic = path.substring (1);
        Object conn;
        try {
            if (Fws.EventSource.is_event_source_request (msg))
                conn = new Fws.EventSource (msg);
            else
                conn = new Fws.WebSocket (msg, null);
        } catch (Error e) {
            printerr ("handler: %s\n", e.message);
            return;
        }
        hub.subscribe (conn, topic);
        server_conns.add (conn);
    });
    server.listen_local (0, Soup.ServerListenOptions.IPV4_ONLY);
    var port = server.get_uris ().data.get_port ();

    var clients = new GenericArray<Fws.Client> ();
    string[] texts0 = {}, texts1 = {}, texts2 = {};
    string[] binaries = {};
    for (int i = 0; i < 3; i++) {
        var client = new Fws.Client ("ws://127.0.0.1:%d/room".printf (port), null);
        clients.add (client);
    }
    clients[0].text_message.connect ((text) => texts0 += text);
    clients[1].text_message.connect ((text) => texts1 += text);
    clients[2].text_message.connect ((text) => texts2 += text);
    clients[0].message.connect ((type, data) => {
        if (type == Fws.MessageType.BINARY)
            binaries += "%s".printf (data.get_size ().to_string ());
    });
    string[] events = {};
    var es = new Fws.EventSourceClient ("http://127.0.0.1:%d/room".printf (port));
    es.message.connect ((type, data, id) => events += "%s|%s|%s".printf (type, data, id));

    yield wait_for (() => hub.get_n_subscribers ("room") == 4, "four subscribers");
    yield wait_for (() => {
        for (int i = 0; i < 3; i++)
            if (clients[i].ready_state != Fws.ReadyState.OPEN)
                return false;
        return es.ready_state == Fws.ReadyState.OPEN;
    }, "open");
    Fws.WebSocket? ws0 = null;
    for (int i = 0; i < server_conns.length; i++)
        if (server_conns[i] is Fws.WebSocket)
            ws0 = (Fws.WebSocket) server_conns[i];
    check (hub.is_subscribed (ws0, "room"), "is_subscribed");

    /* Without a bridge: delivered at once. */
    check_uint (hub.publish_text ("room", "hello"), 4, "publish_text count");
    check_uint (hub.publish ("nobody", new Fws.HubMessage.text ("x")), 0, "a topic without subscribers");
    var binary = new Fws.HubMessage.binary (new Bytes ({ 0, 1 }));
    check (binary.is_binary (), "is_binary");
    check_uint (hub.publish ("room", binary), 3, "binary reaches the WebSockets only");
    var event = new Fws.HubMessage.event ("chat", "hi", "7");
    check_str ("%s|%s|%s".printf (event.get_event (), (string) event.get_data ().get_data (), event.get_id ()),
               "chat|hi|7", "event message fields");
    check_uint (hub.publish ("room", event), 4, "event count");

    /* A bridge written in Vala: publish hands over, deliver delivers. */
    var bus = new LoopbackBus ();
    hub.bridge = bus;
    check (hub.get_bridge () == bus, "bridge property");
    check_uint (hub.publish_text ("room", "via the bus"), 0, "publish through a bridge");
    check_uint (bus.published, 1, "the bridge got the message");
    yield wait_for (() => texts0.length == 3 && texts1.length == 3 && texts2.length == 3, "three texts each");
    check_str (string.joinv ("/", texts0), "hello/hi/via the bus", "client 0 texts");
    check_str (string.joinv ("/", texts1), "hello/hi/via the bus", "client 1 texts");
    check_str (string.joinv ("/", texts2), "hello/hi/via the bus", "client 2 texts");
    check_str (string.joinv (";", binaries), "2", "binary message");
    yield wait_for (() => events.length == 3, "three events");
    check (events[0].has_prefix ("message|hello|"), "text as an event");
    check_str (events[1], "chat|hi|7", "event with type and id");
    check (events[2].has_prefix ("message|via the bus|"), "bridged event");
    hub.bridge = null;

    hub.overflow_policy = Fws.HubOverflow.CLOSE;
    check (hub.overflow_policy == Fws.HubOverflow.CLOSE, "overflow-policy");
    check_uint (hub.n_skipped, 0, "n-skipped");

    hub.unsubscribe (ws0, "room");
    check_uint (hub.get_n_subscribers ("room"), 3, "unsubscribe");
    hub.subscribe (ws0, "a");
    hub.subscribe (ws0, "b");
    hub.unsubscribe_all (ws0);
    check_uint (hub.get_n_subscribers ("a") + hub.get_n_subscribers ("b"), 0, "unsubscribe_all");

    /* Closed connections leave by themselves. */
    for (int i = 0; i < 3; i++)
        clients[i].close (1000, null);
    es.close ();
    yield wait_for (() => hub.get_n_subscribers ("room") == 0, "everyone left");
    server.disconnect ();
}

int main (string[] args) {
    hub = new Fws.Hub ();
    server_conns = new GenericArray<Object> ();
    var loop = new MainLoop ();
    int status = 1;
    Timeout.add_seconds (TIME_LIMIT_S, () => {
        printerr ("FAIL: not done within %d s\n", TIME_LIMIT_S);
        loop.quit ();
        return Source.REMOVE;
    });
    run.begin ((obj, res) => {
        try {
            run.end (res);
            status = 0;
        } catch (Error e) {
            printerr ("FAIL: %s\n", e.message);
        }
        loop.quit ();
    });
    loop.run ();
    if (status == 0)
        print ("ok - hub.vala: %d checks passed\n", checks);
    return status;
}
