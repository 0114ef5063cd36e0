// Unit tests of src/core/number_reading: SPEC §3 "Reading numbers" and which
// patterns are wildcards ("Number and use").
#include "core/number_reading.hpp"

#include <gtest/gtest.h>

#include <string>

namespace numaudit::core {
namespace {

struct Read {
    NumberKind kind;
    std::string text;
};

Read read(std::string_view raw) {
    std::string buffer;
    NumberReading r = read_number(raw, buffer);
    return {r.kind, std::string(r.text)};
}

void expect_number(std::string_view raw, std::string_view number) {
    Read r = read(raw);
    EXPECT_EQ(r.kind, NumberKind::Number) << "'" << raw << "'";
    EXPECT_EQ(r.text, number) << "'" << raw << "'";
}

void expect_kind(std::string_view raw, NumberKind kind, std::string_view text) {
    Read r = read(raw);
    EXPECT_EQ(r.kind, kind) << "'" << raw << "'";
    EXPECT_EQ(r.text, text) << "'" << raw << "'";
}

TEST(ReadNumber, PlainNumbers) {
    expect_number("1001", "1001");
    expect_number("0", "0");
    expect_number("442071234567", "442071234567");
    expect_number("1001#", "1001#");
    expect_number("#", "#");
    expect_number("+442071234567", "+442071234567");
    expect_number("*67", "*67");
    expect_number("*5#", "*5#");
}

TEST(ReadNumber, SurroundingSpaceTabCrLfAreIgnored) {
    expect_number("5001 ", "5001");
    expect_number(" 1001", "1001");
    expect_number("1004\n", "1004");
    expect_number("\t\r\n 1004 \r\n\t", "1004");
    expect_number(" \\+4420 ", "+4420");
}

TEST(ReadNumber, OtherWhitespaceIsNotIgnored) {
    expect_kind("\v5001", NumberKind::Invalid, "\v5001");
    expect_kind("5001\f", NumberKind::Invalid, "5001\f");
    expect_kind("50 01", NumberKind::Invalid, "50 01");
    expect_kind("5001\xC2\xA0", NumberKind::Invalid, "5001\xC2\xA0");  // no-break space
}

TEST(ReadNumber, ALeadingEscapedPlusIsAPlus) {
    expect_number("\\+4420", "+4420");
    expect_number("\\+442071234567", "+442071234567");
    // Only at the start: elsewhere the backslash stays and the text is invalid.
    expect_kind("12\\+34", NumberKind::Invalid, "12\\+34");
    expect_kind("\\+1\\+2", NumberKind::Invalid, "+1\\+2");
    expect_kind("\\\\+1", NumberKind::Invalid, "\\\\+1");
    expect_kind("\\+", NumberKind::Invalid, "+");
}

TEST(ReadNumber, InvalidTexts) {
    expect_kind("", NumberKind::Invalid, "");
    expect_kind("   ", NumberKind::Invalid, "");
    expect_kind("1003A", NumberKind::Invalid, "1003A");
    expect_kind("10x1", NumberKind::Invalid, "10x1");  // lower-case x is no wildcard
    expect_kind("1+2", NumberKind::Invalid, "1+2");
    expect_kind("+", NumberKind::Invalid, "+");
    expect_kind("*", NumberKind::Invalid, "*");
    expect_kind("++1", NumberKind::Invalid, "++1");
    expect_kind("\xD9\xA1\xD9\xA2", NumberKind::Invalid, "\xD9\xA1\xD9\xA2");  // Arabic digits
    expect_kind("10-20", NumberKind::Invalid, "10-20");
}

TEST(ReadNumber, AtMostFiftyCharacters) {
    expect_number(std::string(50, '1'), std::string(50, '1'));
    expect_number("+" + std::string(49, '1'), "+" + std::string(49, '1'));
    expect_number("\\+" + std::string(49, '1'), "+" + std::string(49, '1'));
    expect_kind(std::string(51, '1'), NumberKind::Invalid, std::string(51, '1'));
    expect_kind("+" + std::string(50, '1'), NumberKind::Invalid, "+" + std::string(50, '1'));
    std::string huge(9600, '5');
    expect_kind(huge, NumberKind::Invalid, huge);
}

TEST(ReadNumber, WildcardCharactersMakeAWildcard) {
    for (const char* p : {"X", "[", "]", "!", ".", "@"}) expect_kind(p, NumberKind::Wildcard, p);
    expect_kind("10XX", NumberKind::Wildcard, "10XX");
    expect_kind("X001", NumberKind::Wildcard, "X001");
    expect_kind("100[1-5]", NumberKind::Wildcard, "100[1-5]");
    expect_kind("9!", NumberKind::Wildcard, "9!");
    expect_kind("9.1234", NumberKind::Wildcard, "9.1234");
    expect_kind("9@", NumberKind::Wildcard, "9@");
    expect_kind("\\+4420XXXX", NumberKind::Wildcard, "+4420XXXX");
    expect_kind(" 10XX\n", NumberKind::Wildcard, "10XX");
}

TEST(ReadNumber, StarAfterTheFirstCharacterIsAWildcard) {
    expect_kind("1*", NumberKind::Wildcard, "1*");
    expect_kind("12*3", NumberKind::Wildcard, "12*3");
    expect_kind("**", NumberKind::Wildcard, "**");
    expect_kind("*6*", NumberKind::Wildcard, "*6*");
    expect_kind("+*1", NumberKind::Wildcard, "+*1");
}

TEST(ReadNumber, TheBufferIsUsedOnlyForAnEscapedPlus) {
    std::string buffer = "untouched";
    NumberReading r = read_number(" 5001 ", buffer);
    EXPECT_EQ(buffer, "untouched");
    EXPECT_EQ(r.text, "5001");
    r = read_number("\\+44", buffer);
    EXPECT_EQ(buffer, "+44");
    EXPECT_EQ(r.text.data(), buffer.data());
}

TEST(ReadNumber, KindNames) {
    EXPECT_STREQ(number_kind_name(NumberKind::Number), "number");
    EXPECT_STREQ(number_kind_name(NumberKind::Wildcard), "wildcard");
    EXPECT_STREQ(number_kind_name(NumberKind::Invalid), "invalid");
}

}  // namespace
}  // namespace numaudit::core
