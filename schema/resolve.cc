#include "schema/resolve.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <set>

#include "schema/lexer.h"
#include "schema/literal.h"
#include "schema/parser.h"
#include "schema/resolver.h"

namespace ormdb::schema {
namespace {

using Kind = ast::Expression::Kind;

std::string DescribeExpression(const ast::Expression& e) {
  const std::string text = Excerpt(e.text);
  switch (e.kind) {
    case Kind::kString: return "string \"" + text + "\"";
    case Kind::kNumber: return "number " + text;
    case Kind::kIdentifier: return "'" + text + "'";
    case Kind::kCall: return "'" + text + "(...)'";
    case Kind::kArray: return "a list";
  }
  return "a value";
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Line(SourceLocation loc) { return "line " + std::to_string(loc.line); }

std::optional<ReferentialAction> ActionFromName(std::string_view name) {
  for (ReferentialAction a : {ReferentialAction::kCascade, ReferentialAction::kRestrict, ReferentialAction::kNoAction,
                              ReferentialAction::kSetNull, ReferentialAction::kSetDefault}) {
    if (ReferentialActionName(a) == name) return a;
  }
  return std::nullopt;
}

std::vector<FieldIndex> Sorted(std::vector<FieldIndex> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<FieldIndex> PartFields(const std::vector<KeyPart>& parts) {
  std::vector<FieldIndex> out;
  for (const KeyPart& p : parts) out.push_back(p.field);
  return out;
}

}  // namespace

bool IsPrimaryKey(const Model& m, std::vector<FieldIndex> fields) {
  return Sorted(PartFields(m.primary_key.parts)) == Sorted(std::move(fields));
}

bool IsUniqueKey(const Model& m, std::vector<FieldIndex> fields) {
  fields = Sorted(std::move(fields));
  if (Sorted(PartFields(m.primary_key.parts)) == fields) return true;
  return std::any_of(m.uniques.begin(), m.uniques.end(),
                     [&](const UniqueConstraint& u) { return Sorted(PartFields(u.parts)) == fields; });
}

Result<Schema> Resolve(const ast::File& file) { return Resolver(file).Run(); }

Result<Schema> LoadSchema(std::string_view text, std::string_view file_name) {
  ASSIGN_OR_RETURN(ast::File file, ParseSchemaText(text, file_name));
  return Resolve(file);
}

Result<Schema> Resolver::Run() {
  schema_.file = file_.name;
  RETURN_IF_ERROR(DeclareBlocks());
  for (size_t i = 0; i < enum_blocks_.size(); ++i) {
    RETURN_IF_ERROR(ResolveEnum(*enum_blocks_[i], &schema_.enums[i]));
  }
  for (size_t i = 0; i < model_blocks_.size(); ++i) {
    const ast::Block& b = *model_blocks_[i];
    Model& m = schema_.models[i];
    std::unordered_map<std::string_view, SourceLocation> declared;
    for (const ast::Field& f : b.fields) {
      if (auto [prior, fresh] = declared.emplace(f.name, f.loc); !fresh) {
        return Error(f.loc, "field " + f.name + " is declared twice in model " + m.name + " (first at " +
                                Line(prior->second) + ")");
      }
      Field out;
      out.index = FieldIndex(m.fields.size());
      out.name = f.name;
      out.db_name = f.name;
      out.doc = f.doc;
      out.loc = f.loc;
      RETURN_IF_ERROR(ResolveFieldType(f, &out));
      m.fields.push_back(std::move(out));
    }
    for (size_t f = 0; f < b.fields.size(); ++f) {
      RETURN_IF_ERROR(ResolveFieldAttributes(b.fields[f], &m, &m.fields[f]));
    }
    RETURN_IF_ERROR(ResolveModelAttributes(b, &m));
    RETURN_IF_ERROR(ChoosePrimaryKey(&m));
  }
  RETURN_IF_ERROR(ResolveRelations());
  RETURN_IF_ERROR(CheckDbNames());
  RETURN_IF_ERROR(ResolveClustering());
  return std::move(schema_);
}

Result<Arguments> Resolver::Args(const ast::Attribute& a, std::string_view main) const {
  return Arguments::Of(file_.name, (a.block ? "@@" : "@") + a.name, a.args, main);
}

Result<std::string> Resolver::StringValue(const ast::Expression* e, std::string_view what) const {
  if (e->kind != Kind::kString) {
    return Error(e->loc, std::string(what) + " must be a string, found " + DescribeExpression(*e));
  }
  if (e->text.empty()) return Error(e->loc, std::string(what) + " must not be empty");
  return e->text;
}

// @map("name") and @@map("name").
Result<std::string> Resolver::MapName(const ast::Attribute& a) const {
  ASSIGN_OR_RETURN(Arguments args, Args(a, "name"));
  const ast::Expression* e = args.Take("name");
  RETURN_IF_ERROR(args.Finish());
  if (e == nullptr) return Error(a.loc, args.what() + " needs a name: " + args.what() + "(\"...\")");
  return StringValue(e, "the name in " + args.what());
}

Status Resolver::DeclareBlocks() {
  for (const ast::Block& b : file_.blocks) {
    if (b.kind == ast::Block::Kind::kDatasource) {
      if (schema_.datasource) {
        return Error(b.loc, "a schema has one datasource block, and '" + schema_.datasource->name +
                                "' was declared first");
      }
      Datasource ds{b.name, ""};
      for (const ast::ConfigEntry& e : b.entries) {
        if (e.key == "provider" && e.value.kind == Kind::kString) ds.provider = e.value.text;
      }
      native_prefix_ = b.name;
      schema_.datasource = std::move(ds);
    }
  }
  for (const ast::Block& b : file_.blocks) {
    const bool is_model = b.kind == ast::Block::Kind::kModel;
    if (!is_model && b.kind != ast::Block::Kind::kEnum) continue;  // generators are ignored
    const std::string kind = is_model ? "model" : "enum";
    if (!std::isalpha(static_cast<unsigned char>(b.name[0]))) {
      return Error(b.name_loc, kind + " name " + b.name + " must start with a letter");
    }
    if (ScalarTypeFromName(b.name) || b.name == "Unsupported") {
      return Error(b.name_loc, b.name + " is a built-in type and cannot name a " + kind);
    }
    if (auto it = model_names_.find(b.name); it != model_names_.end()) {
      return Error(b.name_loc, "the name " + b.name + " is already used by the model declared at " +
                                   Line(schema_.model(it->second).loc));
    }
    if (auto it = enum_names_.find(b.name); it != enum_names_.end()) {
      return Error(b.name_loc, "the name " + b.name + " is already used by the enum declared at " +
                                   Line(schema_.enum_type(it->second).loc));
    }
    if (is_model) {
      Model m;
      m.index = ModelIndex(schema_.models.size());
      m.name = b.name;
      m.db_name = b.name;
      m.doc = b.doc;
      m.loc = b.name_loc;
      model_names_.emplace(b.name, m.index);
      schema_.models.push_back(std::move(m));
      model_blocks_.push_back(&b);
      cluster_requests_.emplace_back();
    } else {
      Enum e;
      e.index = EnumIndex(schema_.enums.size());
      e.name = b.name;
      e.db_name = b.name;
      e.doc = b.doc;
      e.loc = b.name_loc;
      enum_names_.emplace(b.name, e.index);
      schema_.enums.push_back(std::move(e));
      enum_blocks_.push_back(&b);
    }
  }
  return Status::OK();
}

Status Resolver::ResolveEnum(const ast::Block& b, Enum* e) {
  if (b.values.empty()) return Error(b.name_loc, "enum " + e->name + " has no values");
  std::unordered_map<std::string_view, SourceLocation> declared;
  for (const ast::EnumValue& v : b.values) {
    if (auto [prior, fresh] = declared.emplace(v.name, v.loc); !fresh) {
      return Error(v.loc, "value " + v.name + " is declared twice in enum " + e->name + " (first at " +
                              Line(prior->second) + ")");
    }
    EnumValue out{v.name, v.name, v.doc, v.loc};
    bool mapped = false;
    for (const ast::Attribute& a : v.attributes) {
      if (a.name != "map") {
        return Error(a.loc, "unknown attribute @" + a.name + " on enum value " + v.name + " (enum values take @map)");
      }
      if (mapped) return Error(a.loc, "attribute @map given twice on enum value " + v.name);
      mapped = true;
      ASSIGN_OR_RETURN(out.db_name, MapName(a));
    }
    e->values.push_back(std::move(out));
  }
  bool mapped = false;
  for (const ast::Attribute& a : b.attributes) {
    if (a.name == "schema") {
      return Unsupported(a.loc, "@@schema (several database schemas) is not supported: ormDB has one namespace");
    }
    if (a.name != "map") {
      return Error(a.loc, "unknown block attribute @@" + a.name + " on enum " + e->name + " (enums take @@map)");
    }
    if (mapped) return Error(a.loc, "attribute @@map given twice on enum " + e->name);
    mapped = true;
    ASSIGN_OR_RETURN(e->db_name, MapName(a));
  }
  return Status::OK();
}

Status Resolver::ResolveFieldType(const ast::Field& f, Field* out) const {
  const ast::FieldType& t = f.type;
  out->optional = t.optional;
  out->list = t.list;
  if (auto scalar = ScalarTypeFromName(t.name)) {
    out->kind = FieldKind::kScalar;
    out->scalar = *scalar;
  } else if (auto e = enum_names_.find(t.name); e != enum_names_.end()) {
    out->kind = FieldKind::kEnum;
    out->enum_type = e->second;
  } else if (auto m = model_names_.find(t.name); m != model_names_.end()) {
    out->kind = FieldKind::kRelation;
    out->related_model = m->second;
    return Status::OK();
  } else {
    std::string hint;
    const std::string lower = Lower(t.name);
    for (std::string_view s : {"Boolean", "Int", "BigInt", "Float", "Decimal", "String", "Bytes", "DateTime", "Json"}) {
      if (Lower(s) == lower) hint = std::string(s);
    }
    for (const auto& [name, _] : model_names_) {
      if (Lower(name) == lower) hint = name;
    }
    for (const auto& [name, _] : enum_names_) {
      if (Lower(name) == lower) hint = name;
    }
    return Error(t.loc, "unknown type " + t.name + " for field " + f.name +
                            (hint.empty() ? " (not a scalar type, a model or an enum)"
                                          : " (did you mean " + hint + "?)"));
  }
  if (t.list) {
    return Unsupported(t.loc, std::string(out->kind == FieldKind::kEnum ? "enum" : "scalar") + " lists (" + t.name +
                                  "[]) are not supported: use a related model or a Json field (field " + f.name +
                                  ")");
  }
  return Status::OK();
}

Status Resolver::ResolveFieldAttributes(const ast::Field& f, Model* m, Field* out) {
  std::set<std::string> seen;
  std::optional<RelationSpec> spec;
  if (out->is_relation()) {
    spec.emplace();
    spec->model = m->index;
    spec->field = out->index;
    spec->loc = f.loc;
    spec->attr_loc = f.loc;
  }
  for (const ast::Attribute& a : f.attributes) {
    if (!seen.insert(a.name).second) return Error(a.loc, "attribute @" + a.name + " given twice on field " + f.name);
    if (a.name == "ignore") {
      return Unsupported(a.loc, "@ignore is not supported: ormDB stores every field a schema declares; remove the "
                                "field or the attribute");
    }
    if (out->is_relation() && a.name != "relation") {
      return Error(a.loc, "attribute @" + a.name + " cannot be used on relation field " + f.name +
                              ", which is not stored; put it on the scalar fields that hold the foreign key");
    }
    if (a.name == "id" || a.name == "unique") {
      RETURN_IF_ERROR(ResolveKeyAttribute(a, m, out));
    } else if (a.name == "default") {
      RETURN_IF_ERROR(ResolveDefault(a, out));
    } else if (a.name == "updatedAt") {
      ASSIGN_OR_RETURN(Arguments args, Args(a, ""));
      RETURN_IF_ERROR(args.Finish());
      if (out->kind != FieldKind::kScalar || out->scalar != ScalarType::kDateTime) {
        return Error(a.loc, "@updatedAt applies to DateTime fields, and " + f.name + " is " + f.type.name);
      }
      out->updated_at = true;
    } else if (a.name == "map") {
      ASSIGN_OR_RETURN(out->db_name, MapName(a));
    } else if (a.name == "relation") {
      if (!out->is_relation()) {
        return Error(a.loc, "@relation applies to relation fields, and " + f.name + " has type " + f.type.name);
      }
      spec->attr_loc = a.loc;
      RETURN_IF_ERROR(ResolveRelationAttribute(a, &*spec));
    } else if (a.name.find('.') != std::string::npos) {
      RETURN_IF_ERROR(ResolveNativeType(a, out));
    } else {
      return Error(a.loc, "unknown attribute @" + a.name + " on field " + f.name);
    }
  }
  // A generated UUID id is stored as its 16 bytes, unless a native type says otherwise.
  if (out->id && out->default_value.kind == DefaultKind::kUuid && !out->native_type) out->uuid_bytes = true;
  if (spec) relation_specs_.push_back(std::move(*spec));
  return Status::OK();
}

// @id and @unique on a field.
Status Resolver::ResolveKeyAttribute(const ast::Attribute& a, Model* m, Field* out) {
  const bool id = a.name == "id";
  ASSIGN_OR_RETURN(Arguments args, Args(a, ""));
  for (const char* option : {"length", "clustered"}) {
    if (const ast::Expression* e = args.Take(option)) {
      return Unsupported(e->loc, "the " + std::string(option) + ": argument of " + args.what() + " is not supported");
    }
  }
  SortOrder sort = SortOrder::kAsc;
  if (const ast::Expression* e = args.Take("sort")) {
    ASSIGN_OR_RETURN(sort, ResolveSort(*e));
  }
  std::string map;
  if (const ast::Expression* e = args.Take("map")) {
    ASSIGN_OR_RETURN(map, StringValue(e, "map"));
  }
  RETURN_IF_ERROR(args.Finish());
  if (out->kind == FieldKind::kScalar && out->scalar == ScalarType::kJson) {
    return Error(a.loc, "Json field " + out->name + " cannot be " + (id ? "an id" : "unique"));
  }
  if (!id) {
    out->unique = true;
    m->uniques.push_back(UniqueConstraint{{KeyPart{out->index, sort}}, true, "", std::move(map), a.loc});
    return Status::OK();
  }
  if (out->optional) return Error(a.loc, "an @id field must be required, and " + out->name + " is optional");
  if (!m->primary_key.parts.empty()) {
    const Field& other = m->field(m->primary_key.parts[0].field);
    return Error(a.loc, "model " + m->name + " has more than one @id field (" + other.name + " and " + out->name +
                            "); declare a composite key with @@id([" + other.name + ", " + out->name + "])");
  }
  out->id = true;
  m->primary_key = PrimaryKey{PrimaryKey::Source::kFieldId, {KeyPart{out->index, sort}}, "", std::move(map), a.loc};
  return Status::OK();
}

// @db.VarChar(255): recorded; @db.Uuid also stores the String as 16 bytes.
Status Resolver::ResolveNativeType(const ast::Attribute& a, Field* out) {
  const size_t dot = a.name.find('.');
  const std::string prefix = a.name.substr(0, dot);
  NativeType native{a.name.substr(dot + 1), {}};
  if (prefix != native_prefix_) {
    return Error(a.loc, "unknown attribute @" + a.name + " (native type attributes are named after the datasource: @" +
                            native_prefix_ + "." + native.name + ")");
  }
  if (out->kind != FieldKind::kScalar) {
    return Error(a.loc, "native type attribute @" + a.name + " applies to scalar fields, and " + out->name +
                            " is an enum");
  }
  if (out->native_type) {
    return Error(a.loc, "field " + out->name + " has two native type attributes (@" + native_prefix_ + "." +
                            out->native_type->name + " and @" + a.name + ")");
  }
  for (const ast::Argument& arg : a.args) {
    if (!arg.name.empty() || arg.value.kind != Kind::kNumber) {
      return Error(arg.loc, "the arguments of @" + a.name + " are unnamed numbers, found " +
                                (arg.name.empty() ? DescribeExpression(arg.value) : "'" + arg.name + ":'"));
    }
    native.args.push_back(arg.value.text);
  }
  if (native.name == "Uuid") {
    if (out->scalar != ScalarType::kString) {
      return Error(a.loc, "@" + a.name + " applies to String fields, and " + out->name + " is " +
                              std::string(ScalarTypeName(out->scalar)));
    }
    if (!native.args.empty()) return Error(a.loc, "@" + a.name + " takes no arguments");
    out->uuid_bytes = true;
  }
  out->native_type = std::move(native);
  return Status::OK();
}

Status Resolver::ResolveDefault(const ast::Attribute& a, Field* out) const {
  ASSIGN_OR_RETURN(Arguments args, Args(a, "value"));
  const ast::Expression* value = args.Take("value");
  if (const ast::Expression* e = args.Take("map")) {
    ASSIGN_OR_RETURN(out->default_value.map, StringValue(e, "map"));
  }
  RETURN_IF_ERROR(args.Finish());
  if (value == nullptr) return Error(a.loc, "@default needs a value: @default(...)");
  if (value->kind == Kind::kCall) return ResolveGenerator(*value, out);
  return ResolveConstant(*value, out);
}

// autoincrement(), uuid(), cuid(), now().
Status Resolver::ResolveGenerator(const ast::Expression& e, Field* out) const {
  const std::string& fn = e.text;
  DefaultValue& d = out->default_value;
  std::optional<ScalarType> type;
  std::vector<int> versions;  // accepted version arguments, none if it takes no argument
  if (fn == "autoincrement") {
    d.kind = DefaultKind::kAutoincrement;
    if (out->kind != FieldKind::kScalar || (out->scalar != ScalarType::kInt && out->scalar != ScalarType::kBigInt)) {
      return Error(e.loc, "@default(autoincrement()) applies to Int and BigInt fields, and " + out->name + " is not");
    }
  } else if (fn == "uuid" || fn == "cuid") {
    d.kind = fn == "uuid" ? DefaultKind::kUuid : DefaultKind::kCuid;
    type = ScalarType::kString;
    versions = fn == "uuid" ? std::vector<int>{4, 7} : std::vector<int>{1, 2};
  } else if (fn == "now") {
    d.kind = DefaultKind::kNow;
    type = ScalarType::kDateTime;
  } else if (fn == "dbgenerated") {
    return Unsupported(e.loc, "@default(dbgenerated(...)) is not supported: ormDB evaluates no SQL; use a constant "
                              "or autoincrement(), uuid(), cuid() or now()");
  } else if (fn == "nanoid" || fn == "ulid" || fn == "sequence" || fn == "auto") {
    return Unsupported(e.loc, "@default(" + fn + "()) is not supported (ormDB generates autoincrement(), uuid(), "
                              "cuid() and now())");
  } else {
    return Error(e.loc, "unknown function " + fn + "() in @default (known: autoincrement(), uuid(), cuid(), now())");
  }
  if (type && (out->kind != FieldKind::kScalar || out->scalar != *type)) {
    return Error(e.loc, "@default(" + fn + "()) applies to " + std::string(ScalarTypeName(*type)) + " fields, and " +
                            out->name + " is not");
  }
  if (e.args.empty()) return Status::OK();
  const ast::Argument& arg = e.args[0];
  if (versions.empty()) return Error(arg.loc, fn + "() takes no arguments");
  std::optional<int64_t> v;
  if (e.args.size() == 1 && arg.name.empty() && arg.value.kind == Kind::kNumber) v = ParseInteger(arg.value.text, 0, 9);
  if (!v || std::find(versions.begin(), versions.end(), *v) == versions.end()) {
    return Error(arg.loc, fn + "() takes an optional version: " + fn + "(" + std::to_string(versions[0]) + ") or " +
                              fn + "(" + std::to_string(versions[1]) + ")");
  }
  d.version = static_cast<int>(*v);
  return Status::OK();
}

Status Resolver::ResolveConstant(const ast::Expression& e, Field* out) const {
  DefaultValue& d = out->default_value;
  d.kind = DefaultKind::kConstant;
  const std::string type = out->kind == FieldKind::kEnum ? "enum " + schema_.enum_type(out->enum_type).name
                                                         : std::string(ScalarTypeName(out->scalar));
  auto expected = [&](std::string_view what) {
    return Error(e.loc, "@default of " + type + " field " + out->name + " expects " + std::string(what) + ", found " +
                            DescribeExpression(e));
  };
  if (out->kind == FieldKind::kEnum) {
    const Enum& en = schema_.enum_type(out->enum_type);
    std::string names;
    for (const EnumValue& v : en.values) {
      if (e.kind == Kind::kIdentifier && v.name == e.text) {
        d.constant = e.text;
        return Status::OK();
      }
      names += (names.empty() ? "" : ", ") + v.name;
    }
    return expected("one of its values (" + names + ")");
  }
  switch (out->scalar) {
    case ScalarType::kBoolean:
      if (e.kind != Kind::kIdentifier || (e.text != "true" && e.text != "false")) return expected("true or false");
      d.constant = e.text == "true";
      return Status::OK();
    case ScalarType::kInt:
    case ScalarType::kBigInt: {
      if (e.kind != Kind::kNumber) return expected("an integer");
      const bool big = out->scalar == ScalarType::kBigInt;
      auto v = big ? ParseInteger(e.text, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max())
                   : ParseInteger(e.text, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
      if (!v) {
        if (e.text.find_first_of(".eE") != std::string::npos) return expected("an integer");
        return Error(e.loc, "@default of " + type + " field " + out->name + ": " + e.text + " is out of range (" +
                                (big ? "64" : "32") + "-bit)");
      }
      d.constant = *v;
      return Status::OK();
    }
    case ScalarType::kFloat: {
      if (e.kind != Kind::kNumber) return expected("a number");
      auto v = ParseFloat(e.text);
      if (!v) return Error(e.loc, "@default of Float field " + out->name + ": " + e.text + " is out of range");
      d.constant = *v;
      return Status::OK();
    }
    case ScalarType::kDecimal:
      if (e.kind != Kind::kNumber) return expected("a number");
      d.constant = e.text;
      return Status::OK();
    case ScalarType::kString:
      if (e.kind != Kind::kString) return expected("a string");
      d.constant = e.text;
      return Status::OK();
    case ScalarType::kBytes: {
      if (e.kind != Kind::kString) return expected("a base64 string");
      auto bytes = DecodeBase64(e.text);
      if (!bytes) return expected("a base64 string");
      d.constant = std::move(*bytes);
      return Status::OK();
    }
    case ScalarType::kDateTime: {
      if (e.kind != Kind::kString) return expected("now() or an RFC 3339 timestamp string");
      auto micros = ParseTimestampMicros(e.text);
      if (!micros) return expected("an RFC 3339 timestamp such as \"2024-01-31T12:00:00Z\"");
      d.constant = *micros;
      return Status::OK();
    }
    case ScalarType::kJson:
      if (e.kind != Kind::kString || !IsValidJson(e.text)) return expected("a string holding JSON");
      d.constant = e.text;
      return Status::OK();
  }
  return expected("a value");
}

Status Resolver::ResolveRelationAttribute(const ast::Attribute& a, RelationSpec* spec) const {
  ASSIGN_OR_RETURN(Arguments args, Args(a, "name"));
  if (const ast::Expression* e = args.Take("name")) {
    ASSIGN_OR_RETURN(spec->name, StringValue(e, "the relation name"));
  }
  if (const ast::Expression* e = args.Take("fields")) {
    ASSIGN_OR_RETURN(spec->fields, FieldNameList(*e, "fields"));
    spec->has_fields = true;
  }
  if (const ast::Expression* e = args.Take("references")) {
    ASSIGN_OR_RETURN(spec->references, FieldNameList(*e, "references"));
    spec->has_references = true;
  }
  for (const char* key : {"onDelete", "onUpdate"}) {
    const ast::Expression* e = args.Take(key);
    if (e == nullptr) continue;
    std::optional<ReferentialAction> action;
    if (e->kind == Kind::kIdentifier) action = ActionFromName(e->text);
    if (!action) {
      return Error(e->loc, std::string(key) + " must be Cascade, Restrict, NoAction, SetNull or SetDefault, found " +
                               DescribeExpression(*e));
    }
    if (std::string_view(key) == "onDelete") {
      spec->on_delete = action;
      spec->on_delete_loc = e->loc;
    } else {
      spec->on_update = action;
      spec->on_update_loc = e->loc;
    }
  }
  if (const ast::Expression* e = args.Take("map")) {
    ASSIGN_OR_RETURN(spec->map, StringValue(e, "map"));
    spec->map_loc = e->loc;
  }
  return args.Finish();
}

// [a, b] of plain field names.
Result<std::vector<Resolver::NameRef>> Resolver::FieldNameList(const ast::Expression& e, std::string_view what) const {
  if (e.kind != Kind::kArray) {
    return Error(e.loc,
                 std::string(what) + " takes a list of field names such as [id], found " + DescribeExpression(e));
  }
  if (e.items.empty()) return Error(e.loc, std::string(what) + " needs at least one field");
  std::vector<NameRef> out;
  for (const ast::Expression& item : e.items) {
    if (item.kind != Kind::kIdentifier) {
      return Error(item.loc, "expected a field name in " + std::string(what) + ", found " + DescribeExpression(item));
    }
    out.push_back(NameRef{item.text, item.loc});
  }
  return out;
}

Status Resolver::ResolveModelAttributes(const ast::Block& b, Model* m) {
  bool mapped = false;
  for (const ast::Attribute& a : b.attributes) {
    const std::string& n = a.name;
    if (n == "id" || n == "unique" || n == "index") {
      RETURN_IF_ERROR(ResolveBlockKey(a, m));
    } else if (n == "map") {
      if (mapped) return Error(a.loc, "attribute @@map given twice on model " + m->name);
      mapped = true;
      ASSIGN_OR_RETURN(m->db_name, MapName(a));
    } else if (n == "cluster") {
      if (cluster_requests_[m->index.value()]) {
        return Error(a.loc, "attribute @@cluster given twice on model " + m->name);
      }
      ASSIGN_OR_RETURN(Arguments args, Args(a, "field"));
      const ast::Expression* e = args.Take("field");
      RETURN_IF_ERROR(args.Finish());
      if (e == nullptr || e->kind != Kind::kIdentifier) {
        return Error(e ? e->loc : a.loc, "@@cluster takes the relation field to cluster under: @@cluster(author)");
      }
      cluster_requests_[m->index.value()] = ClusterRequest{e->text, a.loc, e->loc};
    } else if (n == "fulltext") {
      return Unsupported(a.loc, "@@fulltext indexes are not supported");
    } else if (n == "ignore") {
      return Unsupported(a.loc, "@@ignore is not supported: ormDB stores every model a schema declares; remove the "
                                "model or the attribute");
    } else if (n == "schema") {
      return Unsupported(a.loc, "@@schema (several database schemas) is not supported: ormDB has one namespace");
    } else {
      return Error(a.loc, "unknown block attribute @@" + n + " on model " + m->name);
    }
  }
  return Status::OK();
}

// @@id, @@unique, @@index.
Status Resolver::ResolveBlockKey(const ast::Attribute& a, Model* m) {
  ASSIGN_OR_RETURN(Arguments args, Args(a, "fields"));
  if (const ast::Expression* e = args.Take("clustered")) {
    return Unsupported(e->loc, "the clustered: argument of " + args.what() + " is not supported (ormDB clusters "
                               "rows under a parent with @@cluster)");
  }
  if (a.name == "index") {
    if (const ast::Expression* e = args.Take("type")) {
      if (e->kind != Kind::kIdentifier || e->text != "BTree") {
        return Unsupported(e->loc, "index type " + DescribeExpression(*e) + " is not supported: ormDB indexes are "
                                   "ordered key ranges (type: BTree)");
      }
    }
  }
  std::string name, map;
  if (const ast::Expression* e = args.Take("name")) {
    ASSIGN_OR_RETURN(name, StringValue(e, "name"));
    RETURN_IF_ERROR(CheckConstraintName(*m, name, e->loc));
  }
  if (const ast::Expression* e = args.Take("map")) {
    ASSIGN_OR_RETURN(map, StringValue(e, "map"));
  }
  const ast::Expression* fields = args.Take("fields");
  RETURN_IF_ERROR(args.Finish());
  ASSIGN_OR_RETURN(std::vector<KeyPart> parts,
                   ResolveKeyParts(*m, fields, args.what(), a.loc, /*required_only=*/a.name == "id"));
  if (a.name == "id") {
    if (!m->primary_key.parts.empty()) {
      const PrimaryKey& pk = m->primary_key;
      return Error(a.loc, "model " + m->name + " already has a primary key (" +
                              (pk.source == PrimaryKey::Source::kFieldId ? "@id on " + m->field(pk.parts[0].field).name
                                                                         : std::string("@@id")) +
                              " at " + Line(pk.loc) + ")");
    }
    m->primary_key = PrimaryKey{PrimaryKey::Source::kBlockId, std::move(parts), std::move(name), std::move(map), a.loc};
  } else if (a.name == "unique") {
    m->uniques.push_back(UniqueConstraint{std::move(parts), false, std::move(name), std::move(map), a.loc});
  } else {
    m->indexes.push_back(Index{std::move(parts), std::move(name), std::move(map), a.loc});
  }
  return Status::OK();
}

Result<std::vector<KeyPart>> Resolver::ResolveKeyParts(const Model& m, const ast::Expression* fields,
                                                       std::string_view what, SourceLocation attr_loc,
                                                       bool required_only) const {
  const std::string w(what);
  if (fields == nullptr) return Error(attr_loc, w + " needs a list of fields: " + w + "([a, b])");
  if (fields->kind != Kind::kArray) {
    return Error(fields->loc, w + " takes a list of fields such as [a, b], found " + DescribeExpression(*fields));
  }
  if (fields->items.empty()) return Error(fields->loc, w + " needs at least one field");
  std::vector<KeyPart> parts;
  for (const ast::Expression& item : fields->items) {
    KeyPart part;
    if (item.kind == Kind::kCall) {
      ASSIGN_OR_RETURN(Arguments args, Arguments::Of(file_.name, item.text + "(...) in " + w, item.args, ""));
      for (const char* option : {"length", "ops"}) {
        if (const ast::Expression* e = args.Take(option)) {
          return Unsupported(e->loc, "the " + std::string(option) + ": argument of an index field is not supported");
        }
      }
      if (const ast::Expression* e = args.Take("sort")) {
        ASSIGN_OR_RETURN(part.sort, ResolveSort(*e));
      }
      RETURN_IF_ERROR(args.Finish());
    } else if (item.kind != Kind::kIdentifier) {
      return Error(item.loc, "expected a field name in " + w + ", found " + DescribeExpression(item));
    }
    const Field* f = m.FindField(item.text);
    if (f == nullptr) return Error(item.loc, "unknown field " + item.text + " in " + w + " of model " + m.name);
    if (f->is_relation()) {
      return Error(item.loc, "relation field " + f->name + " cannot be part of " + w +
                                 "; use the scalar fields that hold its foreign key");
    }
    if (f->kind == FieldKind::kScalar && f->scalar == ScalarType::kJson) {
      return Error(item.loc, "Json field " + f->name + " cannot be part of " + w);
    }
    if (required_only && f->optional) {
      return Error(item.loc, "the fields of " + w + " must be required, and " + f->name + " is optional");
    }
    for (const KeyPart& p : parts) {
      if (p.field == f->index) return Error(item.loc, "field " + f->name + " appears twice in " + w);
    }
    part.field = f->index;
    parts.push_back(part);
  }
  return parts;
}

Result<SortOrder> Resolver::ResolveSort(const ast::Expression& e) const {
  if (e.kind == Kind::kIdentifier && e.text == "Asc") return SortOrder::kAsc;
  if (e.kind == Kind::kIdentifier && e.text == "Desc") return SortOrder::kDesc;
  return Error(e.loc, "sort must be Asc or Desc, found " + DescribeExpression(e));
}

Status Resolver::CheckConstraintName(const Model& m, const std::string& name, SourceLocation loc) const {
  bool used = m.primary_key.name == name;
  for (const UniqueConstraint& u : m.uniques) used = used || u.name == name;
  for (const Index& i : m.indexes) used = used || i.name == name;
  if (used) return Error(loc, "the name \"" + name + "\" is used by two constraints of model " + m.name);
  return Status::OK();
}

// Without @id or @@id, the first unique constraint over required fields is
// the primary key, as Prisma takes it for the model's identity.
Status Resolver::ChoosePrimaryKey(Model* m) const {
  if (!m->primary_key.parts.empty()) return Status::OK();
  for (const UniqueConstraint& u : m->uniques) {
    const bool all_required =
        std::all_of(u.parts.begin(), u.parts.end(), [&](const KeyPart& p) { return !m->field(p.field).optional; });
    if (all_required) {
      m->primary_key = PrimaryKey{PrimaryKey::Source::kUnique, u.parts, "", "", u.loc};
      return Status::OK();
    }
  }
  return Error(m->loc, "model " + m->name + " has no unique identifier: give it an @id field, an @@id([...]), or "
                       "an @unique on a required field");
}

Status Resolver::CheckDbNames() const {
  auto describe = [&](const Model& m) {
    if (!m.join_of) return "model " + m.name;
    const Relation& r = schema_.relation(*m.join_of);
    return "the join model of the many-to-many relation " + FieldPath(r.from.model, *r.from.field) + " / " +
           FieldPath(r.to.model, *r.to.field);
  };
  std::unordered_map<std::string, const Model*> tables;
  for (const Model& m : schema_.models) {
    auto [it, fresh] = tables.emplace(m.db_name, &m);
    if (!fresh) {
      return Error(m.loc, describe(m) + " is stored under the name \"" + m.db_name + "\", already used by " +
                              describe(*it->second));
    }
    std::unordered_map<std::string, const Field*> columns;
    for (const Field& f : m.fields) {
      if (f.is_relation()) continue;
      auto [col, new_col] = columns.emplace(f.db_name, &f);
      if (!new_col) {
        return Error(f.loc, "field " + m.name + "." + f.name + " is stored under the name \"" + f.db_name +
                                "\", already used by field " + col->second->name);
      }
    }
  }
  return Status::OK();
}

}  // namespace ormdb::schema
