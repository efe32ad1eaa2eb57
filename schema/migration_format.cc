// The text of `ormdb migrate plan`: a headline, a paragraph per step (the
// graded line, the reason, the safer alternative for C and D), the overall
// grade with what `migrate apply` will do about it, and the notes. Paragraphs
// wrap at kLineWidth so a plan reads well in a terminal.
#include "schema/migration_plan.h"

namespace ormdb::schema {
namespace {

constexpr size_t kLineWidth = 100;

// Appends `text` word-wrapped: the first line after `first`, later ones
// after `rest`. A word longer than a line stays whole.
void AppendWrapped(std::string* out, std::string_view text, std::string_view first, std::string_view rest) {
  std::string line(first);
  bool empty = true;
  size_t i = 0;
  while (i < text.size()) {
    const size_t end = std::min(text.find(' ', i), text.size());
    const std::string_view word = text.substr(i, end - i);
    i = end + 1;
    if (word.empty()) continue;
    if (!empty && line.size() + 1 + word.size() > kLineWidth) {
      *out += line + "\n";
      line = std::string(rest);
      empty = true;
    }
    if (!empty) line += ' ';
    line += word;
    empty = false;
  }
  *out += line + "\n";
}

std::string_view ApplyPolicy(Grade g) {
  switch (g) {
    case Grade::kA: return "`migrate apply` runs every step at once.";
    case Grade::kB: return "`migrate apply` runs the B steps in the background while reads and writes go on.";
    case Grade::kC: return "`migrate apply` runs the C steps with writes to their model waiting.";
    case Grade::kD: return "`migrate apply` refuses it unless given --allow-destructive.";
  }
  return "";
}

}  // namespace

std::string FormatPlan(const MigrationPlan& plan) {
  std::string out;
  if (plan.steps.empty()) {
    out += "Migration plan: no changes (the schema file matches the stored schema).\n";
  } else {
    const size_t n = plan.steps.size();
    out += "Migration plan: " + std::to_string(n) + (n == 1 ? " step" : " steps") + ", overall grade " +
           std::string(GradeName(plan.overall)) + " (" + std::string(GradeMeaning(plan.overall)) + ")\n\n";
    for (const MigrationStep& s : plan.steps) {
      AppendWrapped(&out, "[" + std::string(GradeName(s.grade)) + "] " + s.description, "", "    ");
      AppendWrapped(&out, s.reason, "    ", "    ");
      if (!s.safer_alternative.empty()) AppendWrapped(&out, "Safer: " + s.safer_alternative, "    ", "           ");
    }
    out += "\n";
    AppendWrapped(&out,
                  "Overall grade " + std::string(GradeName(plan.overall)) + " (" +
                      std::string(GradeMeaning(plan.overall)) + "): " + std::string(ApplyPolicy(plan.overall)),
                  "", "");
  }
  if (!plan.notes.empty()) {
    out += "\nNotes:\n";
    for (const std::string& note : plan.notes) AppendWrapped(&out, note, "  - ", "    ");
  }
  return out;
}

}  // namespace ormdb::schema
