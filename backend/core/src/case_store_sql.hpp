// The case store's SQL implementation (sqlite_case_store.cpp) over any fb::sql::Database: the
// SQLite file (open_sqlite_case_store) or a PostgreSQL connection (open_postgres_case_store).
#pragma once

#include <memory>

#include "fb/backend/case_store.hpp"
#include "fb/common/sqlite.hpp"

namespace fb::backend::detail {

/// `db` holds the current schema (migrated by the caller). Errors: a statement that does not prepare.
Result<std::unique_ptr<CaseStore>> case_store_over(sql::Database db, GroupingPolicy grouping,
                                                   DeadLetterPolicy dead_letters);

}  // namespace fb::backend::detail
