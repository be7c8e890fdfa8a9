// XML:/* text content and XML://@* attribute values, and what counts as a malformed
// document (DTDs are refused outright).

#include <gtest/gtest.h>

#include <string>

#include "seclang/body.h"

namespace rampart::seclang {
namespace {

TEST(BodyXml, TextContentLeavesOutCommentsAndPisAndDecodesReferences) {
  ParsedBody p = parse_xml(
      "<?xml version=\"1.0\"?>\n<a x=\"1\" y=\"&lt;2\">t1<b z=\"3\">t2</b> &amp; "
      "&#65;&#x42;<![CDATA[<c>]]><!-- com --><?pi x?>\n tail</a>\n",
      {});
  EXPECT_FALSE(p.error);
  EXPECT_EQ(p.xml_text, "t1t2 & AB<c>\n tail");
  EXPECT_EQ(p.xml_attribute_values, (std::vector<std::string>{"1", "<2", "3"}));
}

TEST(BodyXml, NamespaceDeclarationsAreNotAttributes) {
  ParsedBody p = parse_xml("<a xmlns=\"d\" xmlns:q=\"u\" q:z=\"3\"/>", {});
  EXPECT_FALSE(p.error);
  EXPECT_EQ(p.xml_attribute_values, (std::vector<std::string>{"3"}));
}

TEST(BodyXml, MalformedDocuments) {
  for (const char* doc :
       {"", "text", "<a>unclosed", "<a></b>", "<a/><b/>", "<a>&bogus;</a>", "<a b=\"1\" b=\"2\"/>",
        "<a>x</a>junk", "<a x=1/>", "<a>&#0;</a>", "<a>\x01</a>", "<1a/>"}) {
    ParsedBody p = parse_xml(doc, {});
    EXPECT_TRUE(p.error) << doc;
    EXPECT_EQ(p.error_message, "XML parsing error: XML: Failed parsing document.");
  }
}

TEST(BodyXml, DoctypeAcceptedEntitiesNeverExpanded) {
  // A DOCTYPE is accepted (as libxml2 does) but its entities are never expanded.
  auto with_dtd = parse_xml("<!DOCTYPE a [<!ENTITY e \"EXP\">]><a>x&e;y</a>", {});
  EXPECT_FALSE(with_dtd.error);
  EXPECT_EQ(with_dtd.xml_text.find("EXP"), std::string::npos);
  EXPECT_TRUE(parse_xml("<a>x</a><!DOCTYPE a>", {}).error);
  EXPECT_TRUE(parse_xml("<a>&undeclared;</a>", {}).error);
}

TEST(BodyXml, LineEndsNormalised) {
  EXPECT_EQ(parse_xml("<a>x\r\ny\rz</a>", {}).xml_text, "x\ny\nz");
}

TEST(BodyXml, DeepNestingIsAnErrorNotACrash) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<a>";
  EXPECT_TRUE(parse_xml(deep, {}).error);
}

}  // namespace
}  // namespace rampart::seclang
