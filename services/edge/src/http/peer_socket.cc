#include "services/edge/src/http/peer_socket.h"

#include <dirent.h>
#include <httplib.h>
#include <netdb.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>
#include <string>

namespace edge::http {
namespace {

// Whether `address` (from getsockname/getpeername) is `host`:`port` as httplib writes them
// (getnameinfo, numeric host).
bool Is(const sockaddr_storage& address, socklen_t size, const std::string& host, int port) {
  char text[NI_MAXHOST];
  char service[NI_MAXSERV];
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&address), size, text, sizeof text, service,
                  sizeof service, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return false;
  }
  return std::atoi(service) == port && host == text;
}

}  // namespace

int PeerSocket(const httplib::Request& req) {
  if (req.ssl != nullptr) return SSL_get_fd(req.ssl);
  if (req.local_port <= 0 || req.remote_port <= 0) return -1;
  DIR* fds = opendir("/proc/self/fd");
  if (fds == nullptr) return -1;
  int found = -1;
  while (const dirent* entry = readdir(fds)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == dirfd(fds)) continue;
    sockaddr_storage local{};
    socklen_t local_size = sizeof local;
    if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&local), &local_size) != 0 ||
        !Is(local, local_size, req.local_addr, req.local_port)) {
      continue;
    }
    sockaddr_storage peer{};
    socklen_t peer_size = sizeof peer;
    if (getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &peer_size) == 0 &&
        Is(peer, peer_size, req.remote_addr, req.remote_port)) {
      found = static_cast<int>(fd);
      break;
    }
  }
  closedir(fds);
  return found;
}

bool PeerClosed(int fd) {
  pollfd polled{.fd = fd, .events = POLLIN | POLLRDHUP, .revents = 0};
  if (poll(&polled, 1, 0) <= 0) return false;
  if ((polled.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0) return true;
  if ((polled.revents & POLLIN) == 0) return false;
  // Readable without RDHUP: bytes the client sent (a TLS alert, say). Only an end of stream or
  // an error says it left.
  char byte;
  const ssize_t got = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

}  // namespace edge::http
