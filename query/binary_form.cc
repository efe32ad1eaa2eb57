#include "query/binary_form.h"

#include <cmath>
#include <cstring>
#include <set>

#include "schema/convert.h"
#include "util/coding.h"

namespace ormdb::query {

namespace {

constexpr char kMagic[4] = {'O', 'R', 'M', 'Q'};
constexpr uint8_t kVersion = 1;

enum Tag : uint8_t {
  kNull = 0,
  kFalse = 1,
  kTrue = 2,
  kInteger = 3,  // zigzag varint
  kDouble = 4,   // 8 bytes, IEEE 754, finite
  kNumber = 5,   // varint length + the number's JSON text
  kString = 6,   // varint length + UTF-8
  kArray = 7,    // varint count + values
  kObject = 8,   // varint count + (varint length + key, value) pairs
};

void PutBytes(std::string* out, std::string_view s) {
  coding::PutVarint64(out, s.size());
  out->append(s);
}

void Encode(const json::Value& v, std::string* out) {
  using K = json::Value::Kind;
  switch (v.kind()) {
    case K::kNull: out->push_back(kNull); return;
    case K::kBool: out->push_back(v.bool_value() ? kTrue : kFalse); return;
    case K::kNumber:
      if (v.is_integer()) {
        out->push_back(kInteger);
        const int64_t x = v.int_value();
        coding::PutVarint64(out, (static_cast<uint64_t>(x) << 1) ^ static_cast<uint64_t>(x >> 63));
      } else {
        out->push_back(kNumber);
        PutBytes(out, v.number_text());
      }
      return;
    case K::kString: out->push_back(kString); PutBytes(out, v.string_value()); return;
    case K::kArray:
      out->push_back(kArray);
      coding::PutVarint64(out, v.items().size());
      for (const json::Value& x : v.items()) Encode(x, out);
      return;
    case K::kObject:
      out->push_back(kObject);
      coding::PutVarint64(out, v.members().size());
      for (const auto& [k, x] : v.members()) {
        PutBytes(out, k);
        Encode(x, out);
      }
      return;
  }
}

class Decoder {
 public:
  Decoder(std::string_view in, int max_depth) : in_(in), max_depth_(max_depth) {}

  Result<json::Value> Top() {
    if (in_.size() < 5 || std::memcmp(in_.data(), kMagic, 4) != 0) {
      return Status::InvalidArgument("binary request: no ORMQ header (is this the JSON text form?)");
    }
    if (static_cast<uint8_t>(in_[4]) != kVersion) {
      return Status::NotSupported("binary request version " + std::to_string(static_cast<uint8_t>(in_[4])) +
                                  " (this server reads version 1)");
    }
    pos_ = 5;
    ASSIGN_OR_RETURN(json::Value v, Value(0));
    if (pos_ != in_.size()) return Error("bytes after the request");
    return v;
  }

 private:
  Status Error(const std::string& what) const {
    return Status::InvalidArgument("binary request at byte " + std::to_string(pos_) + ": " + what);
  }

  Result<uint64_t> Varint(std::string_view what) {
    std::string_view rest = in_.substr(pos_);
    uint64_t v;
    if (!coding::GetVarint64(&rest, &v)) return Error("bad or truncated " + std::string(what));
    pos_ = in_.size() - rest.size();
    return v;
  }

  Result<std::string_view> Bytes(std::string_view what) {
    ASSIGN_OR_RETURN(uint64_t n, Varint(what));
    if (n > in_.size() - pos_) return Error(std::string(what) + " of " + std::to_string(n) + " bytes runs past the end");
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }

  Result<std::string> Text(std::string_view what) {
    const size_t at = pos_;
    ASSIGN_OR_RETURN(std::string_view s, Bytes(what));
    if (!schema::IsValidUtf8(s)) {
      pos_ = at;
      return Error(std::string(what) + " is not valid UTF-8");
    }
    return std::string(s);
  }

  Result<json::Value> Value(int depth) {
    if (depth > max_depth_) return Error("nested deeper than " + std::to_string(max_depth_));
    if (pos_ >= in_.size()) return Error("truncated: a value was expected");
    const uint8_t tag = static_cast<uint8_t>(in_[pos_++]);
    switch (tag) {
      case kNull: return json::Value::Null();
      case kFalse: return json::Value::Bool(false);
      case kTrue: return json::Value::Bool(true);
      case kInteger: {
        ASSIGN_OR_RETURN(uint64_t z, Varint("integer"));
        return json::Value::Int(static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1)));
      }
      case kDouble: {
        if (in_.size() - pos_ < 8) return Error("truncated double");
        uint64_t bits = coding::DecodeFixed64(in_.data() + pos_);
        double d;
        std::memcpy(&d, &bits, 8);
        if (!std::isfinite(d)) return Error("a double that is not finite");
        pos_ += 8;
        return json::Value::Double(d);
      }
      case kNumber: {
        const size_t at = pos_;
        ASSIGN_OR_RETURN(std::string_view text, Bytes("number"));
        Result<json::Value> n = json::Parse(text);
        if (!n.ok() || !n->is_number()) {
          pos_ = at;
          return Error("number text \"" + std::string(text.substr(0, 40)) + "\" is not a JSON number");
        }
        return n;
      }
      case kString: {
        ASSIGN_OR_RETURN(std::string s, Text("string"));
        return json::Value::String(std::move(s));
      }
      case kArray: {
        ASSIGN_OR_RETURN(uint64_t n, Varint("array length"));
        if (n > in_.size() - pos_) return Error("array of " + std::to_string(n) + " values runs past the end");
        json::Value a = json::Value::Array();
        for (uint64_t i = 0; i < n; ++i) {
          ASSIGN_OR_RETURN(json::Value x, Value(depth + 1));
          a.Push(std::move(x));
        }
        return a;
      }
      case kObject: {
        ASSIGN_OR_RETURN(uint64_t n, Varint("object size"));
        if (n > (in_.size() - pos_) / 2) return Error("object of " + std::to_string(n) + " members runs past the end");
        json::Value o = json::Value::Object();
        std::set<std::string, std::less<>> keys;
        for (uint64_t i = 0; i < n; ++i) {
          const size_t at = pos_;
          ASSIGN_OR_RETURN(std::string k, Text("key"));
          if (!keys.insert(k).second) {
            pos_ = at;
            return Error("duplicate key \"" + k + "\"");
          }
          ASSIGN_OR_RETURN(json::Value x, Value(depth + 1));
          o.Add(std::move(k), std::move(x));
        }
        return o;
      }
      default:
        --pos_;
        return Error("unknown tag " + std::to_string(tag));
    }
  }

  std::string_view in_;
  size_t pos_ = 0;
  int max_depth_;
};

}  // namespace

std::string EncodeBinaryRequest(const json::Value& request) {
  std::string out(kMagic, 4);
  out.push_back(static_cast<char>(kVersion));
  Encode(request, &out);
  return out;
}

Result<json::Value> DecodeBinaryRequest(std::string_view bytes, int max_depth) {
  return Decoder(bytes, max_depth).Top();
}

Result<Request> ParseBinaryRequest(std::string_view bytes, const schema::Schema& schema, const ParseLimits& limits) {
  ASSIGN_OR_RETURN(json::Value v, DecodeBinaryRequest(bytes));
  return ParseRequest(v, schema, limits);
}

}  // namespace ormdb::query
