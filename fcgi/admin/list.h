#pragma once
// The list pages' shared machinery: one ListSpec describes a list (its URL, sortable columns,
// filters, paging limits); ListParams parses and validates a request's query against it, builds
// every link the page needs (sort headers, pages, clearing, exports) and fills the parts of the
// page that every list shares (filter form values, column headers, summary, pager).
//
// The templates use partials/list_columns.tpl (inside a <thead><tr>) and partials/pager.tpl:
//   {{>COLUMNS}} and {{>PAGER}} include dictionaries that FillColumns/FillFooter set up.
// Export links (ExportUrl) keep the filters and sort but not the page: an export is every row
// that matches, streamed (fcgi/admin/export.h).
//
// Pure functions over data; thread-safe.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ctemplate/template.h>

#include "fcgi/http.h"

namespace sattva::fcgi {

using Query = std::multimap<std::string, std::string>;

struct ListColumn {
  std::string key;          // the sort key ("title"); "" for a column that does not sort
  std::string label;        // the heading ("Title")
  bool desc_first = false;  // first click sorts descending (times, counts)
};

struct ListFilter {
  std::string key;  // query parameter ("codec")
  // Allowed values as {value, label}. Empty: free text (valid UTF-8, at most max_bytes).
  std::vector<std::pair<std::string, std::string>> choices;
  std::string any_label = "Any";  // the label of "" in a choice list
  size_t max_bytes = 200;
};

struct ListSpec {
  std::string base_url;  // "/admin/tracks"
  std::vector<ListColumn> columns;
  std::vector<ListFilter> filters;  // "q" is a filter like any other when a list has search
  std::string default_sort = "id";
  std::string default_order = "asc";
  int default_per_page = 20;
  std::vector<int> per_page_choices = {10, 20, 50, 100};
  std::string noun_one = "item";
  std::string noun_many = "items";
};

class ListParams {
 public:
  // `spec` must outlive the result (specs are static constants). Validates every parameter the
  // spec knows; unknown parameters are ignored. Throws HttpError
  // 422 ("validation_failed") naming the bad parameter: an unknown sort key or choice, a page
  // outside 1..1,000,000, a per_page outside 1..the largest of per_page_choices (the form
  // offers the choices; a link may carry any size up to the largest), text too long or not UTF-8.
  static ListParams Parse(const ListSpec& spec, const Query& query);

  const ListSpec& spec() const { return *spec_; }
  // A filter's value ("" when not set).
  const std::string& Filter(const std::string& key) const;
  void SetFilter(const std::string& key, const std::string& value) { filters_[key] = value; }
  // Whether any filter is set (sort and paging do not count).
  bool Filtered() const;

  std::string sort;
  std::string order;  // "asc" | "desc"
  bool descending() const { return order == "desc"; }
  int page = 1;
  int per_page = 20;
  int64_t offset() const { return static_cast<int64_t>(page - 1) * per_page; }

  // base_url?... with the current filters, sort and page; defaults are left out.
  std::string Url() const;
  std::string PageUrl(int page) const;
  // A column heading's link: sort by `key`, toggling the order when it already sorts, page 1.
  std::string SortUrl(const std::string& key) const;
  // base_url + "/export." + format ("csv" | "json") with the filters and sort, no paging.
  std::string ExportUrl(const std::string& format) const;
  // The filters, sort and order as query pairs (defaults left out), for links of one's own.
  std::vector<std::pair<std::string, std::string>> QueryPairs(bool with_page) const;

  // The filter form: for a free-text filter KEY (upper-cased) = its value; for a choice filter
  // one KEY_OPT section per choice (VALUE, LABEL, SELECTED), "" first with any_label;
  // PER_PAGE_OPT; HIDDEN (NAME, VALUE) for sort and order; FILTERED when a filter is set;
  // CLEAR_HREF; EXPORT_CSV_HREF and EXPORT_JSON_HREF.
  void FillForm(ctemplate::TemplateDictionary* d) const;
  // The column headings into `section` of `d` (include dictionary partials/list_columns.tpl):
  // one COL per column with LABEL and, for sortable ones, SORT{HREF, SORTED{ARIA_SORT, ARROW,
  // NEXT_ORDER} | UNSORTED}.
  void FillColumns(ctemplate::TemplateDictionary* d, const std::string& include_name) const;
  // SUMMARY ("Showing 21–40 of 57 tracks", or why nothing is shown) and the pager include
  // (partials/pager.tpl) named `pager_include`.
  void FillFooter(ctemplate::TemplateDictionary* d, int64_t total, size_t shown,
                  const std::string& pager_include = "PAGER") const;

 private:
  const ListSpec* spec_ = nullptr;
  std::map<std::string, std::string> filters_;
};

// "Showing 21–40 of 57 users", or why nothing is shown.
std::string ListSummary(int page, int per_page, int64_t total, size_t shown,
                        const std::string& noun);

}  // namespace sattva::fcgi
