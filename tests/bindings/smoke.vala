/* smoke.vala — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The fws-glib-1.0 vapi from Vala: an echo server on a SoupServer and
 * clients against it, with subprotocols, binary messages as GBytes, ping
 * awaited with yield, close with code and reason, every option property,
 * extensions, TLS, an FwsEventSource and an FwsEventSourceClient reading
 * one; then the same classes behind a SocketService through FwsRequest (the
 * stream door). Usage: smoke SRCDIR
 * (where the test certificates are). Exits non-zero on any failure and within a time
 * limit.
 */

errordomain SmokeError {
    FAILED
}

delegate bool Predicate ();

const int TIME_LIMIT_S = 60;

string srcdir;
int checks = 0;
Error? failure = null;
Fws.WebSocket[] server_sockets;
int[] server_close_codes;
string[] server_close_reasons;
Fws.EventSource[] event_sources;
int event_sources_closed = 0;

void check (bool cond, string what) throws SmokeError {
    checks++;
    if (!cond)
        throw new SmokeError.FAILED ("assertion failed: %s", what);
}

void check_str (string? got, string? want, string what) throws SmokeError {
    checks++;
    if (got != want)
        throw new SmokeError.FAILED ("%s: got \"%s\", want \"%s\"", what, got ?? "(null)", want ?? "(null)");
}

void check_uint (uint64 got, uint64 want, string what) throws SmokeError {
    checks++;
    if (got != want)
        throw new SmokeError.FAILED ("%s: got %" + uint64.FORMAT + ", want %" + uint64.FORMAT, what, got, want);
}

/* Signal handlers cannot throw: they record the first failure here. */
void record (Error e) {
    if (failure == null)
        failure = e;
}

async void wait_for (Predicate pred, string what, int secs = 10) throws Error {
    var deadline = GLib.get_monotonic_time () + secs * TimeSpan.SECOND;
    while (!pred ()) {
        if (failure != null)
            throw failure;
        if (GLib.get_monotonic_time () > deadline)
            throw new SmokeError.FAILED ("timed out waiting for %s", what);
        Timeout.add (10, wait_for.callback);
        yield;
    }
    if (failure != null)
        throw failure;
}

Bytes bytes_of (uint8[] data) {
    return new Bytes (data);
}

bool same_bytes (Bytes a, Bytes b) {
    return a.compare (b) == 0;
}

/* Bytes are not NUL-terminated (only a text message's are). */
string text_of (Bytes data) {
    var buf = new uint8[data.get_size () + 1];
    Memory.copy (buf, data.get_data (), data.get_size ());
    buf[data.get_size ()] = 0;
    return ((string) buf).dup ();
}

/* ---- A custom extension, implemented here ---- */

/* "x-upper" swaps the case of ASCII letters in text messages and marks them
 * with RSV2: it exercises FwsExtension, FwsExtensionSession,
 * FwsExtensionParams and FwsExtensionMessage from Vala. */
string[] extension_offers;
string[] extension_server_offers;
string[] extension_activated;
int extension_outgoing = 0;
int extension_incoming = 0;

Bytes swap_case (Bytes bytes) {
    unowned uint8[] data = bytes.get_data ();
    var swapped = new uint8[data.length];
    for (int i = 0; i < data.length; i++) {
        var c = data[i];
        swapped[i] = ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) ? c ^ 0x20 : c;
    }
    return new Bytes (swapped);
}

class UpperSession : Object, Fws.ExtensionSession {
    public Fws.ExtensionParams[]? generate_offer () throws Error {
        var params = new Fws.ExtensionParams ();
        params.add_flag ("flag");
        params.add_int ("n", 7);
        params.add_string ("s", "a b");
        params.add ("v", new Variant.int64 (9));
        extension_offers += params.to_string ();
        return { params };
    }

    public bool activate (Fws.ExtensionParams params) throws Error {
        extension_activated += "%s %u %u %s %s %s".printf (params.to_string (), params.get_length (),
            params.count ("k"), params.get_key (0), params.get_value (0).get_string (),
            params.lookup ("k").get_string ());
        return true;
    }

    public Fws.ExtensionParams generate_response () {
        var params = new Fws.ExtensionParams ();
        params.add_string ("k", "v");
        return params;
    }

    public bool process_outgoing_message (Fws.ExtensionMessage message) throws Error {
        if (message.get_message_type () == Fws.MessageType.TEXT) {
            message.set_data (swap_case (message.get_data ()));
            message.set_rsv (message.get_rsv () | Fws.ReservedBits.RSV2);
            extension_outgoing++;
        }
        return true;
    }

    public bool process_incoming_message (Fws.ExtensionMessage message) throws Error {
        if (Fws.ReservedBits.RSV2 in message.get_rsv ()) {
            message.set_data (swap_case (message.get_data ()));
            message.set_rsv (message.get_rsv () & ~Fws.ReservedBits.RSV2);
            extension_incoming++;
        }
        return true;
    }

    public void close () {
    }
}

class Upper : Object, Fws.Extension {
    public unowned string get_name () {
        return "x-upper";
    }

    public Fws.ReservedBits get_rsv () {
        return Fws.ReservedBits.RSV2;
    }

    public Fws.ExtensionSession? create_client_session () {
        return new UpperSession ();
    }

    public Fws.ExtensionSession? create_server_session (List<Fws.ExtensionParams> offers) {
        foreach (unowned Fws.ExtensionParams offer in offers)
            extension_server_offers += offer.to_string ();
        return new UpperSession ();
    }
}

/* ---- The server ---- */

