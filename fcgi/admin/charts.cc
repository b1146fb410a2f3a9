#include "fcgi/admin/charts.h"

namespace sattva::fcgi {

void FillListenerChart(RequestContext& ctx, ctemplate::TemplateDictionary* d,
                       std::optional<int64_t> stream_id, const std::string& include_name) {
  (void)ctx, (void)d, (void)stream_id, (void)include_name;
}

}  // namespace sattva::fcgi
