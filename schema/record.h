// The record format: how one row of a model is stored as the value of its
// primary key. A header names the schema version the row was written under;
// a null bitmap, a fixed-width section and an offset table into a
// variable-width section let one field be read without decoding the row.
// Byte layout: docs/record-format.md, "Records".
//
// A RecordLayout is one schema version's physical order of a model's stored
// fields. Rows written under an older version stay as they are: the reader
// opens them with their own layout and maps them to the current one
// (LayoutMapping), filling in null or a default for fields added since.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "schema/value.h"
#include "util/status.h"

namespace ormdb::schema {

// The record's first byte: the format version and the width of its offsets.
// A writer picks narrow offsets whenever the variable-width section fits.
constexpr uint8_t kRecordFormatNarrow = 0x01;  // u16 end offsets
constexpr uint8_t kRecordFormatWide = 0x02;    // u32 end offsets
constexpr size_t kMaxRecordFields = 65535;

// Bytes a field of this type takes in the fixed-width section; 0 for the
// variable-width types (String, Bytes, Json, Enum, Decimal).
size_t FixedWidth(StorageType t);

struct RecordField {
  uint32_t id = 0;  // the persistent field id (the catalog's; never reused)
  StorageType type = StorageType::kString;
  bool nullable = true;
};

class RecordLayout {
 public:
  // InvalidArgument for duplicate field ids, an unknown type or more than
  // kMaxRecordFields fields.
  static Result<RecordLayout> Make(uint32_t schema_version, std::vector<RecordField> fields);

  uint32_t schema_version() const { return schema_version_; }
  size_t size() const { return fields_.size(); }
  const RecordField& field(size_t i) const { return fields_[i]; }
  const std::vector<RecordField>& fields() const { return fields_; }
  // The position of a persistent field id in this layout.
  std::optional<size_t> IndexOf(uint32_t field_id) const;

  bool is_fixed(size_t i) const { return FixedWidth(fields_[i].type) != 0; }
  // Fixed-width fields: the byte offset of its slot in the fixed section.
  // Variable-width fields: its index in the offset table.
  uint32_t slot(size_t i) const { return slots_[i]; }
  uint32_t fixed_bytes() const { return fixed_bytes_; }
  uint32_t variable_count() const { return variable_count_; }

 private:
  RecordLayout() = default;

  uint32_t schema_version_ = 0;
  std::vector<RecordField> fields_;
  std::vector<uint32_t> slots_;
  std::vector<std::pair<uint32_t, uint32_t>> by_id_;  // (field id, index), sorted
  uint32_t fixed_bytes_ = 0;
  uint32_t variable_count_ = 0;
};

// Appends the record of `values` (one per layout field, in layout order) to
// *out. InvalidArgument, with *out unchanged, when the count is wrong, a
// value has the wrong type or a required field is null; the message names
// the field id and its expected type.
Status EncodeRecord(const RecordLayout& layout, std::span<const Value> values, std::string* out);

// The schema version a record was written under, from its header alone, to
// choose the layout to open it with. Corruption for a bad header.
Result<uint32_t> RecordSchemaVersion(std::string_view bytes);

// A validated record: Open checks the header, the bitmap, every offset and
// every value that could be malformed (booleans, decimals), so the reads
// after it touch only the field's bit, its fixed slot or its two offsets
// and cannot fail on the bytes. Borrows the bytes and the layout: both must
// outlive the view.
class RecordView {
 public:
  // Corruption naming what is wrong; InvalidArgument when the record was
  // written under a different schema version than the layout's.
  static Result<RecordView> Open(std::string_view bytes, const RecordLayout& layout);

  const RecordLayout& layout() const { return *layout_; }
  uint32_t schema_version() const { return layout_->schema_version(); }
  size_t size() const { return layout_->size(); }

  bool IsNull(size_t i) const {
    return (static_cast<uint8_t>(bitmap_[i / 8]) >> (i % 8) & 1) != 0;
  }
  // Field i (a layout index). Text and bytes are copied into the Value;
  // GetVariable reads them in place.
  Result<Value> Get(size_t i) const;
  // The stored bytes of variable-width field i, without a copy: the text of
  // a String, Json or Enum, the bytes of Bytes, the sortable form of a
  // Decimal (Decimal::DecodeSortable). Empty for null.
  std::string_view GetVariable(size_t i) const;
  // The stored bytes of fixed-width field i (FixedWidth of its type).
  std::string_view GetFixed(size_t i) const {
    return std::string_view(fixed_ + layout_->slot(i), FixedWidth(layout_->field(i).type));
  }
  // Every field, in layout order, appended to *out.
  Status ReadAll(std::vector<Value>* out) const;

 private:
  RecordView() = default;
  uint32_t EndOffset(uint32_t k) const;

  const RecordLayout* layout_ = nullptr;
  const char* bitmap_ = nullptr;
  const char* fixed_ = nullptr;
  const char* offsets_ = nullptr;
  const char* variable_ = nullptr;
  bool wide_ = false;
};

// Reads rows written under an older layout (`stored`) as rows of the
// current one (DESIGN.md, "Storage": adding a nullable field or a field
// with a default does not rewrite old rows). Fields are matched by
// persistent id: a current field the stored layout lacks reads as its
// default; a stored field the current layout lacks (dropped) is skipped.
// Both layouts must outlive the mapping; build it once per pair of versions.
class LayoutMapping {
 public:
  // defaults[i] is what current.field(i) reads as in rows that lack it: null
  // for a nullable field without a default. Only the entries of fields the
  // stored layout lacks are used (and type-checked). InvalidArgument when a
  // field's type differs between the layouts (such a change rewrites the
  // rows) or a missing required field has a null default.
  static Result<LayoutMapping> Make(const RecordLayout& stored, const RecordLayout& current,
                                    std::span<const Value> defaults);

  // Field i of the current layout, from a row opened with the stored layout.
  // Corruption when the row holds null for a field the current layout
  // requires (a migration that made it required should have checked).
  Result<Value> Get(const RecordView& row, size_t current_index) const;
  // Every current field, in current layout order, appended to *out.
  Status ReadAll(const RecordView& row, std::vector<Value>* out) const;

 private:
  LayoutMapping() = default;
  static constexpr uint32_t kMissing = UINT32_MAX;

  const RecordLayout* stored_ = nullptr;
  const RecordLayout* current_ = nullptr;
  std::vector<uint32_t> source_;  // per current field: its stored index or kMissing
  std::vector<Value> defaults_;   // per current field (null where not missing)
};

}  // namespace ormdb::schema
