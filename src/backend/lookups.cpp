// SQL-callable lookups behind numaudit.uses() and for DBAs: which customer a
// name or path means, and which number a pattern stands for. They use the
// same code as the audit, so they answer exactly as it decides.
#include <optional>
#include <string>

#include "backend/guard.hpp"
#include "backend/resolve.hpp"
#include "backend/spi.hpp"
#include "core/number_reading.hpp"
#include "core/request.hpp"

extern "C" {
PG_FUNCTION_INFO_V1(numaudit_customer_id);
PG_FUNCTION_INFO_V1(numaudit_pattern_number);
PG_FUNCTION_INFO_V1(numaudit_read_number);
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

Datum text_result_Unsafe(std::string_view s) {
    return PointerGetDatum(cstring_to_text_with_len(s.data(), static_cast<int>(s.size())));
}

// pattern_number(text): the number a pattern or entry stands for, as the
// audit reads it; NULL for a wildcard or an invalid text. STRICT.
Datum pattern_number_Cpp(FunctionCallInfo fcinfo) {
    std::string raw = *text_arg(fcinfo, 0), buffer;
    core::NumberReading read = core::read_number(raw, buffer);
    if (read.kind != core::NumberKind::Number) {
        fcinfo->isnull = true;
        return (Datum)0;
    }
    Datum result = (Datum)0;
    pg_call([&]() noexcept { result = text_result_Unsafe(read.text); });
    return result;
}

// read_number(text) -> (kind, number): how the audit reads a pattern or an
// entry: kind number, wildcard or invalid; the read text (NULL if invalid).
Datum read_number_Cpp(FunctionCallInfo fcinfo) {
    std::string raw = *text_arg(fcinfo, 0), buffer;
    core::NumberReading read = core::read_number(raw, buffer);
    Datum result = (Datum)0;
    pg_call([&]() noexcept {
        TupleDesc desc;
        if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
            elog(ERROR, "numaudit: read_number must return a composite");
        desc = BlessTupleDesc(desc);
        Datum values[2] = {
            text_result_Unsafe(core::number_kind_name(read.kind)),
            read.kind == core::NumberKind::Invalid ? (Datum)0 : text_result_Unsafe(read.text)};
        bool nulls[2] = {false, read.kind == core::NumberKind::Invalid};
        result = HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
    });
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

extern "C" Datum numaudit_read_number(PG_FUNCTION_ARGS) {
    return guarded_entry([&] { return numaudit::backend::read_number_Cpp(fcinfo); });
}
