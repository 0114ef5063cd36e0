// Unit tests of src/core/text_clip: cutting by characters, never inside one.
#include "core/text_clip.hpp"

#include <gtest/gtest.h>

#include <string>

namespace numaudit::core {
namespace {

TEST(TextClip, ShortTextIsKeptAsItIs) {
    TextClip clip;
    EXPECT_EQ(clip.clip("London", 200), "London");
    EXPECT_EQ(clip.clip("", 200), "");
    EXPECT_EQ(clip.clip(std::string(200, 'a'), 200), std::string(200, 'a'));
}

TEST(TextClip, LongTextKeepsItsFirstCharactersAndAnEllipsis) {
    TextClip clip;
    EXPECT_EQ(clip.clip(std::string(201, 'a'), 200), std::string(200, 'a') + "\xE2\x80\xA6");
    EXPECT_EQ(clip.clip("abcdef", 3), "abc\xE2\x80\xA6");
}

TEST(TextClip, CountsCharactersNotBytes) {
    TextClip clip;
    std::string zhe;  // 200 two-byte characters: 400 bytes, not cut
    for (int i = 0; i < 200; ++i) zhe += "\xD0\x96";
    EXPECT_EQ(clip.clip(zhe, 200), zhe);
    EXPECT_TRUE(clip.fits(zhe, 200));
    std::string longer = zhe + "\xD0\x96";
    EXPECT_EQ(clip.clip(longer, 200), zhe + "\xE2\x80\xA6");
    EXPECT_FALSE(clip.fits(longer, 200));
    // Four-byte characters are never split.
    EXPECT_EQ(clip.clip("\xF0\x9F\x9A\x80\xF0\x9F\x9A\x80", 1), "\xF0\x9F\x9A\x80\xE2\x80\xA6");
}

TEST(TextClip, ATruncatedCharacterAtTheEndIsKeptWhole) {
    TextClip clip;
    // A lead byte of a three-byte character with one byte after it.
    std::string broken = "ab\xE2\x80";
    EXPECT_EQ(clip.prefix_bytes(broken, 3), broken.size());
}

TEST(TextClip, AnotherEllipsisOutsideUtf8) {
    TextClip clip;
    clip.ellipsis = "...";
    EXPECT_EQ(clip.clip("abcdef", 2), "ab...");
}

}  // namespace
}  // namespace numaudit::core
