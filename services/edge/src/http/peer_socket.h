#pragma once

namespace httplib {
struct Request;
}

namespace edge::http {

// The socket the request came in on, or -1 when it can't be found. httplib (0.11) hands a
// handler no socket: over TLS it is the SSL object's, otherwise the one socket of this process
// whose local and peer addresses are the request's. Valid only while the request's handler or
// content provider runs (httplib closes it after the response).
int PeerSocket(const httplib::Request& req);

// Whether the peer has closed its side of socket `fd` (or the connection failed), without
// blocking or reading anything: how a long response notices a browser that went away while it
// has nothing to write. A client that half-closes and keeps reading counts as gone; browsers
// don't do that to an event stream.
bool PeerClosed(int fd);

}  // namespace edge::http
