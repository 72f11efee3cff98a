// SPDX-License-Identifier: LGPL-2.1-or-later
// Where gi-docgen links the types of other libraries.
baseURLs = [
    [ 'GLib', 'https://docs.gtk.org/glib/' ],
    [ 'GObject', 'https://docs.gtk.org/gobject/' ],
    [ 'Gio', 'https://docs.gtk.org/gio/' ],
    [ 'Soup', 'https://libsoup.org/libsoup-3.0/' ],
]
