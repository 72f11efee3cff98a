/* Fws-1.0-custom.vala — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Declarations vapigen takes in place of the ones Fws-1.0.metadata skips:
 * the constructors whose string array parameter is const char * const *
 * in C. vapigen 0.56 has no metadata for a parameter's C type, and without
 * it valac passes a gchar ** that GCC 14 rejects
 * (-Werror=incompatible-pointer-types).
 */
namespace Fws {
	public class WebSocket : GLib.Object {
		[CCode (has_construct_function = false)]
		public WebSocket (Soup.ServerMessage msg, [CCode (array_length = false, array_null_terminated = true, type = "const char * const *")] string[]? protocols) throws GLib.Error;
		[CCode (has_construct_function = false)]
		public WebSocket.for_request (Fws.Request request, [CCode (array_length = false, array_null_terminated = true, type = "const char * const *")] string[]? protocols) throws GLib.Error;
	}
	public sealed class Client : Fws.WebSocket {
		[CCode (has_construct_function = false)]
		public Client (string url, [CCode (array_length = false, array_null_terminated = true, type = "const char * const *")] string[]? protocols) throws GLib.Error;
	}
}