void ws_handler (Soup.ServerMessage msg) throws Error {
    check (Fws.WebSocket.is_websocket_request (msg), "is_websocket_request");
    var extra = new Soup.MessageHeaders (Soup.MessageHeadersType.RESPONSE);
    extra.append ("X-Server", "fws-vala");
    extra.append ("Set-Cookie", "smoke-ws=1; Path=/");
    string[] protocols = { "chat", "superchat" };
    var ws = (Fws.WebSocket) Object.new (typeof (Fws.WebSocket), "protocols", protocols);
    ws.max_length = 4096;
    ws.close_timeout = 2000;
    ws.handshake_timeout = 5000;
    ws.ping_interval = 100;
    ws.pong_timeout = 5000;
    ws.extra_headers = extra;
    check_uint (ws.max_length, 4096, "server max-length");
    ws.max_buffered = 1 << 28;
    ws.high_water_mark = 1 << 21;
    ws.low_water_mark = 1 << 19;
    ws.send_overflow = Fws.SendOverflow.ERROR;
    check_uint (ws.get_max_buffered (), 1 << 28, "server max-buffered");
    check_uint (ws.high_water_mark, 1 << 21, "server high-water-mark");
    check_uint (ws.low_water_mark, 1 << 19, "server low-water-mark");
    check (ws.send_overflow == Fws.SendOverflow.ERROR, "server send-overflow");
    check_uint (ws.get_max_length (), 4096, "server get_max_length");
    check_uint (ws.close_timeout, 2000, "server close-timeout");
    check_uint (ws.handshake_timeout, 5000, "server handshake-timeout");
    check_uint (ws.ping_interval, 100, "server ping-interval");
    check_uint (ws.pong_timeout, 5000, "server pong-timeout");
    check_str (ws.extra_headers.get_one ("X-Server"), "fws-vala", "server extra-headers");
    check_str (string.joinv (",", ws.protocols), "chat,superchat", "server protocols");
    check (ws.ready_state == Fws.ReadyState.CONNECTING, "ready-state before accept");
    ws.add_extension (new Fws.PermessageDeflate ());
    check_uint (ws.get_extensions ().length, 1, "get_extensions");
    ws.accept (msg);
    int index = server_sockets.length;
    server_sockets += ws;
    server_close_codes += -1;
    server_close_reasons += "";
    ws.message.connect ((self, type, data) => {
        try {
            self.send (type, data);
        } catch (Error e) {
            record (e);
        }
    });
    ws.closed.connect ((code, reason) => {
        server_close_codes[index] = (int) code;
        server_close_reasons[index] = reason;
    });
}

void events_handler (Soup.ServerMessage msg, string path) throws Error {
    check (Fws.EventSource.is_event_source_request (msg), "is_event_source_request");
    Fws.EventSource es;
    if (path == "/events") {
        var extra = new Soup.MessageHeaders (Soup.MessageHeadersType.RESPONSE);
        extra.append ("X-Events", "yes");
        es = (Fws.EventSource) Object.new (typeof (Fws.EventSource),
                                           "retry", 2.5, "ping-seconds", 0.05, "extra-headers", extra);
        check (es.retry == 2.5, "retry");
        check (es.get_ping_seconds () == 0.05, "ping-seconds");
        check_str (es.get_extra_headers ().get_one ("X-Events"), "yes", "extra-headers");
        es.max_buffered = 1 << 28;
        es.high_water_mark = 1 << 21;
        es.low_water_mark = 1 << 19;
        es.send_overflow = Fws.SendOverflow.CLOSE;
        check_uint (es.max_buffered, 1 << 28, "event source max-buffered");
        check_uint (es.high_water_mark, 1 << 21, "event source high-water-mark");
        check_uint (es.low_water_mark, 1 << 19, "event source low-water-mark");
        check (es.send_overflow == Fws.SendOverflow.CLOSE, "event source send-overflow");
        es.send_overflow = Fws.SendOverflow.ERROR;
        es.accept (msg);
    } else {
        es = new Fws.EventSource (msg);
    }
    check_str (es.last_event_id, "41", "last-event-id");
    check (es.url.has_suffix (path), "url " + es.url);
    es.open.connect ((self) => {
        try {
            check (self.ready_state == Fws.ReadyState.OPEN, "event source open");
            self.send ("hello\nworld", "greet", "42");
            self.send ("plain", null, null);
            self.ping ();
        } catch (Error e) {
            record (e);
        }
        Timeout.add (path == "/events" ? 300 : 0, () => {
            self.close ();
            try {
                check (self.ready_state == Fws.ReadyState.CLOSED, "closed at once");
                self.send ("late", null, null);
                record (new SmokeError.FAILED ("send after close did not fail"));
            } catch (Fws.Error e) {
                if (!(e is Fws.Error.CLOSED))
                    record (e);
            } catch (Error e) {
                record (e);
            }
            return Source.REMOVE;
        });
    });
    es.closed.connect (() => {
        event_sources_closed++;
    });
    event_sources += es;
}

/* /client-events for Fws.EventSourceClient: the first stream sends an event
 * and ends, the next one says which Last-Event-ID it came with. */
Fws.EventSource[] client_streams;

string[] client_stream_requests;  /* "Cookie|User-Agent" of each request */

void client_events_handler (Soup.ServerMessage msg) throws Error {
    var extra = new Soup.MessageHeaders (Soup.MessageHeadersType.RESPONSE);
    extra.append ("Set-Cookie", "smoke-es=1; Path=/");
    var es = (Fws.EventSource) Object.new (typeof (Fws.EventSource), "retry", 0.05, "extra-headers", extra);
    var request = msg.get_request_headers ();
    client_stream_requests += "%s|%s".printf (request.get_one ("Cookie"), request.get_one ("User-Agent"));
    var first = client_streams.length == 0;
    client_streams += es;
    es.open.connect ((self) => {
        try {
            if (first) {
                self.send ("one\ntwo", "greet", "7");
                self.close ();
            } else {
                self.send ("Last-Event-ID " + self.last_event_id, null, null);
            }
        } catch (Error e) {
            record (e);
        }
    });
    es.accept (msg);
}

/* ---- The tests ---- */

/* A Soup.Session with the user agent smoke-vala/1 and a cookie jar holding
 * @cookie for the http:// URL of @base_url. */
Soup.Session new_session (string base_url, string cookie, out Soup.CookieJar jar, out Uri uri) throws Error {
    var session = (Soup.Session) Object.new (typeof (Soup.Session), "user-agent", "smoke-vala/1");
    jar = new Soup.CookieJar ();
    session.add_feature (jar);
    uri = Uri.parse ("http" + base_url.substring (2) + "/", UriFlags.NONE);
    jar.set_cookie (uri, cookie + "; Path=/");
    return session;
}

