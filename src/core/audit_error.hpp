// The one exception type the core and backend throw for expected failures.
// It carries a SQLSTATE so the backend can raise the right PostgreSQL error.
#pragma once

#include <stdexcept>
#include <string>

namespace numaudit::core {

class AuditError : public std::runtime_error {
  public:
    AuditError(const char* sqlstate, std::string message, std::string detail = {},
               std::string hint = {})
        : std::runtime_error(std::move(message)),
          detail_(std::move(detail)),
          hint_(std::move(hint)) {
        for (int i = 0; i < 5; ++i) sqlstate_[i] = sqlstate[i];
        sqlstate_[5] = '\0';
    }
    const char* sqlstate() const noexcept { return sqlstate_; }
    const std::string& detail() const noexcept { return detail_; }
    const std::string& hint() const noexcept { return hint_; }

  private:
    char sqlstate_[6];
    std::string detail_;
    std::string hint_;
};

// SQLSTATEs used by numaudit (see SPEC "Bad input").
namespace sqlstate {
inline constexpr const char* kInvalidParameterValue = "22023";
inline constexpr const char* kUndefinedObject = "42704";
inline constexpr const char* kWrongObjectType = "42809";
inline constexpr const char* kObjectNotInPrerequisiteState = "55000";
inline constexpr const char* kLockNotAvailable = "55P03";
inline constexpr const char* kOutOfMemory = "53200";
inline constexpr const char* kInternalError = "XX000";
}  // namespace sqlstate

}  // namespace numaudit::core
