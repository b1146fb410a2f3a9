#include "fcgi/pg_cursor.h"

#include <atomic>

namespace sattva::fcgi {

size_t ForEachRow(pqxx::transaction_base& tx, const std::string& query,
                  const std::function<bool(const pqxx::row&)>& fn, size_t batch) {
  static std::atomic<unsigned long> counter{0};
  const std::string name = "sattva_cursor_" + std::to_string(++counter);
  tx.exec0("DECLARE " + name + " NO SCROLL CURSOR FOR " + query);
  size_t seen = 0;
  bool more = true;
  try {
    while (more) {
      const pqxx::result r = tx.exec("FETCH " + std::to_string(batch) + " FROM " + name);
      for (const pqxx::row& row : r) {
        ++seen;
        if (!fn(row)) {
          more = false;
          break;
        }
      }
      if (r.size() < batch) more = false;
    }
  } catch (...) {
    // The transaction may already be aborted; closing then fails too, and the abort closes it.
    try {
      tx.exec0("CLOSE " + name);
    } catch (...) {
    }
    throw;
  }
  tx.exec0("CLOSE " + name);
  return seen;
}

}  // namespace sattva::fcgi
