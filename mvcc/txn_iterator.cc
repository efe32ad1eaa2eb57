#include <algorithm>

#include "mvcc/store.h"

namespace ormdb::mvcc {

TxnIterator::TxnIterator(WriteTxn* txn, btree::CursorOptions options)
    : txn_(txn), options_(options), base_(txn->snap_.NewCursor(std::move(options))), ws_(txn->writes_.end()) {}

TxnIterator::~TxnIterator() = default;

bool TxnIterator::InBounds(std::string_view k) const {
  return (!options_.lower_bound || k >= *options_.lower_bound) && (!options_.upper_bound || k < *options_.upper_bound);
}

void TxnIterator::Materialize() {
  if (!fast_) return;
  key_.assign(base_->key());
  value_.assign(base_->value());
  fast_ = false;
}

void TxnIterator::Note() {
  if (!txn_->serializable()) return;
  Materialize();
  if (range_ < 0) {
    range_ = static_cast<int>(txn_->read_ranges_.size());
    txn_->read_ranges_.push_back(ScannedRange{key_, key_});
  }
  ScannedRange& r = txn_->read_ranges_[range_];
  auto widen_lo = [&](std::string_view k) {
    if (k < r.lo) r.lo = k;
  };
  auto widen_hi = [&](const std::optional<std::string>& k) {
    if (!r.hi) return;
    if (!k || *k > *r.hi) r.hi = k;
  };
  if (valid_) {
    widen_lo(key_);
    widen_hi(key_);
  } else if (forward_) {
    widen_hi(options_.upper_bound);  // ran off the end: everything after counts
  } else {
    widen_lo(options_.lower_bound.value_or(""));
  }
}

void TxnIterator::Settle(bool forward) {
  forward_ = forward;
  fast_ = false;
  auto& ws = txn_->writes_;
  for (;;) {
    bool b = base_->Valid();
    bool w;
    WriteIt wk;
    if (forward) {
      w = ws_ != ws.end() && InBounds(ws_->first);
      wk = ws_;
    } else {
      w = ws_ != ws.begin() && InBounds(std::prev(ws_)->first);
      if (w) wk = std::prev(ws_);
    }
    if (!b && !w) {
      valid_ = false;
      break;
    }
    // c < 0: the base entry comes first in the direction of travel.
    int c;
    if (!b) {
      c = 1;
    } else if (!w) {
      c = -1;
    } else {
      c = base_->key().compare(wk->first);
      if (!forward) c = -c;
    }
    if (c < 0) {
      fast_ = true;  // read in place until the base cursor moves
      valid_ = true;
      break;
    }
    if (!wk->second) {  // a deletion hides the key (and the base entry, if equal)
      if (c == 0) forward ? base_->Next() : base_->Prev();
      forward ? ++ws_ : --ws_;
      continue;
    }
    key_ = wk->first;
    value_ = *wk->second;
    valid_ = true;
    break;
  }
  Note();
}

void TxnIterator::Seek(std::string_view key) {
  std::string k(key);
  fast_ = false;
  if (options_.lower_bound && k < *options_.lower_bound) k = *options_.lower_bound;
  if (txn_->serializable()) {
    key_ = k;
    valid_ = true;
    Note();  // the range starts at the sought key, found or not
  }
  base_->Seek(k);
  ws_ = txn_->writes_.lower_bound(k);
  Settle(true);
}

void TxnIterator::SeekForPrev(std::string_view key) {
  std::string k(key);
  fast_ = false;
  if (txn_->serializable()) {
    key_ = k;
    valid_ = true;
    Note();
  }
  base_->SeekForPrev(k);
  if (options_.upper_bound && k >= *options_.upper_bound) {
    ws_ = txn_->writes_.lower_bound(*options_.upper_bound);
  } else {
    ws_ = txn_->writes_.upper_bound(k);
  }
  Settle(false);
}

void TxnIterator::SeekToFirst() { Seek(options_.lower_bound.value_or("")); }

void TxnIterator::SeekToLast() {
  fast_ = false;
  if (txn_->serializable()) {
    valid_ = false;
    forward_ = true;
    Note();  // to the end
  }
  base_->SeekToLast();
  ws_ = options_.upper_bound ? txn_->writes_.lower_bound(*options_.upper_bound) : txn_->writes_.end();
  Settle(false);
}

void TxnIterator::Next() {
  if (!valid_) return;
  if (fast_ && forward_ && txn_->writes_.empty()) {
    // Nothing written to merge: the base cursor's next entry is ours.
    base_->Next();
    ws_ = txn_->writes_.end();
    Settle(true);
    return;
  }
  Materialize();
  if (!forward_) {
    // Turn around: both sides to the first entry after the current key.
    base_->Seek(key_);
    if (base_->Valid() && base_->key() == key_) base_->Next();
    ws_ = txn_->writes_.upper_bound(key_);
  } else {
    if (base_->Valid() && base_->key() == key_) base_->Next();
    // The write set may have grown since we looked: find our place by key.
    ws_ = txn_->writes_.upper_bound(key_);
  }
  Settle(true);
}

void TxnIterator::Prev() {
  if (!valid_) return;
  if (fast_ && !forward_ && txn_->writes_.empty()) {
    base_->Prev();
    ws_ = txn_->writes_.end();
    Settle(false);
    return;
  }
  Materialize();
  if (forward_) {
    base_->SeekForPrev(key_);
    if (base_->Valid() && base_->key() == key_) base_->Prev();
  } else if (base_->Valid() && base_->key() == key_) {
    base_->Prev();
  }
  ws_ = txn_->writes_.lower_bound(key_);  // one past the last write < key
  Settle(false);
}

}  // namespace ormdb::mvcc