class Events : Object {
    public bool open = false;
    public GenericArray<Bytes> messages = new GenericArray<Bytes> ();
    public Fws.MessageType[] types = {};
    public string[] texts = {};
    public int[] texts_after = {};
    public string[] pings = {};
    public string[] pongs = {};
    public Error[] errors = {};
    public int close_code = -1;
    public string close_reason = "";
}

Fws.Client new_client (string url, string[]? protocols, out Events ev) throws Error {
    var extra = new Soup.MessageHeaders (Soup.MessageHeadersType.REQUEST);
    extra.append ("X-Client", "vala");
    var client = new Fws.Client (url, protocols);
    client.extra_headers = extra;
    client.use_system_proxy = false;
    var e = new Events ();
    client.open.connect (() => e.open = true);
    client.message.connect ((type, data) => {
        e.types += type;
        e.messages.add (data);
    });
    client.text_message.connect ((text) => {
        e.texts += text;
        e.texts_after += e.messages.length;
    });
    client.ping.connect ((payload) => e.pings += text_of (payload));
    client.pong.connect ((payload) => e.pongs += text_of (payload));
    client.error.connect ((error) => e.errors += error.copy ());
    client.closed.connect ((code, reason) => {
        e.close_code = (int) code;
        e.close_reason = reason;
    });
    ev = e;
    return client;
}

async Bytes next_message (Events ev, out Fws.MessageType type) throws Error {
    var n = ev.messages.length;
    yield wait_for (() => ev.messages.length > n, "a message");
    type = ev.types[n];
    return ev.messages[n];
}

async void test_echo (string base_url) throws Error {
    var deflate = (Fws.PermessageDeflate) Object.new (typeof (Fws.PermessageDeflate),
        "level", 6, "mem-level", 8u, "strategy", Fws.DeflateStrategy.DEFAULT,
        "no-context-takeover", false, "max-window-bits", 15u,
        "request-no-context-takeover", false, "request-max-window-bits", 15u,
        "threshold", 0u);
    check (deflate.level == 6, "deflate level");
    check_uint (deflate.get_mem_level (), 8, "deflate mem-level");
    check (deflate.strategy == Fws.DeflateStrategy.DEFAULT, "deflate strategy");
    check (!deflate.no_context_takeover, "deflate no-context-takeover");
    check_uint (deflate.max_window_bits, 15, "deflate max-window-bits");
    check (!deflate.request_no_context_takeover, "deflate request-no-context-takeover");
    check_uint (deflate.request_max_window_bits, 15, "deflate request-max-window-bits");
    check_uint (deflate.get_threshold (), 0, "deflate threshold");
    check_str (deflate.get_name (), "permessage-deflate", "extension name");

    Events ev;
    var client = new_client (base_url + "/echo", { "superchat" }, out ev);
    /* A Soup.Session: its cookies and user agent go with the handshake, and
     * the 101's Set-Cookie lands in its jar. */
    Soup.CookieJar jar;
    Uri http_uri;
    var session = new_session (base_url, "smoke=vala", out jar, out http_uri);
    client.session = session;
    check (client.session == session, "client session");
    client.max_length = 1 << 20;
    client.close_timeout = 3000;
    client.ping_interval = 0;
    client.pong_timeout = 4000;
    client.handshake_timeout = 6000;
    check_uint (client.max_length, 1 << 20, "client max-length");
    check_uint (client.close_timeout, 3000, "client close-timeout");
    check_uint (client.pong_timeout, 4000, "client pong-timeout");
    check_uint (client.ping_interval, 0, "client ping-interval");
    check_uint (client.handshake_timeout, 6000, "client handshake-timeout");
    check_uint (client.status, 0, "status before the response");
    client.add_extension (deflate);

    yield wait_for (() => ev.open || ev.close_code >= 0, "open");
    check (ev.open, "opened");
    var sessions = client.get_extension_sessions ();
    check_uint (sessions.length, 1, "one extension agreed");
    check (sessions[0] is Fws.ExtensionSession, "an extension session");
    var srv = server_sockets[server_sockets.length - 1];
    var srv_index = server_sockets.length - 1;
    check (client.ready_state == Fws.ReadyState.OPEN, "ready-state");
    check_str (client.protocol, "superchat", "client protocol");
    check_str (srv.get_protocol (), "superchat", "server protocol");
    check_uint (client.get_status (), 101, "status");
    check_str (client.version, "hybi-13", "version");
    check_str (client.url, base_url + "/echo", "url");
    check_str (client.get_headers ().get_one ("X-Server"), "fws-vala", "server extra header");
    check_str (srv.headers.get_one ("X-Client"), "vala", "client extra header");
    check_str (srv.headers.get_one ("Cookie"), "smoke=vala", "the session's cookie seen by the server");
    check_str (srv.headers.get_one ("User-Agent"), "smoke-vala/1", "the session's user agent");
    check ("smoke-ws=1" in jar.get_cookies (http_uri, true), "the 101's Set-Cookie in the jar");
    check (client.get_headers ().get_one ("Sec-WebSocket-Extensions").has_prefix ("permessage-deflate"),
           "permessage-deflate negotiated");

    Fws.MessageType type;
    client.send_text ("hello, wörld");
    var data = yield next_message (ev, out type);
    check (type == Fws.MessageType.TEXT, "text type");
    check_str (text_of (data), "hello, wörld", "text echo");
    check_uint (ev.texts.length, 1, "one text-message");
    check_str (ev.texts[0], "hello, wörld", "text-message text");
    check_uint (ev.texts_after[0], ev.messages.length, "text-message right after message");

    // A text with U+0000 goes whole through the length-taking variant.
    uint8[] nul = { 'a', 0, 'b' };
    client.send_text_len (nul);
    data = yield next_message (ev, out type);
    check (type == Fws.MessageType.TEXT, "send_text_len type");
    check (same_bytes (data, bytes_of (nul)), "text with U+0000 echoed whole");

    var bin = bytes_of ({ 0, 1, 2, 0xfe, 0xff, 0 });
    client.send_binary (bin);
    data = yield next_message (ev, out type);
    check (type == Fws.MessageType.BINARY, "binary type");
    check (same_bytes (data, bin), "binary echo");

    var big = new Bytes (string.nfill (3000, 'x').data);
    client.send (Fws.MessageType.BINARY, big);
    data = yield next_message (ev, out type);
    check (type == Fws.MessageType.BINARY && same_bytes (data, big), "send(BINARY) echo");

    // A uint8[] goes out as it is, without a Bytes around it.
    uint8[] raw = { 0, 'r', 0xff };
    client.send_data (Fws.MessageType.BINARY, raw);
    data = yield next_message (ev, out type);
    check (type == Fws.MessageType.BINARY, "send_data(uint8[]) type");
    check (same_bytes (data, bytes_of (raw)), "send_data(uint8[]) echo");

    var before = ev.messages.length;
    check (yield client.send_async (Fws.MessageType.BINARY, big, null), "send_async completes once written");
    yield wait_for (() => ev.messages.length > before, "the send_async echo");
    check (ev.types[before] == Fws.MessageType.BINARY && same_bytes (ev.messages[before], big), "send_async echo");

    check (yield client.ping_async (bytes_of ("p1".data), null), "ping completes");
    yield wait_for (() => "p1" in ev.pongs, "the pong signal");
    check (yield client.ping_async (null, null), "ping without payload completes");

    yield wait_for (() => ev.pings.length > 0, "a keepalive ping (ping-interval)");
    check_str (ev.pings[0], "1", "keepalive ping payload");

    try {
        client.close (1234, "no");
        check (false, "close 1234 fails");
    } catch (Fws.Error e) {
        check (e is Fws.Error.INVALID_ARGUMENT, "close 1234: INVALID_ARGUMENT");
    }
    check (client.close (4000, "bye"), "close");
    check (client.ready_state == Fws.ReadyState.CLOSING, "closing");
    yield wait_for (() => ev.close_code >= 0 && server_close_codes[srv_index] >= 0, "close");
    check_uint (server_close_codes[srv_index], 4000, "server close code");
    check_str (server_close_reasons[srv_index], "bye", "server close reason");
    check_uint (ev.close_code, 4000, "client close code");
    check_str (ev.close_reason, "bye", "client close reason");
    check_uint (client.close_code, 4000, "close-code after close");
    check_str (client.close_reason, "bye", "close-reason after close");
    check_uint (client.get_close_code (), 4000, "get_close_code");
    check_str (client.get_close_reason (), "bye", "get_close_reason");
    check (client.ready_state == Fws.ReadyState.CLOSED, "closed");
    try {
        client.send_text ("late");
        check (false, "send after close fails");
    } catch (Fws.Error e) {
        check (e is Fws.Error.CLOSED, "send after close: CLOSED");
    }
    try {
        yield client.ping_async (null, null);
        check (false, "ping after close fails");
    } catch (Fws.Error e) {
        check (e is Fws.Error.CLOSED, "ping after close: CLOSED");
    }
}

