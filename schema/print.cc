#include "schema/print.h"

#include <cstdio>

#include "schema/literal.h"

namespace ormdb::schema {
namespace {

// A string literal the lexer reads back to the same bytes.
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04X", static_cast<unsigned>(c));
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  return out + "\"";
}

std::string Join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

void AppendDoc(std::string* out, const std::string& doc, std::string_view indent) {
  if (doc.empty()) return;
  size_t start = 0;
  for (;;) {
    size_t end = doc.find('\n', start);
    *out += std::string(indent) + "///" + doc.substr(start, end - start) + "\n";
    if (end == std::string::npos) return;
    start = end + 1;
  }
}

std::string ConstantText(const Field& f) {
  const auto& c = f.default_value.constant;
  if (const bool* b = std::get_if<bool>(&c)) return *b ? "true" : "false";
  if (const int64_t* i = std::get_if<int64_t>(&c)) {
    return f.scalar == ScalarType::kDateTime ? Quote(FormatTimestampMicros(*i)) : std::to_string(*i);
  }
  if (const double* d = std::get_if<double>(&c)) return FormatFloat(*d);
  if (const std::string* str = std::get_if<std::string>(&c)) {
    if (f.kind == FieldKind::kEnum || f.scalar == ScalarType::kDecimal) return *str;
    if (f.scalar == ScalarType::kBytes) return Quote(EncodeBase64(*str));
    return Quote(*str);
  }
  return "?";
}

}  // namespace

std::string DefaultText(const Field& f) {
  const DefaultValue& d = f.default_value;
  const std::string version = d.version != 0 ? std::to_string(d.version) : "";
  switch (d.kind) {
    case DefaultKind::kNone: return "";
    case DefaultKind::kAutoincrement: return "autoincrement()";
    case DefaultKind::kUuid: return "uuid(" + version + ")";
    case DefaultKind::kCuid: return "cuid(" + version + ")";
    case DefaultKind::kNow: return "now()";
    case DefaultKind::kConstant: return ConstantText(f);
  }
  return "";
}

namespace {

class Printer {
 public:
  explicit Printer(const Schema& s) : s_(s), prefix_(s.datasource ? s.datasource->name : "db") {}

  std::string Run() {
    if (s_.datasource) {
      out_ += "datasource " + s_.datasource->name + " {\n";
      if (!s_.datasource->provider.empty()) out_ += "  provider = " + Quote(s_.datasource->provider) + "\n";
      out_ += "}\n";
    }
    for (const Enum& e : s_.enums) PrintEnum(e);
    for (const Model& m : s_.models) {
      if (!m.join_of) PrintModel(m);
    }
    PrintRelations();
    return std::move(out_);
  }

 private:
  void Separate() {
    if (!out_.empty()) out_ += "\n";
  }
  // A `//` comment line; control characters from names can't end it early.
  void Comment(std::string_view indent, std::string_view text) {
    out_ += std::string(indent) + "// ";
    for (char c : text) out_ += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
    out_ += "\n";
  }

  void PrintEnum(const Enum& e) {
    Separate();
    AppendDoc(&out_, e.doc, "");
    out_ += "enum " + e.name + " {\n";
    for (const EnumValue& v : e.values) {
      AppendDoc(&out_, v.doc, "  ");
      out_ += "  " + v.name;
      if (v.db_name != v.name) out_ += " @map(" + Quote(v.db_name) + ")";
      out_ += "\n";
    }
    if (e.db_name != e.name) out_ += "\n  @@map(" + Quote(e.db_name) + ")\n";
    out_ += "}\n";
  }

  std::string TypeName(const Field& f) const {
    std::string t;
    switch (f.kind) {
      case FieldKind::kScalar: t = std::string(ScalarTypeName(f.scalar)); break;
      case FieldKind::kEnum: t = s_.enum_type(f.enum_type).name; break;
      case FieldKind::kRelation: t = s_.model(f.related_model).name; break;
    }
    if (f.list) return t + "[]";
    return f.optional ? t + "?" : t;
  }

  std::string KeyParts(const Model& m, const std::vector<KeyPart>& parts) const {
    std::vector<std::string> items;
    for (const KeyPart& p : parts) {
      items.push_back(m.field(p.field).name + (p.sort == SortOrder::kDesc ? "(sort: Desc)" : ""));
    }
    return "[" + Join(items) + "]";
  }

  static std::string NamedArgs(const std::string& name, const std::string& map) {
    std::string out;
    if (!name.empty()) out += ", name: " + Quote(name);
    if (!map.empty()) out += ", map: " + Quote(map);
    return out;
  }

