// Unit tests of src/core/request: the argument checks of SPEC §3 "Bad input"
// that need no database.
#include "core/request.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/audit_error.hpp"

namespace numaudit::core {
namespace {

using Sites = std::vector<std::optional<std::string>>;

// Runs `f`, which must throw AuditError with `sqlstate`; returns the error's
// message (empty when it did not throw).
std::string expect_audit_error(const std::function<void()>& f, const char* sqlstate) {
    try {
        f();
    } catch (const AuditError& e) {
        EXPECT_STREQ(e.sqlstate(), sqlstate) << e.what();
        EXPECT_STRNE(e.what(), "");
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "threw another exception: " << e.what();
        return {};
    }
    ADD_FAILURE() << "did not throw";
    return {};
}

Sites numbered_sites(int n) {
    Sites sites;
    for (int i = 1; i <= n; ++i) sites.emplace_back("Site" + std::to_string(i));
    return sites;
}

TEST(ParseScope, Lowercase) {
    EXPECT_EQ(parse_scope(std::string_view("customer")), Scope::Customer);
    EXPECT_EQ(parse_scope(std::string_view("site")), Scope::Site);
}

TEST(ParseScope, CaseInsensitive) {
    EXPECT_EQ(parse_scope(std::string_view("CUSTOMER")), Scope::Customer);
    EXPECT_EQ(parse_scope(std::string_view("Customer")), Scope::Customer);
    EXPECT_EQ(parse_scope(std::string_view("cUsToMeR")), Scope::Customer);
    EXPECT_EQ(parse_scope(std::string_view("SITE")), Scope::Site);
    EXPECT_EQ(parse_scope(std::string_view("Site")), Scope::Site);
    EXPECT_EQ(parse_scope(std::string_view("sItE")), Scope::Site);
}

TEST(ParseScope, NullIs22023) {
    expect_audit_error([] { parse_scope(std::nullopt); }, "22023");
}

TEST(ParseScope, UnknownIs22023) {
    for (const char* s : {"", "sites", "customers", " site", "site ", "cust", "all", "provider"}) {
        SCOPED_TRACE(s);
        expect_audit_error([&] { parse_scope(std::string_view(s)); }, "22023");
    }
}

TEST(ParseScope, UnknownScopeMessageNamesIt) {
    std::string message =
        expect_audit_error([] { parse_scope(std::string_view("galaxy")); }, "22023");
    EXPECT_NE(message.find("galaxy"), std::string::npos) << message;
}

TEST(ParseScope, AHugeScopeIsNotQuoted) {
    std::string huge(1 << 20, 'x');
    std::string message = expect_audit_error([&] { parse_scope(std::string_view(huge)); }, "22023");
    EXPECT_LT(message.size(), 100u) << message;
    EXPECT_NE(message.find("1048576 bytes"), std::string::npos) << message;
}

TEST(ParseScope, ScopeName) {
    EXPECT_STREQ(scope_name(Scope::Customer), "customer");
    EXPECT_STREQ(scope_name(Scope::Site), "site");
}

TEST(CheckCustomerArgument, NullIs22023) {
    expect_audit_error([] { check_customer_argument(std::nullopt); }, "22023");
}

TEST(CheckCustomerArgument, NamesAndPathsAccepted) {
    EXPECT_NO_THROW(check_customer_argument(std::string_view("Acme")));
    EXPECT_NO_THROW(check_customer_argument(std::string_view("Provider1.ResellerA.Acme")));
}

TEST(CheckSites, NullListMeansAllSites) {
    EXPECT_TRUE(check_sites(Scope::Site, true, {}).empty());
    EXPECT_TRUE(check_sites(Scope::Customer, true, {}).empty());
}

TEST(CheckSites, EmptyListIsTheSameAsNull) {
    EXPECT_TRUE(check_sites(Scope::Site, false, {}).empty());
    // BEHAVIOUR.md: with scope customer '{}' is accepted (no sites named).
    EXPECT_TRUE(check_sites(Scope::Customer, false, {}).empty());
}

TEST(CheckSites, NamesReturnedInOrder) {
    Sites sites{std::string("London"), std::string("Paris"), std::string("Rome")};
    EXPECT_EQ(check_sites(Scope::Site, false, sites),
              (std::vector<std::string>{"London", "Paris", "Rome"}));
}

TEST(CheckSites, NamesAreCaseSensitiveSoNotDuplicates) {
    Sites sites{std::string("London"), std::string("london")};
    EXPECT_EQ(check_sites(Scope::Site, false, sites),
              (std::vector<std::string>{"London", "london"}));
}

TEST(CheckSites, SitesWithScopeCustomerIs22023) {
    Sites sites{std::string("London")};
    expect_audit_error([&] { check_sites(Scope::Customer, false, sites); }, "22023");
}

TEST(CheckSites, NullElementIs22023) {
    Sites only_null{std::nullopt};
    expect_audit_error([&] { check_sites(Scope::Site, false, only_null); }, "22023");
    Sites null_inside{std::string("London"), std::nullopt, std::string("Paris")};
    expect_audit_error([&] { check_sites(Scope::Site, false, null_inside); }, "22023");
}

TEST(CheckSites, DuplicateIs22023) {
    Sites sites{std::string("London"), std::string("Paris"), std::string("London")};
    std::string message =
        expect_audit_error([&] { check_sites(Scope::Site, false, sites); }, "22023");
    EXPECT_NE(message.find("London"), std::string::npos) << message;
}

TEST(CheckSites, DuplicateLongNameIsCutInTheMessage) {
    std::string name;
    for (int i = 0; i < 300; ++i) name += "\xF0\x9F\x9A\x80";  // U+1F680, 4 bytes
    Sites sites{name, name};
    std::string message =
        expect_audit_error([&] { check_sites(Scope::Site, false, sites); }, "22023");
    EXPECT_EQ(message, "site \"" + name.substr(0, 800) + "\xE2\x80\xA6\" is named more than once");
    TextClip ascii;
    ascii.ellipsis = "...";
    message = expect_audit_error([&] { check_sites(Scope::Site, false, sites, ascii); }, "22023");
    EXPECT_EQ(message, "site \"" + name.substr(0, 800) + "...\" is named more than once");
}

TEST(CheckSites, TwoHundredSitesAccepted) {
    Sites sites = numbered_sites(200);
    auto names = check_sites(Scope::Site, false, sites);
    ASSERT_EQ(names.size(), 200u);
    EXPECT_EQ(names.front(), "Site1");
    EXPECT_EQ(names.back(), "Site200");
    EXPECT_EQ(kMaxSites, 200u);
}

TEST(CheckSites, TwoHundredAndOneSitesIs22023) {
    Sites sites = numbered_sites(201);
    expect_audit_error([&] { check_sites(Scope::Site, false, sites); }, "22023");
}

}  // namespace
}  // namespace numaudit::core