async void test_server_close_all (string base_url) throws Error {
    Events ev;
    var client = new_client (base_url + "/echo", null, out ev);
    yield wait_for (() => ev.open || ev.close_code >= 0, "open");
    check (ev.open, "opened");
    check (Fws.server_close_all (Fws.CloseCode.GOING_AWAY, "stopping") >= 1, "server_close_all");
    yield wait_for (() => ev.close_code >= 0, "close");
    check_uint (ev.close_code, 1001, "closed by server_close_all: code");
    check_str (ev.close_reason, "stopping", "closed by server_close_all: reason");
    check_uint (client.close_code, 1001, "close-code after server_close_all");
}

async void test_custom_extension (string base_url) throws Error {
    var upper = new Upper ();
    check_str (upper.get_name (), "x-upper", "custom extension name");
    check (upper.get_rsv () == Fws.ReservedBits.RSV2, "custom extension rsv");
    check (upper.create_client_session () is Fws.ExtensionSession, "create_client_session");
    var offers = new List<Fws.ExtensionParams> ();
    offers.append (new Fws.ExtensionParams ());
    check (upper.create_server_session (offers) is Fws.ExtensionSession, "create_server_session");
    extension_server_offers = {};

    Events ev;
    var client = new_client (base_url + "/custom", null, out ev);
    client.add_extension (upper);
    yield wait_for (() => ev.open || ev.close_code >= 0, "open");
    check (ev.open, "opened with a custom extension");
    check_str (client.get_headers ().get_one ("Sec-WebSocket-Extensions"), "x-upper; k=v",
               "custom extension negotiated");
    check_str (extension_offers[0], "flag; n=7; s=\"a b\"; v=9", "offer parameters");
    check_str (extension_server_offers[0], "flag; n=7; s=\"a b\"; v=9", "offers seen by the server");
    check_str (extension_activated[0], "k=v 1 1 k v v", "response parameters");
    client.send_text ("Hello, World");
    Fws.MessageType type;
    var data = yield next_message (ev, out type);
    check (type == Fws.MessageType.TEXT, "text through the custom extension");
    check_str (text_of (data), "Hello, World", "echo through the custom extension");
    check (extension_outgoing == 2, "each side transformed one outgoing message");
    check (extension_incoming == 2, "each side restored one incoming message");
    check_uint (client.buffered_amount, 0, "buffered-amount once written");
    client.close (1000, null);
    yield wait_for (() => ev.close_code >= 0, "close");
}

async void test_max_length (string base_url) throws Error {
    Events ev;
    var client = new_client (base_url + "/limit", null, out ev);
    yield wait_for (() => ev.open, "open");
    client.send_text (string.nfill (5000, 'y'));
    yield wait_for (() => ev.close_code >= 0, "close after a message over max-length");
    check_uint (ev.close_code, Fws.CloseCode.TOO_BIG, "close 1009");
}

