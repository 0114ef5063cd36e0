// Unit tests of src/core/pattern: which directory-number patterns are single
// numbers (SPEC §3 "Number and use") and how "\+" is read.
#include "core/pattern.hpp"

#include <gtest/gtest.h>

#include <string>

namespace numaudit::core {
namespace {

TEST(IsWildcard, EachWildcardCharacterAlone) {
    for (const char* p : {"X", "[", "]", "!", ".", "@"}) EXPECT_TRUE(is_wildcard(p)) << p;
}

TEST(IsWildcard, EachWildcardCharacterInsideANumber) {
    EXPECT_TRUE(is_wildcard("10XX"));
    EXPECT_TRUE(is_wildcard("X001"));
    EXPECT_TRUE(is_wildcard("100[1-5]"));
    EXPECT_TRUE(is_wildcard("100]"));
    EXPECT_TRUE(is_wildcard("9!"));
    EXPECT_TRUE(is_wildcard("9.1234"));
    EXPECT_TRUE(is_wildcard("9@"));
    EXPECT_TRUE(is_wildcard("\\+4420XXXX"));
    EXPECT_TRUE(is_wildcard("+44[2-3]0"));
}

TEST(IsWildcard, StarAfterTheFirstCharacter) {
    EXPECT_TRUE(is_wildcard("1*"));
    EXPECT_TRUE(is_wildcard("12*3"));
    EXPECT_TRUE(is_wildcard("**"));
    EXPECT_TRUE(is_wildcard("*6*"));
}

TEST(IsWildcard, LeadingStarIsAFeatureCodeNotAWildcard) {
    EXPECT_FALSE(is_wildcard("*"));
    EXPECT_FALSE(is_wildcard("*67"));
    EXPECT_FALSE(is_wildcard("*8200"));
}

TEST(IsWildcard, PlainNumbers) {
    EXPECT_FALSE(is_wildcard("1001"));
    EXPECT_FALSE(is_wildcard("0"));
    EXPECT_FALSE(is_wildcard("442071234567"));
    EXPECT_FALSE(is_wildcard("1001#"));
    EXPECT_FALSE(is_wildcard(""));
}

TEST(IsWildcard, PlusNumbers) {
    EXPECT_FALSE(is_wildcard("+442071234567"));
    EXPECT_FALSE(is_wildcard("\\+442071234567"));
    EXPECT_FALSE(is_wildcard("+1"));
}

TEST(NormalizePattern, BackslashPlusBecomesPlus) {
    EXPECT_EQ(normalize_pattern("\\+442071234567"), "+442071234567");
    EXPECT_EQ(normalize_pattern("\\+"), "+");
    EXPECT_EQ(normalize_pattern("12\\+34"), "12+34");
    EXPECT_EQ(normalize_pattern("\\+1\\+2"), "+1+2");
}

TEST(NormalizePattern, PlainPatternsUnchanged) {
    EXPECT_EQ(normalize_pattern("1001"), "1001");
    EXPECT_EQ(normalize_pattern("+4420"), "+4420");
    EXPECT_EQ(normalize_pattern("*67"), "*67");
    EXPECT_EQ(normalize_pattern("10XX"), "10XX");
    EXPECT_EQ(normalize_pattern(""), "");
}

TEST(NormalizePattern, OtherBackslashesUntouched) {
    EXPECT_EQ(normalize_pattern("\\1001"), "\\1001");
    EXPECT_EQ(normalize_pattern("1001\\"), "1001\\");
    EXPECT_EQ(normalize_pattern("\\"), "\\");
    EXPECT_EQ(normalize_pattern("10\\X1"), "10\\X1");
    EXPECT_EQ(normalize_pattern("\\\\"), "\\\\");
    EXPECT_EQ(normalize_pattern("+\\"), "+\\");
}

TEST(NormalizePattern, BufferOverloadClearsTheBufferFirst) {
    std::string buffer = "left over from an earlier pattern";
    normalize_pattern("\\+4420", buffer);
    EXPECT_EQ(buffer, "+4420");
    normalize_pattern("1001", buffer);
    EXPECT_EQ(buffer, "1001");
    normalize_pattern("", buffer);
    EXPECT_EQ(buffer, "");
}

TEST(NormalizePattern, WildcardStillDetectedAfterNormalizing) {
    EXPECT_TRUE(is_wildcard(normalize_pattern("\\+4420XX")));
    EXPECT_FALSE(is_wildcard(normalize_pattern("\\+4420")));
}

}  // namespace
}  // namespace numaudit::core
