#pragma once

#include <string>
#include <string_view>

namespace hc::ids {

// A random version-4 UUID in canonical text form (what every Homecoming id is).
std::string NewUuid();

// True for a UUID in canonical text form (8-4-4-4-12 hex digits).
bool IsUuid(std::string_view text);

// The one spelling of an id that keys, cache entries and text columns use: ASCII lower case.
// PostgreSQL's uuid type reads "0B7E..." and "0b7e..." as the same id, so a request may name
// an id in either case; anything keyed by the text (Redis keys, Kafka keys, text columns)
// must go through this first or the two spellings name two different things.
std::string Canonical(std::string_view id);

}  // namespace hc::ids