async void test_client_properties () throws Error {
    var ca = Path.build_filename (srcdir, "test-ca.pem");
    var proxy_headers = new Soup.MessageHeaders (Soup.MessageHeadersType.REQUEST);
    proxy_headers.append ("X-Proxy", "p");
    /* Not TlsFileDatabase.@new: gio-2.0.vapi gives it the interface's C
     * type, and the C compiler rightly warns. */
    var database = (TlsDatabase) Initable.@new (TlsBackend.get_default ().get_file_database_type (),
                                                null, "anchors", ca);
    var certificate = new TlsCertificate.from_file (Path.build_filename (srcdir, "test-server.pem"));
    Events ev;
    var client = new_client ("ws://127.0.0.1:1/", null, out ev);
    client.tls_verify = false;
    client.tls_ca_files = { ca };
    client.tls_database = database;
    client.tls_certificate = certificate;
    client.proxy = "http://127.0.0.1:1";
    client.proxy_headers = proxy_headers;
    client.handshake_timeout = 5000;
    check (!client.tls_verify, "tls-verify");
    check_str (string.joinv (",", client.tls_ca_files), ca, "tls-ca-files");
    check (client.tls_database == database, "tls-database");
    check (client.get_tls_certificate () == certificate, "tls-certificate");
    check_str (client.proxy, "http://127.0.0.1:1", "proxy");
    check_str (client.get_proxy_headers ().get_one ("X-Proxy"), "p", "proxy-headers");
    check (!client.use_system_proxy, "use-system-proxy");
    check_uint (client.handshake_timeout, 5000, "handshake-timeout");
    client.set_use_system_proxy (true);
    check (client.get_use_system_proxy (), "set_use_system_proxy");
    client.set_tls_verify (true);
    check (client.get_tls_verify (), "set_tls_verify");
    yield wait_for (() => ev.close_code >= 0, "close after the proxy failed");
    check_uint (ev.close_code, Fws.CloseCode.ABNORMAL, "close 1006");
    check (ev.errors.length == 1 && "127.0.0.1:1" in ev.errors[0].message, "proxy error");
}

async void test_handshake_timeout () throws Error {
    var service = new SocketService ();
    var port = service.add_any_inet_port (null);
    var held = new GenericArray<SocketConnection> ();
    service.incoming.connect ((conn) => {
        held.add (conn);
        return true;
    });
    service.start ();
    Events ev;
    var client = new_client ("ws://127.0.0.1:%u/".printf (port), null, out ev);
    client.handshake_timeout = 200;
    yield wait_for (() => ev.close_code >= 0, "handshake timeout");
    check_uint (ev.close_code, Fws.CloseCode.ABNORMAL, "close 1006 after handshake-timeout");
    check (ev.errors[0] is Fws.Error.TIMED_OUT, "TIMED_OUT error");
    service.stop ();
}

async void test_tls () throws Error {
    check (TlsBackend.get_default ().supports_tls (), "a GIO TLS backend (glib-networking)");
    var tls_server = (Soup.Server) Object.new (typeof (Soup.Server), "tls-certificate",
        new TlsCertificate.from_file (Path.build_filename (srcdir, "test-server.pem")));
    tls_server.add_handler (null, (srv, msg, path, query) => {
        try {
            ws_handler (msg);
        } catch (Error e) {
            record (e);
        }
    });
    tls_server.listen_local (0, Soup.ServerListenOptions.IPV4_ONLY | Soup.ServerListenOptions.HTTPS);
    var url = "wss://127.0.0.1:%d/tls".printf (tls_server.get_uris ().data.get_port ());

    Events trusted_ev;
    var trusted = new_client (url, null, out trusted_ev);
    trusted.tls_ca_files = { Path.build_filename (srcdir, "test-ca.pem") };
    yield wait_for (() => trusted_ev.open || trusted_ev.close_code >= 0, "TLS open");
    check (trusted_ev.open, "wss with tls-ca-files opens");
    trusted.send_text ("secret");
    Fws.MessageType type;
    check_str (text_of (yield next_message (trusted_ev, out type)), "secret", "echo over TLS");
    trusted.close (1000, null);
    yield wait_for (() => trusted_ev.close_code >= 0, "TLS close");
    check_uint (trusted_ev.close_code, 1000, "TLS close code");

    Events untrusted_ev;
    var untrusted = new_client (url, null, out untrusted_ev);
    yield wait_for (() => untrusted_ev.close_code >= 0, "untrusted close");
    check_uint (untrusted_ev.close_code, Fws.CloseCode.ABNORMAL, "untrusted certificate: 1006");
    check (untrusted_ev.errors.length > 0, "untrusted certificate: error");
    check (untrusted.ready_state == Fws.ReadyState.CLOSED, "untrusted closed");

    Events unverified_ev;
    var unverified = new_client (url, null, out unverified_ev);
    unverified.tls_verify = false;
    yield wait_for (() => unverified_ev.open || unverified_ev.close_code >= 0, "unverified open");
    check (unverified_ev.open, "tls-verify false accepts the certificate");
    unverified.close (1000, null);
    yield wait_for (() => unverified_ev.close_code >= 0, "unverified close");
    tls_server.disconnect ();
}

async void test_event_source (string base_url) throws Error {
    var session = new Soup.Session ();
    foreach (var path in new string[] { "/events", "/events-new" }) {
        var msg = new Soup.Message ("GET", base_url.replace ("ws:", "http:") + path);
        msg.get_request_headers ().append ("Accept", "text/event-stream");
        msg.get_request_headers ().append ("Last-Event-ID", "41");
        var bytes = yield session.send_and_read_async (msg, Priority.DEFAULT, null);
        var body = text_of (bytes);
        check_uint (msg.get_status (), 200, "status");
        check_str (msg.get_response_headers ().get_content_type (null), "text/event-stream", "content type");
        check ("event: greet\r\nid: 42\r\ndata: hello\r\ndata: world\r\n\r\n" in body, "event in " + body);
        check ("data: plain\r\n\r\n" in body, "plain event");
        var comments = body.split (":\r\n\r\n").length - 1;
        if (path == "/events") {
            check (body.has_prefix ("retry: 2500\r\n"), "retry field");
            check_str (msg.get_response_headers ().get_one ("X-Events"), "yes", "extra header");
            check (comments >= 2, "ping and ping-seconds comments (%d)".printf (comments));
        } else {
            check (comments >= 1, "ping comment");
        }
    }
    yield wait_for (() => event_sources_closed == 2, "event source close signals");
}

/* ---- The stream door: a SocketService and FwsRequest ---- */

class DoorRequest : Object {
    public string method;
    public string path;
    public string? query;
    public Soup.HTTPVersion version;
    public string? client;
    public bool secure;
    public bool websocket;
    public bool event_source;
}

GenericArray<DoorRequest> door_requests;
GenericArray<Fws.WebSocket> door_sockets;
GenericArray<Fws.EventSource> door_event_sources;
int[] door_event_source_closes;

