#include "fcgi/admin/history_section.h"

namespace sattva::fcgi {

void FillStreamHistorySections(RequestContext& ctx, ctemplate::TemplateDictionary* d,
                               int64_t stream_id, const Query& query,
                               const std::string& include_name) {
  (void)ctx, (void)d, (void)stream_id, (void)query, (void)include_name;
}

}  // namespace sattva::fcgi
