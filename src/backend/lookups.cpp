// SQL-callable lookups behind numaudit.uses() and for DBAs: which customer a
// name or path means, and which number a pattern stands for. They use the
// same code as the audit, so they answer exactly as it decides.
#include <optional>
#include <string>

#include "backend/guard.hpp"
#include "backend/resolve.hpp"
#include "backend/spi.hpp"
#include "core/pattern.hpp"
#include "core/request.hpp"

extern "C" {
PG_FUNCTION_INFO_V1(numaudit_customer_id);
PG_FUNCTION_INFO_V1(numaudit_pattern_number);
}

namespace numaudit::backend {
namespace {

Datum customer_id_Cpp(FunctionCallInfo fcinfo) {
    std::optional<std::string> arg = text_arg(fcinfo, 0);
    core::check_customer_argument(arg ? std::optional<std::string_view>(*arg) : std::nullopt);
    spi_connect();
    Customer customer = resolve_customer(*arg);
    spi_finish();
    return Int64GetDatum(customer.id);
}

Datum pattern_number_Cpp(FunctionCallInfo fcinfo) {
    // As the planner does: normalize first, then look for wildcards. The
    // function is STRICT: its argument is never NULL.
    std::string number = core::normalize_pattern(*text_arg(fcinfo, 0));
    if (core::is_wildcard(number)) {
        fcinfo->isnull = true;
        return (Datum)0;
    }
    Datum result = (Datum)0;
    pg_call(
        [&] { result = PointerGetDatum(cstring_to_text_with_len(number.data(), number.size())); });
    return result;
}

}  // namespace
}  // namespace numaudit::backend

using numaudit::backend::guarded_entry;

extern "C" Datum numaudit_customer_id(PG_FUNCTION_ARGS) {
    return guarded_entry([&] { return numaudit::backend::customer_id_Cpp(fcinfo); });
}

extern "C" Datum numaudit_pattern_number(PG_FUNCTION_ARGS) {
    return guarded_entry([&] { return numaudit::backend::pattern_number_Cpp(fcinfo); });
}