void door_event_source (Fws.EventSource es, bool close_after_event) {
    int index = door_event_sources.length;
    door_event_sources.add (es);
    door_event_source_closes += 0;
    es.open.connect ((self) => {
        try {
            self.send ("through the door", "door", "7");
        } catch (Error e) {
            record (e);
        }
        if (close_after_event)
            self.close ();
    });
    es.closed.connect (() => {
        door_event_source_closes[index]++;
    });
}

async void door_serve (SocketConnection connection) {
    try {
        var request = yield Fws.Request.read_async (connection, 5000, null);
        var seen = new DoorRequest ();
        seen.method = request.get_method ();
        seen.path = request.get_path ();
        seen.query = request.get_query ();
        seen.version = request.get_http_version ();
        seen.client = request.get_headers ().get_one ("X-Client");
        seen.secure = request.get_secure ();
        seen.websocket = request.is_websocket ();
        seen.event_source = request.is_event_source ();
        door_requests.add (seen);
        Fws.WebSocket ws;
        if (seen.path == "/door" && request.is_websocket ()) {
            ws = new Fws.WebSocket.for_request (request, { "chat" });
        } else if (seen.path == "/door-props" && request.is_websocket ()) {
            ws = (Fws.WebSocket) Object.new (typeof (Fws.WebSocket), "max-length", (uint64) 64,
                                             "close-timeout", 2000u);
            ws.accept_request (request);
            /* The request was taken over: it cannot be answered any more. */
            try {
                request.respond (500, null, null);
                record (new SmokeError.FAILED ("respond after the takeover did not fail"));
            } catch (Fws.Error e) {
                check (e is Fws.Error.CLOSED, "respond after the takeover: CLOSED");
            }
        } else if (seen.path == "/door-events" && request.is_event_source ()) {
            door_event_source (new Fws.EventSource.for_request (request), false);
            return;
        } else if (seen.path == "/door-events-props" && request.is_event_source ()) {
            var es = (Fws.EventSource) Object.new (typeof (Fws.EventSource), "retry", 1.5);
            es.accept_request (request);
            door_event_source (es, true);
            return;
        } else {
            check (request.respond (404, null, "Not found\n"), "respond queued");
            return;
        }
        ws.message.connect ((self, type, data) => {
            try {
                self.send (type, data);
            } catch (Error e) {
                record (e);
            }
        });
        door_sockets.add (ws);
    } catch (Error e) {
        record (e);
    }
}

/* Reads text from @stream until @marker arrived, within ten seconds. */
async string read_until (InputStream stream, string marker) throws Error {
    var got = new StringBuilder ();
    var cancellable = new Cancellable ();
    var timer = Timeout.add (10000, () => {
        cancellable.cancel ();
        return Source.REMOVE;
    });
    try {
        while (!(marker in got.str)) {
            var chunk = yield stream.read_bytes_async (4096, Priority.DEFAULT, cancellable);
            if (chunk.get_size () == 0)
                throw new SmokeError.FAILED ("the stream ended before %s", marker);
            got.append (text_of (chunk));
        }
    } finally {
        if (!cancellable.is_cancelled ())
            Source.remove (timer);
    }
    return got.str;
}

async void test_event_source_client (string base_url) throws Error {
    var url = base_url.replace ("ws:", "http:") + "/client-events";
    try {
        new Fws.EventSourceClient ("ws://127.0.0.1/");
        throw new SmokeError.FAILED ("an EventSourceClient took a ws URL");
    } catch (Fws.Error e) {
        check (e is Fws.Error.INVALID_ARGUMENT, "INVALID_ARGUMENT for a ws URL");
    }
    var client = new Fws.EventSourceClient (url);
    var extra = new Soup.MessageHeaders (Soup.MessageHeadersType.REQUEST);
    extra.append ("X-Client", "vala");
    client.extra_headers = extra;
    client.reconnection_time = 100;
    client.handshake_timeout = 5000;
    client.max_redirects = 3;
    client.max_line_length = 65536;
    client.max_event_size = 65536;
    client.tls_verify = true;
    client.tls_ca_files = { Path.build_filename (srcdir, "test-ca.pem") };
    client.tls_database = null;
    client.tls_certificate = null;
    client.proxy = null;
    client.use_system_proxy = false;
    Soup.CookieJar jar;
    Uri http_uri;
    var session = new_session (base_url, "smoke=vala-es", out jar, out http_uri);
    client.session = session;
    check (client.get_session () == session, "event source client session");
    check_str (client.url, url, "url");
    check (client.ready_state == Fws.ReadyState.CONNECTING, "connecting");
    check_str (client.last_event_id, "", "no last event id yet");
    check_uint (client.get_max_redirects (), 3, "max-redirects");
    check_uint (client.get_max_line_length (), 65536, "max-line-length");
    check_uint (client.get_max_event_size (), 65536, "max-event-size");
    check_uint (client.get_handshake_timeout (), 5000, "handshake-timeout");
    check_str (client.get_extra_headers ().get_one ("X-Client"), "vala", "extra-headers");
    var opens = 0;
    string[] messages = {};
    Error[] errors = {};
    Fws.ReadyState[] error_states = {};
    client.open.connect (() => opens++);
    client.message.connect ((type, data, id) => messages += "%s|%s|%s".printf (type, data, id));
    client.error.connect ((self, error) => {
        errors += error.copy ();
        error_states += self.ready_state;
    });
    yield wait_for (() => messages.length == 2, "two events and a reconnection");
    check_str (string.joinv (",", messages), "greet|one\ntwo|7,message|Last-Event-ID 7|7", "events");
    check_uint (opens, 2, "open twice");
    check_uint (errors.length, 1, "one error");
    check (errors[0] is Fws.Error.CLOSED, errors[0].message);
    check (error_states[0] == Fws.ReadyState.CONNECTING, "connecting again after the error");
    check_str (client.last_event_id, "7", "last-event-id");
    check_uint (client.reconnection_time, 50, "retry: 50 from the server");
    check_str (client_stream_requests[0], "smoke=vala-es|smoke-vala/1",
               "the session's cookie and user agent seen by the server");
    check ("smoke-es=1" in jar.get_cookies (http_uri, true), "the stream's Set-Cookie in the jar");
    client.close ();
    check (client.get_ready_state () == Fws.ReadyState.CLOSED, "closed at once");
    yield wait_for (() => {
        foreach (var es in client_streams)
            if (es.ready_state != Fws.ReadyState.CLOSED)
                return false;
        return true;
    }, "the server streams close");
}

