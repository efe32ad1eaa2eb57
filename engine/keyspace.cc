#include "engine/keyspace.h"

namespace ormdb::engine {

std::string CatalogKey(char tag, uint32_t version) {
  std::string k{kCatalogSpace, tag};
  schema::AppendU32Key(&k, version);
  return k;
}

std::string SpacePrefix(char space, uint32_t id) {
  std::string k(1, space);
  schema::AppendU32Key(&k, id);
  return k;
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last != 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return end;
}

}  // namespace ormdb::engine
