// Names the calling thread as `top -H`, perf and gdb show it, so an
// operator can tell the event loops from the flusher and the pool.
#pragma once

#include <pthread.h>

namespace ormdb {

// Linux keeps 15 bytes of a thread's name; longer names are cut.
inline void NameThisThread(const char* name) {
  char cut[16] = {};
  for (int i = 0; i < 15 && name[i] != '\0'; ++i) cut[i] = name[i];
  pthread_setname_np(pthread_self(), cut);
}

}  // namespace ormdb
