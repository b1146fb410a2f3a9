#include "fcgi/admin/list.h"

#include <algorithm>
#include <cctype>

#include "common/json.h"
#include "fcgi/templates.h"

namespace sattva::fcgi {
namespace {

using ctemplate::TemplateDictionary;

[[noreturn]] void Invalid(const std::string& message) {
  throw HttpError(422, "validation_failed", message);
}

std::string First(const Query& q, const std::string& key) {
  auto it = q.find(key);
  return it == q.end() ? std::string() : it->second;
}

int PositiveInt(const Query& q, const std::string& key, int def, int max) {
  const std::string v = First(q, key);
  if (v.empty()) return def;
  const bool digits = v.size() <= 9 && std::all_of(v.begin(), v.end(), [](char c) {
                        return c >= '0' && c <= '9';
                      });
  const int n = digits ? std::stoi(v) : 0;
  if (n < 1 || n > max) {
    Invalid(key + " must be a whole number from 1 to " + std::to_string(max));
  }
  return n;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

const ListColumn* FindColumn(const ListSpec& spec, const std::string& key) {
  for (const ListColumn& c : spec.columns) {
    if (!c.key.empty() && c.key == key) return &c;
  }
  return nullptr;
}

}  // namespace

std::string ListSummary(int page, int per_page, int64_t total, size_t shown,
                        const std::string& noun) {
  if (total == 0) return "No " + noun + " match.";
  if (shown == 0) {
    return "Nothing on page " + std::to_string(page) + "; there are " + std::to_string(total) +
           " " + noun + " in all.";
  }
  const int64_t first = static_cast<int64_t>(page - 1) * per_page + 1;
  const int64_t last = first + static_cast<int64_t>(shown) - 1;
  return "Showing " + std::to_string(first) + "\u2013" + std::to_string(last) + " of " +
         std::to_string(total) + " " + noun;
}

ListParams ListParams::Parse(const ListSpec& spec, const Query& query) {
  ListParams p;
  p.spec_ = &spec;
  for (const ListFilter& f : spec.filters) {
    const std::string v = First(query, f.key);
    if (v.empty()) continue;
    if (f.choices.empty()) {
      if (!common::IsValidUtf8(v)) Invalid(f.key + " is not valid UTF-8");
      if (v.size() > f.max_bytes) {
        Invalid(f.key + " is longer than " + std::to_string(f.max_bytes) + " bytes");
      }
    } else {
      const bool known = std::any_of(f.choices.begin(), f.choices.end(),
                                     [&](const auto& c) { return c.first == v; });
      if (!known) {
        std::string allowed;
        for (const auto& c : f.choices) allowed += (allowed.empty() ? "" : ", ") + c.first;
        Invalid("unknown " + f.key + " filter; choose one of " + allowed);
      }
    }
    p.filters_[f.key] = v;
  }
  p.sort = First(query, "sort");
  if (p.sort.empty()) p.sort = spec.default_sort;
  if (FindColumn(spec, p.sort) == nullptr) {
    Invalid("cannot sort by that; choose a column heading");
  }
  p.order = First(query, "order");
  if (p.order.empty()) p.order = spec.default_order;
  if (p.order != "asc" && p.order != "desc") Invalid("order must be asc or desc");
  p.page = PositiveInt(query, "page", 1, 1000000);
  const int max_per_page = spec.per_page_choices.empty()
                               ? spec.default_per_page
                               : *std::max_element(spec.per_page_choices.begin(),
                                                   spec.per_page_choices.end());
  p.per_page = PositiveInt(query, "per_page", spec.default_per_page, max_per_page);
  return p;
}

const std::string& ListParams::Filter(const std::string& key) const {
  static const std::string kEmpty;
  auto it = filters_.find(key);
  return it == filters_.end() ? kEmpty : it->second;
}

bool ListParams::Filtered() const {
  return std::any_of(filters_.begin(), filters_.end(),
                     [](const auto& f) { return !f.second.empty(); });
}

std::vector<std::pair<std::string, std::string>> ListParams::QueryPairs(bool with_page) const {
  std::vector<std::pair<std::string, std::string>> q;
  for (const ListFilter& f : spec_->filters) q.emplace_back(f.key, Filter(f.key));
  q.emplace_back("sort", sort == spec_->default_sort ? "" : sort);
  q.emplace_back("order", order == spec_->default_order ? "" : order);
  if (with_page) {
    q.emplace_back("per_page",
                   per_page == spec_->default_per_page ? "" : std::to_string(per_page));
    q.emplace_back("page", page == 1 ? "" : std::to_string(page));
  }
  return q;
}

std::string ListParams::Url() const {
  const std::string qs = BuildQueryString(QueryPairs(true));
  return qs.empty() ? spec_->base_url : spec_->base_url + "?" + qs;
}

std::string ListParams::PageUrl(int n) const {
  ListParams p = *this;
  p.page = n;
  return p.Url();
}

std::string ListParams::SortUrl(const std::string& key) const {
  ListParams p = *this;
  if (p.sort == key) {
    p.order = descending() ? "asc" : "desc";
  } else {
    p.sort = key;
    const ListColumn* c = FindColumn(*spec_, key);
    p.order = c != nullptr && c->desc_first ? "desc" : "asc";
  }
  p.page = 1;
  return p.Url();
}

std::string ListParams::ExportUrl(const std::string& format) const {
  const std::string qs = BuildQueryString(QueryPairs(false));
  return spec_->base_url + "/export." + format + (qs.empty() ? "" : "?" + qs);
}

void ListParams::FillForm(TemplateDictionary* d) const {
  for (const ListFilter& f : spec_->filters) {
    const std::string& v = Filter(f.key);
    if (f.choices.empty()) {
      d->SetValue(Upper(f.key), v);
      continue;
    }
    auto add = [&](const std::string& value, const std::string& label) {
      TemplateDictionary* o = d->AddSectionDictionary(Upper(f.key) + "_OPT");
      o->SetValue("VALUE", value);
      o->SetValue("LABEL", label);
      if (value == v) o->ShowSection("SELECTED");
    };
    add("", f.any_label);
    for (const auto& c : f.choices) add(c.first, c.second);
  }
  for (int n : spec_->per_page_choices) {
    TemplateDictionary* o = d->AddSectionDictionary("PER_PAGE_OPT");
    o->SetValue("VALUE", std::to_string(n));
    o->SetValue("LABEL", std::to_string(n));
    if (n == per_page) o->ShowSection("SELECTED");
  }
  if (sort != spec_->default_sort) {
    TemplateDictionary* h = d->AddSectionDictionary("HIDDEN");
    h->SetValue("NAME", "sort");
    h->SetValue("VALUE", sort);
  }
  if (order != spec_->default_order) {
    TemplateDictionary* h = d->AddSectionDictionary("HIDDEN");
    h->SetValue("NAME", "order");
    h->SetValue("VALUE", order);
  }
  if (Filtered()) d->ShowSection("FILTERED");
  d->SetValue("CLEAR_HREF", spec_->base_url);
  d->SetValue("EXPORT_CSV_HREF", ExportUrl("csv"));
  d->SetValue("EXPORT_JSON_HREF", ExportUrl("json"));
}

void ListParams::FillColumns(TemplateDictionary* d, const std::string& include_name) const {
  TemplateDictionary* inc = d->AddIncludeDictionary(include_name);
  inc->SetFilename("partials/list_columns.tpl");
  for (const ListColumn& c : spec_->columns) {
    TemplateDictionary* col = inc->AddSectionDictionary("COL");
    col->SetValue("LABEL", c.label);
    if (c.key.empty()) {
      col->ShowSection("PLAIN");
      continue;
    }
    TemplateDictionary* s = col->AddSectionDictionary("SORT");
    s->SetValue("HREF", SortUrl(c.key));
    s->SetValue("LABEL", c.label);
    if (sort == c.key) {
      TemplateDictionary* on = s->AddSectionDictionary("SORTED");
      on->SetValue("ARIA_SORT", descending() ? "descending" : "ascending");
      on->SetValue("ARROW", descending() ? "\u25BC" : "\u25B2");
      on->SetValue("NEXT_ORDER", descending() ? "ascending" : "descending");
      col->AddSectionDictionary("ARIA")->SetValue("ARIA_SORT",
                                                   descending() ? "descending" : "ascending");
    }
  }
}

void ListParams::FillFooter(TemplateDictionary* d, int64_t total, size_t shown,
                            const std::string& pager_include) const {
  d->SetValue("SUMMARY", ListSummary(page, per_page, total, shown,
                                     total == 1 ? spec_->noun_one : spec_->noun_many));
  const int64_t pages = std::max<int64_t>(1, (total + per_page - 1) / per_page);
  if (pages == 1 && page == 1) return;  // nothing to page through
  TemplateDictionary* p = d->AddIncludeDictionary(pager_include);
  p->SetFilename("partials/pager.tpl");
  p->SetIntValue("PAGE", page);
  p->SetIntValue("PAGES", static_cast<long>(pages));
  if (page > 1) {
    p->AddSectionDictionary("PREV")->SetValue("HREF", PageUrl(page - 1));
  } else {
    p->ShowSection("NO_PREV");
  }
  if (static_cast<int64_t>(page) * per_page < total) {
    p->AddSectionDictionary("NEXT")->SetValue("HREF", PageUrl(page + 1));
  } else {
    p->ShowSection("NO_NEXT");
  }
}

}  // namespace sattva::fcgi
