#pragma once
// Reads a large result in batches through a server-side cursor, so a million rows never sit in
// memory at once (exports). Runs on the caller's transaction: a cursor lives only inside one,
// so use RequestContext::Tx (or a pqxx::work), never a nontransaction.
//
// Not thread-safe (the transaction is not).

#include <cstddef>
#include <functional>
#include <string>

#include <pqxx/pqxx>

namespace sattva::fcgi {

// Declares a NO SCROLL cursor over `query` (a complete SELECT whose values were already quoted
// with tx.quote / tx.esc) and FETCHes `batch` rows at a time, calling `fn` for each row in
// order. `fn` returning false stops early. The cursor is closed on return and on an exception.
// Returns the number of rows passed to `fn`.
size_t ForEachRow(pqxx::transaction_base& tx, const std::string& query,
                  const std::function<bool(const pqxx::row&)>& fn, size_t batch = 1000);

}  // namespace sattva::fcgi