async void test_stream_door () throws Error {
    var service = new SocketService ();
    SocketAddress effective;
    check (service.add_address (new InetSocketAddress.from_string ("127.0.0.1", 0), SocketType.STREAM,
                                SocketProtocol.TCP, null, out effective), "listening on 127.0.0.1");
    service.incoming.connect ((connection) => {
        door_serve.begin (connection);
        return true;
    });
    service.start ();
    var base_url = "127.0.0.1:%u".printf (((InetSocketAddress) effective).get_port ());

    Events ev;
    var client = new_client ("ws://" + base_url + "/door?a=1&b=2", { "chat" }, out ev);
    yield wait_for (() => ev.open || ev.close_code >= 0, "open through the door");
    check (ev.open, "opened through the door");
    check_str (client.get_protocol (), "chat", "protocol through the door");
    var seen = door_requests[door_requests.length - 1];
    check_str (seen.method, "GET", "method");
    check_str (seen.path, "/door", "path");
    check_str (seen.query, "a=1&b=2", "query");
    check (seen.version == Soup.HTTPVersion.@1_1, "HTTP/1.1");
    check_str (seen.client, "vala", "request headers");
    check (!seen.secure, "not secure");
    check (seen.websocket && !seen.event_source, "a WebSocket request");
    Fws.MessageType type;
    client.send_text ("door ö");
    var data = yield next_message (ev, out type);
    check (type == Fws.MessageType.TEXT, "text through the door");
    check_str (text_of (data), "door ö", "echo through the door");
    var bin = bytes_of ({ 0, 1, 0xff });
    client.send_binary (bin);
    data = yield next_message (ev, out type);
    check (type == Fws.MessageType.BINARY && same_bytes (data, bin), "binary echo through the door");
    client.close (1000, "done");
    yield wait_for (() => ev.close_code >= 0, "close through the door");
    check_uint (ev.close_code, 1000, "close code through the door");
    check_str (ev.close_reason, "done", "close reason through the door");

    Events props_ev;
    var props = new_client ("ws://" + base_url + "/door-props", null, out props_ev);
    yield wait_for (() => props_ev.open || props_ev.close_code >= 0, "open through accept_request");
    check (props_ev.open, "accept_request opened");
    check_str (door_requests[door_requests.length - 1].query, null, "no query");
    props.send_text ("small");
    check_str (text_of (yield next_message (props_ev, out type)), "small", "echo through accept_request");
    props.send_text (string.nfill (100, 'z'));
    yield wait_for (() => props_ev.close_code >= 0, "close after a message over the door max-length");
    check_uint (props_ev.close_code, Fws.CloseCode.TOO_BIG, "max-length set before accept_request applies");

    var session = new Soup.Session ();
    /* new_for_request: the first event arrives while the stream stays open. */
    var msg = new Soup.Message ("GET", "http://" + base_url + "/door-events");
    msg.get_request_headers ().append ("Accept", "text/event-stream");
    var stream = yield session.send_async (msg, Priority.DEFAULT, null);
    check_uint (msg.get_status (), 200, "door event stream status");
    check_str (msg.get_response_headers ().get_content_type (null), "text/event-stream", "door content type");
    var body = yield read_until (stream, "data: through the door\r\n\r\n");
    check_str (body, "retry: 5000\r\n\r\nevent: door\r\nid: 7\r\ndata: through the door\r\n\r\n", "the first event");
    var es_index = door_event_sources.length - 1;
    var es = door_event_sources[es_index];
    check (es.ready_state == Fws.ReadyState.OPEN, "the stream is still open");
    check (es.url.has_suffix ("/door-events"), "door event source url " + es.url);
    stream.close (null);
    yield wait_for (() => door_event_source_closes[es_index] == 1, "the server to see the client go");

    /* accept_request: an option set before the takeover, then the end of the stream. */
    msg = new Soup.Message ("GET", "http://" + base_url + "/door-events-props");
    msg.get_request_headers ().append ("Accept", "text/event-stream");
    stream = yield session.send_async (msg, Priority.DEFAULT, null);
    check_uint (msg.get_status (), 200, "accept_request event stream status");
    check_str (msg.get_response_headers ().get_content_type (null), "text/event-stream", "content type");
    body = yield read_until (stream, "data: through the door\r\n\r\n");
    check_str (body, "retry: 1500\r\n\r\nevent: door\r\nid: 7\r\ndata: through the door\r\n\r\n",
               "retry and the first event");
    es_index = door_event_sources.length - 1;
    yield wait_for (() => door_event_source_closes[es_index] == 1, "close signal");

    /* Anything else is answered with respond(). */
    msg = new Soup.Message ("GET", "http://" + base_url + "/elsewhere");
    stream = yield session.send_async (msg, Priority.DEFAULT, null);
    check_uint (msg.get_status (), 404, "respond status");
    check_str (msg.get_response_headers ().get_content_type (null), "text/plain", "respond content type");
    check_str (yield read_until (stream, "\n"), "Not found\n", "respond body");
    seen = door_requests[door_requests.length - 1];
    check (!seen.websocket && !seen.event_source, "a plain GET is neither");
    service.stop ();
    service.close ();
}

