// The export writers: CSV per RFC 4180 with the formula guard, JSON objects typed by column.
#include <gtest/gtest.h>

#include "common/json.h"
#include "fcgi/admin/export.h"

namespace sattva::fcgi {
namespace {

using T = ExportColumn::Type;

TEST(ExportCsvTest, PlainFieldsAreWrittenAsTheyAre) {
  EXPECT_EQ(CsvField("hello"), "hello");
  EXPECT_EQ(CsvField(""), "");
  EXPECT_EQ(CsvField("a b"), "a b");
  EXPECT_EQ(CsvField("42"), "42");
}

TEST(ExportCsvTest, FieldsWithSeparatorsQuotesOrLineBreaksAreQuoted) {
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField("cr\rhere"), "\"cr\rhere\"");
  EXPECT_EQ(CsvField("\""), "\"\"\"\"");
}

TEST(ExportCsvTest, FormulaLookingFieldsGetALeadingApostrophe) {
  EXPECT_EQ(CsvField("=1+2"), "'=1+2");
  EXPECT_EQ(CsvField("+1"), "'+1");
  EXPECT_EQ(CsvField("-1"), "'-1");
  EXPECT_EQ(CsvField("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(CsvField("\tx"), "'\tx");
  EXPECT_EQ(CsvField("\rx"), "\"'\rx\"");  // guarded, then quoted for the CR
  EXPECT_EQ(CsvField("=HYPERLINK(\"http://x\",\"a,b\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"a,b\"\")\"");
  // Only the first character counts.
  EXPECT_EQ(CsvField("a=b"), "a=b");
  EXPECT_EQ(CsvField(" =x"), " =x");
}

TEST(ExportCsvTest, UnicodePassesThroughUnchanged) {
  EXPECT_EQ(CsvField("Мелодия ночи"), "Мелодия ночи");
  EXPECT_EQ(CsvField("日本語, 🎵"), "\"日本語, 🎵\"");
  EXPECT_EQ(CsvField("\u202Eevil"), "\u202Eevil");
}

TEST(ExportCsvTest, LinesEndInCrLfAndNullsAreEmpty) {
  EXPECT_EQ(CsvLine({std::string("1"), std::nullopt, std::string("x,y"), std::string("")}),
            "1,,\"x,y\",\r\n");
  EXPECT_EQ(CsvLine({std::string("=cmd")}), "'=cmd\r\n");
  EXPECT_EQ(CsvLine({}), "\r\n");
}

std::vector<ExportColumn> Columns() {
  return {{"id", T::kInt}, {"name", T::kString}, {"ok", T::kBool}, {"n", T::kInt}};
}

Json::Value Parse(const std::string& text) {
  Json::Value v;
  std::string err;
  EXPECT_TRUE(common::ParseJson(text, &v, &err)) << err << ": " << text;
  return v;
}

TEST(ExportJsonTest, ValuesAreTypedByColumn) {
  const std::string s = JsonObject(
      Columns(), {std::string("7"), std::string("x"), std::string("true"), std::string("-12")});
  EXPECT_EQ(s, "{\"id\":7,\"name\":\"x\",\"ok\":true,\"n\":-12}");
  const Json::Value v = Parse(s);
  EXPECT_TRUE(v["id"].isIntegral());
  EXPECT_TRUE(v["ok"].isBool());
  EXPECT_EQ(v["n"].asInt64(), -12);
  EXPECT_EQ(JsonObject(Columns(), {std::string("9007199254740993"), std::string(""),
                                   std::string("false"), std::string("0")}),
            "{\"id\":9007199254740993,\"name\":\"\",\"ok\":false,\"n\":0}");
}

TEST(ExportJsonTest, NullsAndMissingValuesAreNull) {
  EXPECT_EQ(JsonObject(Columns(), {std::nullopt, std::nullopt, std::nullopt}),
            "{\"id\":null,\"name\":null,\"ok\":null,\"n\":null}");
}

TEST(ExportJsonTest, ValuesThatAreNotTheirColumnsTypeStayText) {
  // Never invalid JSON, whatever a producer hands over.
  const std::string s = JsonObject(Columns(), {std::string("1e5"), std::string("a"),
                                               std::string("yes"), std::string("007")});
  EXPECT_EQ(s, "{\"id\":\"1e5\",\"name\":\"a\",\"ok\":\"yes\",\"n\":\"007\"}");
  Parse(s);
}

TEST(ExportJsonTest, StringsAreEscaped) {
  const std::string nasty = std::string("q\"b\\s/n\nr\rt\tc\x01") + "\x1f" + "\x7f" +
                            "</script> Мир 🎵 \u2028";
  const std::string s = JsonObject({{"v", T::kString}}, {nasty});
  EXPECT_EQ(s.find('\n'), std::string::npos);
  EXPECT_NE(s.find("\\u0001"), std::string::npos);
  EXPECT_NE(s.find("\\u001f"), std::string::npos);
  const Json::Value v = Parse(s);
  EXPECT_EQ(v["v"].asString(), nasty);
}

TEST(ExportJsonTest, ColumnNamesAreEscapedToo) {
  const Json::Value v = Parse(JsonObject({{"a\"b", T::kString}}, {std::string("x")}));
  EXPECT_EQ(v["a\"b"].asString(), "x");
}

TEST(ExportFormatTest, OnlyCsvAndJson) {
  EXPECT_EQ(ParseExportFormat("csv"), ExportFormat::kCsv);
  EXPECT_EQ(ParseExportFormat("json"), ExportFormat::kJson);
  for (const char* bad : {"", "CSV", "xml", "csv ", "js"}) {
    try {
      ParseExportFormat(bad);
      ADD_FAILURE() << bad;
    } catch (const HttpError& e) {
      EXPECT_EQ(e.status(), 404);
    }
  }
}

}  // namespace
}  // namespace sattva::fcgi
