// Where each model's rows are stored (DESIGN.md, "Storage"): under the row
// of a parent, so a parent and its children are one contiguous key range, or
// in the model's own range. @@cluster(field) chooses the parent; without it
// the default rule clusters a model under its only required many-to-one
// parent. Every choice keeps a reason in words for `migrate plan`.
#include <algorithm>

#include "schema/resolver.h"

namespace ormdb::schema {
namespace {

// "author -> User", or "A -> Category" for a join model's key.
std::string DescribeParent(const Schema& s, const Relation& r) {
  const Model& child = s.model(r.from.model);
  const std::string via = r.from.field ? child.field(*r.from.field).name : child.field(r.fk_fields[0]).name;
  return via + " -> " + s.model(r.to.model).name;
}

}  // namespace

// Clustering puts a child's key after its parent's primary key, so the
// foreign key must be exactly that key.
bool Resolver::ReferencesPrimaryKey(const Relation& r) const {
  return IsPrimaryKey(schema_.model(r.to.model), r.referenced_fields);
}

Status Resolver::ResolveClustering() {
  for (size_t i = 0; i < cluster_requests_.size(); ++i) {
    if (cluster_requests_[i]) RETURN_IF_ERROR(ApplyClusterRequest(&schema_.models[i], *cluster_requests_[i]));
  }
  std::vector<std::vector<const Relation*>> children(schema_.models.size());  // relations by `from` model
  for (const Relation& r : schema_.relations) children[r.from.model.value()].push_back(&r);
  for (Model& m : schema_.models) {
    if (!m.clustering.explicit_choice) ChooseDefaultClustering(&m, children[m.index.value()]);
  }
  return BreakClusterCycles();
}

Status Resolver::ApplyClusterRequest(Model* m, const ClusterRequest& req) {
  const std::string what = "@@cluster(" + req.field + ")";
  const Field* f = m->FindField(req.field);
  if (f == nullptr) return Error(req.field_loc, what + ": model " + m->name + " has no field " + req.field);
  if (!f->is_relation()) {
    return Error(req.field_loc, what + " needs a relation field of " + m->name + ", and " + f->name +
                                    " is a scalar field");
  }
  const Relation& r = schema_.relation(f->relation);
  if (r.kind == RelationKind::kManyToMany) {
    return Error(req.field_loc, what + ": a many-to-many relation has no single parent row to cluster under");
  }
  if (r.from.model != m->index || r.from.field != f->index) {
    return Error(req.field_loc, what + ": " + m->name + "." + f->name + " does not hold the foreign key of its "
                                "relation; a model is clustered under the parent its own foreign key references");
  }
  if (r.to.model == m->index) {
    return Error(req.field_loc, what + ": a model cannot be clustered under itself (" + f->name +
                                    " is a self-relation)");
  }
  if (!r.required) {
    return Error(req.field_loc, what + ": the foreign key of " + m->name + "." + f->name +
                                    " is optional, so a row could have no parent to be stored under");
  }
  if (!ReferencesPrimaryKey(r)) {
    return Error(req.field_loc, what + ": " + m->name + "." + f->name + " references a unique key of " +
                                    schema_.model(r.to.model).name +
                                    " other than its primary key; rows are clustered under the parent's primary key");
  }
  m->clustering = Clustering{r.index, true,
                             "stored under its " + schema_.model(r.to.model).name + " (relation field " + f->name +
                                 "), as " + what + " asks",
                             req.loc};
  return Status::OK();
}

void Resolver::ChooseDefaultClustering(Model* m, const std::vector<const Relation*>& keys) {
  std::vector<const Relation*> parents;
  for (const Relation* r : keys) {
    if (r->kind == RelationKind::kOneToMany && r->required && r->to.model != m->index && ReferencesPrimaryKey(*r)) {
      parents.push_back(r);
    }
  }
  Clustering& c = m->clustering;
  if (parents.empty()) {
    c.reason = "not clustered: no required many-to-one relation to a parent's primary key";
    return;
  }
  if (parents.size() == 1) {
    c.relation = parents[0]->index;
    c.reason = "stored under its " + schema_.model(parents[0]->to.model).name + " (" +
               DescribeParent(schema_, *parents[0]) +
               "): its only required many-to-one relation to a parent's primary key";
    return;
  }
  std::string list;
  for (const Relation* r : parents) list += (list.empty() ? "" : ", ") + DescribeParent(schema_, *r);
  c.reason = m->join_of ? "not clustered: a join model has two parents (" + list + ")"
                        : "not clustered: several required parents (" + list + "); choose one with @@cluster(field)";
}

// A model's parent chain must end: rows can't be stored under themselves.
// A cycle of default choices is broken by dropping them; a cycle of
// explicit @@cluster choices is an error.
Status Resolver::BreakClusterCycles() {
  const size_t n = schema_.models.size();
  auto parent = [&](size_t i) -> std::optional<size_t> {
    const auto& rel = schema_.models[i].clustering.relation;
    if (!rel) return std::nullopt;
    return schema_.relation(*rel).to.model.value();
  };
  enum class State : uint8_t { kNew, kOnPath, kDone };
  std::vector<State> state(n, State::kNew);
  for (size_t start = 0; start < n; ++start) {
    std::vector<size_t> path;
    std::optional<size_t> cur = start;
    while (cur && state[*cur] == State::kNew) {
      state[*cur] = State::kOnPath;
      path.push_back(*cur);
      cur = parent(*cur);
    }
    if (cur && state[*cur] == State::kOnPath) {
      std::vector<size_t> cycle(std::find(path.begin(), path.end(), *cur), path.end());
      std::string text;
      for (size_t i : cycle) text += schema_.models[i].name + " -> ";
      text += schema_.models[*cur].name;
      const bool any_default = std::any_of(cycle.begin(), cycle.end(), [&](size_t i) {
        return !schema_.models[i].clustering.explicit_choice;
      });
      if (!any_default) {
        const Model& m = schema_.models[*std::min_element(cycle.begin(), cycle.end())];
        return Error(m.clustering.loc, "@@cluster makes a cycle: " + text + " would each be stored under the next");
      }
      for (size_t i : cycle) {
        Clustering& c = schema_.models[i].clustering;
        if (c.explicit_choice) continue;
        c.relation.reset();
        c.reason = "not clustered: its parents form a cycle (" + text + "); choose with @@cluster(field)";
      }
    }
    for (size_t i : path) state[i] = State::kDone;
  }
  return Status::OK();
}

}  // namespace ormdb::schema