async void test_listener () throws Error {
    var server = (Soup.Server) Object.new (typeof (Soup.Server));
    server.add_handler (null, (srv, msg, path, query) => { msg.set_status (200, null); });
    var listener = new Fws.Listener ();
    listener.soup_server = server;
    listener.max_pending = 8;
    listener.handshake_timeout = 5000;
    check (listener.listen_local (0), "listen_local");
    var session = new Soup.Session ();
    var msg = new Soup.Message ("GET", "http://127.0.0.1:%u/x".printf (listener.get_port ()));
    yield session.send_and_read_async (msg, Priority.DEFAULT, null);
    check_uint (msg.get_status (), 200, "status through the listener");
    check_uint (listener.n_accepted, 1, "n-accepted");
    check_uint (listener.n_pending, 0, "n-pending");
    check_uint (listener.n_refused + listener.n_timed_out + listener.n_accept_pauses, 0,
                "n-refused, n-timed-out, n-accept-pauses");
    listener.stop ();

    // No SoupServer: the request signal, on a socket of the program's own.
    var sock = new Socket (SocketFamily.IPV4, SocketType.STREAM, SocketProtocol.TCP);
    sock.bind (new InetSocketAddress.from_string ("127.0.0.1", 0), true);
    sock.set_listen_backlog (4096);
    var plain = new Fws.Listener ();
    plain.request.connect ((request) => {
        try {
            request.respond (204, null, null);
        } catch (Error e) {
            record (e);
        }
    });
    check (plain.add_socket (sock), "add_socket");
    msg = new Soup.Message ("GET", "http://127.0.0.1:%u/y".printf (plain.get_port ()));
    yield session.send_and_read_async (msg, Priority.DEFAULT, null);
    check_uint (msg.get_status (), 204, "status through the request signal");
    plain.stop ();

    var ws = (Fws.WebSocket) Object.new (typeof (Fws.WebSocket));
    ws.allowed_origins = { "https://a.example" };
    check_str (ws.allowed_origins[0], "https://a.example", "WebSocket allowed-origins");
    var es = (Fws.EventSource) Object.new (typeof (Fws.EventSource));
    es.allowed_origins = { "https://a.example" };
    check_str (es.allowed_origins[0], "https://a.example", "EventSource allowed-origins");
}

/* The reconnect policy of both clients, against a port nothing listens on. */
async void test_reconnect () throws Error {
    var listener = new SocketListener ();
    var port = listener.add_any_inet_port (null);
    listener.close ();
    var client = (Fws.Client) Object.new (typeof (Fws.Client), "url", "ws://127.0.0.1:%u/".printf (port));
    client.reconnect = true;
    client.reconnect_initial_delay = 10;
    client.reconnect_max_delay = 20;
    client.reconnect_max_attempts = 2;
    client.network_monitor = null;
    check (client.reconnect, "reconnect");
    check_uint (client.get_reconnect_initial_delay (), 10, "reconnect-initial-delay");
    check_uint (client.reconnect_max_delay, 20, "reconnect-max-delay");
    check_uint (client.reconnect_max_attempts, 2, "reconnect-max-attempts");
    check (client.network_monitor == null, "network-monitor");
    uint[] attempts = {};
    uint[] delays = {};
    Error[] causes = {};
    Fws.ReadyState[] states = {};
    int closed = -1;
    client.reconnecting.connect ((self, attempt, delay, error) => {
        attempts += attempt;
        delays += delay;
        causes += error.copy ();
        states += self.ready_state;
    });
    client.closed.connect ((code, reason) => closed = (int) code);
    yield wait_for (() => closed >= 0, "close after two attempts");
    check_uint (attempts.length, 2, "two attempts");
    for (var i = 0; i < attempts.length; i++) {
        check_uint (attempts[i], i + 1, "attempt number");
        check (delays[i] <= 20, "delay within the cap");
        check (causes[i] is IOError.CONNECTION_REFUSED, causes[i].message);
        check (states[i] == Fws.ReadyState.CONNECTING, "connecting while waiting");
    }
    check_uint (closed, Fws.CloseCode.ABNORMAL, "close 1006");

    var events = (Fws.EventSourceClient) Object.new (typeof (Fws.EventSourceClient),
                                                     "url", "http://127.0.0.1:%u/".printf (port));
    events.reconnection_time = 10;
    events.reconnect_max_attempts = 1;
    events.network_monitor = null;
    check (events.reconnect, "an EventSourceClient reconnects by default");
    events.reconnect_initial_delay = 10;
    events.reconnect_max_delay = 20;
    string[] waits = {};
    events.reconnecting.connect ((attempt, delay, error) => waits += "%u:%u".printf (attempt, delay));
    yield wait_for (() => events.ready_state == Fws.ReadyState.CLOSED, "the EventSourceClient gives up");
    check_str (string.joinv (",", waits), "1:10", "one attempt after reconnection-time");
    events.reconnect = false;
}

async void run () throws Error {
    var server = (Soup.Server) Object.new (typeof (Soup.Server));
    server.add_handler (null, (srv, msg, path, query) => {
        try {
            if (path == "/client-events") {
                client_events_handler (msg);
            } else if (path.has_prefix ("/events")) {
                events_handler (msg, path);
            } else if (path == "/custom") {
                var ws = new Fws.WebSocket (msg, null);
                ws.add_extension (new Upper ());
                ws.message.connect ((self, type, data) => {
                    try {
                        self.send (type, data);
                    } catch (Error e) {
                        record (e);
                    }
                });
                server_sockets += ws;
                server_close_codes += -1;
                server_close_reasons += "";
            } else {
                ws_handler (msg);
            }
        } catch (Error e) {
            record (e);
        }
    });
    server.listen_local (0, Soup.ServerListenOptions.IPV4_ONLY);
    var base_url = "ws://127.0.0.1:%d".printf (server.get_uris ().data.get_port ());
    yield test_echo (base_url);
    yield test_custom_extension (base_url);
    yield test_server_close_all (base_url);
    yield test_max_length (base_url);
    yield test_client_properties ();
    yield test_handshake_timeout ();
    yield test_tls ();
    yield test_event_source (base_url);
    yield test_event_source_client (base_url);
    yield test_stream_door ();
    yield test_listener ();
    yield test_reconnect ();
    server.disconnect ();
    if (failure != null)
        throw failure;
}

int main (string[] args) {
    if (args.length != 2) {
        printerr ("usage: smoke SRCDIR\n");
        return 2;
    }
    srcdir = args[1];
    server_sockets = {};
    server_close_codes = {};
    server_close_reasons = {};
    event_sources = {};
    client_streams = {};
    door_requests = new GenericArray<DoorRequest> ();
    door_sockets = new GenericArray<Fws.WebSocket> ();
    door_event_sources = new GenericArray<Fws.EventSource> ();
    door_event_source_closes = {};
    extension_offers = {};
    extension_server_offers = {};
    extension_activated = {};
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
        print ("ok - smoke.vala: %d checks passed\n", checks);
    return status;
}