  std::string Attributes(const Model& m, const Field& f) const {
    std::vector<std::string> attrs;
    auto key_args = [](SortOrder sort, const std::string& map) {
      std::vector<std::string> args;
      if (sort == SortOrder::kDesc) args.push_back("sort: Desc");
      if (!map.empty()) args.push_back("map: " + Quote(map));
      return args.empty() ? std::string() : "(" + Join(args) + ")";
    };
    if (f.id) attrs.push_back("@id" + key_args(m.primary_key.parts[0].sort, m.primary_key.map));
    for (const UniqueConstraint& u : m.uniques) {
      if (u.field_level && u.parts[0].field == f.index) attrs.push_back("@unique" + key_args(u.parts[0].sort, u.map));
    }
    if (f.default_value.kind != DefaultKind::kNone) {
      std::string map = f.default_value.map.empty() ? "" : ", map: " + Quote(f.default_value.map);
      attrs.push_back("@default(" + DefaultText(f) + map + ")");
    }
    if (f.updated_at) attrs.push_back("@updatedAt");
    if (f.db_name != f.name) attrs.push_back("@map(" + Quote(f.db_name) + ")");
    if (f.is_relation()) {
      const Relation& r = s_.relation(f.relation);
      std::vector<std::string> args;
      if (r.named) args.push_back(Quote(r.name));
      if (r.from.model == m.index && r.from.field == f.index && r.kind != RelationKind::kManyToMany) {
        std::vector<std::string> fk, refs;
        for (FieldIndex i : r.fk_fields) fk.push_back(m.field(i).name);
        for (FieldIndex i : r.referenced_fields) refs.push_back(s_.model(r.to.model).field(i).name);
        args.push_back("fields: [" + Join(fk) + "]");
        args.push_back("references: [" + Join(refs) + "]");
        if (r.on_delete_explicit) args.push_back("onDelete: " + std::string(ReferentialActionName(r.on_delete)));
        if (r.on_update_explicit) args.push_back("onUpdate: " + std::string(ReferentialActionName(r.on_update)));
        if (!r.map.empty()) args.push_back("map: " + Quote(r.map));
      }
      if (!args.empty()) attrs.push_back("@relation(" + Join(args) + ")");
    }
    if (f.native_type) {
      const NativeType& n = *f.native_type;
      attrs.push_back("@" + prefix_ + "." + n.name + (n.args.empty() ? "" : "(" + Join(n.args) + ")"));
    }
    return Join(attrs, " ");
  }

  void PrintModel(const Model& m) {
    Separate();
    AppendDoc(&out_, m.doc, "");
    out_ += "model " + m.name + " {\n";
    size_t name_width = 0, type_width = 0;
    for (const Field& f : m.fields) {
      name_width = std::max(name_width, f.name.size());
      type_width = std::max(type_width, TypeName(f).size());
    }
    for (const Field& f : m.fields) {
      AppendDoc(&out_, f.doc, "  ");
      std::string line = "  " + f.name + std::string(name_width - f.name.size() + 1, ' ') + TypeName(f);
      const std::string attrs = Attributes(m, f);
      if (!attrs.empty()) line += std::string(type_width - TypeName(f).size() + 1, ' ') + attrs;
      if (f.uuid_bytes) line += " // a UUID, stored as 16 bytes";
      out_ += line + "\n";
    }
    std::vector<std::string> block;
    if (m.primary_key.source == PrimaryKey::Source::kBlockId) {
      block.push_back("@@id(" + KeyParts(m, m.primary_key.parts) + NamedArgs(m.primary_key.name, m.primary_key.map) +
                      ")");
    }
    for (const UniqueConstraint& u : m.uniques) {
      if (!u.field_level) block.push_back("@@unique(" + KeyParts(m, u.parts) + NamedArgs(u.name, u.map) + ")");
    }
    for (const Index& i : m.indexes) {
      block.push_back("@@index(" + KeyParts(m, i.parts) + NamedArgs(i.name, i.map) + ")");
    }
    if (m.db_name != m.name) block.push_back("@@map(" + Quote(m.db_name) + ")");
    if (m.clustering.explicit_choice) {
      const Relation& r = s_.relation(*m.clustering.relation);
      block.push_back("@@cluster(" + m.field(*r.from.field).name + ")");
    }
    out_ += "\n";
    for (const std::string& b : block) out_ += "  " + b + "\n";
    if (m.primary_key.source == PrimaryKey::Source::kUnique) {
      Comment("  ", "primary key: " + KeyParts(m, m.primary_key.parts) + ", its first unique key over required fields");
    }
    Comment("  ", "cluster: " + m.clustering.reason);
    out_ += "}\n";
  }

  std::string Side(const RelationSide& side) const {
    const Model& m = s_.model(side.model);
    return side.field ? m.name + "." + m.field(*side.field).name : m.name;
  }

  std::string Columns(const Model& m, const std::vector<FieldIndex>& fields) const {
    std::vector<std::string> names;
    for (FieldIndex f : fields) names.push_back(m.field(f).name);
    return "[" + Join(names) + "]";
  }

  void PrintRelations() {
    bool first = true;
    for (const Relation& r : s_.relations) {
      if (r.hidden) continue;
      if (first) Separate();
      first = false;
      std::string text = "relation " + Quote(r.name) + ": " + std::string(RelationKindName(r.kind)) + ", ";
      if (r.kind == RelationKind::kManyToMany) {
        text += Side(r.from) + " <-> " + Side(r.to) + " through the hidden join model " +
                Quote(s_.model(*r.join_model).name);
      } else {
        text += Side(r.from) + " " + Columns(s_.model(r.from.model), r.fk_fields) + " -> " + Side(r.to) + " " +
                Columns(s_.model(r.to.model), r.referenced_fields) + (r.required ? ", required" : ", optional") +
                ", onDelete: " + std::string(ReferentialActionName(r.on_delete)) +
                ", onUpdate: " + std::string(ReferentialActionName(r.on_update));
      }
      Comment("", text);
    }
    for (const Model& m : s_.models) {
      if (!m.join_of) continue;
      std::vector<std::string> keys;
      for (const RelationIndex k : s_.relation(*m.join_of).join_keys) {
        const Relation& key = s_.relation(k);
        const Field& f = m.field(key.fk_fields[0]);
        const Model& target = s_.model(key.to.model);
        keys.push_back(f.name + " " + TypeName(f) + (f.uuid_bytes ? " (a UUID, 16 bytes)" : "") + " -> " +
                       target.name + "." + target.field(key.referenced_fields[0]).name);
      }
      Comment("", "join model " + Quote(m.name) + ": " + Join(keys) + "; key [A, B], index [B], onDelete: Cascade; " +
                      m.clustering.reason);
    }
  }

  const Schema& s_;
  const std::string prefix_;
  std::string out_;
};

}  // namespace

std::string Print(const Schema& schema) { return Printer(schema).Run(); }

}  // namespace ormdb::schema
